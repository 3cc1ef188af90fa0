// The latency section of `sluice bench`: from a window's end passing the watermark to its row
// reaching the sink, at several input rates of the built-in generator.
//
// The generator's event time follows the wall clock (it starts at "now" and advances 1000/R ms
// per record at R records/s), so the watermark (max event time - watermark delay) passes a
// window's end e at wall time e + delay: the window is due then. The sink is `jsonl:-` into a
// pipe read here; each line is stamped with the wall clock when it arrives. A window's latency
// is the arrival of its first row minus its due time.
#include <fmt/format.h>
#include <signal.h>

#include <ctime>
#include <map>

#include "bench/bench_context.h"
#include "common/clock.h"

namespace sluice::bench {
namespace {

constexpr int64_t kWatermarkMs = 2000;
constexpr const char* kTrigger = "200ms";
constexpr const char* kLatencyQuery =
    "SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS "
    "crash_count FROM logs WHERE lower(content) LIKE '%crash%' AND severity IN ('High', "
    "'Critical') GROUP BY window(timestamp, '1 second'), user_id";

// window_end of a jsonl row ("window_end": "2026-01-27 18:30:00", UTC) in epoch ms, or -1.
int64_t WindowEndMs(const std::string& line) {
  const std::string key = "\"window_end\": \"";
  const size_t at = line.find(key);
  if (at == std::string::npos) return -1;
  std::tm tm{};
  if (std::sscanf(line.c_str() + at + key.size(), "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

void LatencySection(BenchContext& ctx) {
  const bool quick = ctx.options().quick;
  const std::vector<int64_t> rates = quick
                                         ? std::vector<int64_t>{10'000, 100'000}
                                         : std::vector<int64_t>{10'000, 60'000, 200'000, 1'000'000};
  const double seconds = quick ? 10 : 30;
  Section& s = ctx.report().Add("Latency: window due to row at the sink");
  Table t{
      {"target records/s", "achieved records/s", "windows", "rows", "p50 ms", "p99 ms", "max ms"},
      {}};
  Plot plot{"plot-latency", "Latency by input rate", "records/s (target)", "ms", {}};
  Plot::Series p50{"p50", {}}, p99{"p99", {}};
  for (int64_t rate : rates) {
    ctx.Progress(fmt::format("latency at {} records/s for {:.0f} s", rate, seconds));
    const auto argv =
        ctx.Sluice({"run", "--rate", std::to_string(rate), "--watermark",
                    fmt::format("{}ms", kWatermarkMs), "--trigger", kTrigger, "--threads",
                    std::to_string(ctx.threads()), "--sink", "jsonl:-", kLatencyQuery});
    ctx.Record(argv);
    auto child = RunningChild::Start(argv, RunningChild::Stdout::kPipe);
    if (!child.ok()) continue;
    const int64_t start_ms = SystemClock::Default().NowMs();
    const double t0 = MonotonicSeconds();
    std::map<int64_t, int64_t> first_arrival;  // window end -> first row's arrival
    int64_t rows = 0;
    std::string line;
    while (MonotonicSeconds() - t0 < seconds) {
      if (!child->ReadLine(line, 100)) {
        if (child->eof()) break;
        continue;
      }
      const int64_t arrival = SystemClock::Default().NowMs();
      const int64_t end = WindowEndMs(line);
      // The first window began before the run did: it is only partly filled, but still due at
      // its end + delay; windows are counted from the first whole one.
      if (end < 0 || end - 1000 < start_ms) continue;
      ++rows;
      first_arrival.emplace(end, arrival);
    }
    ChildResult r = child->Stop(SIGINT);  // rows written after this are the shutdown's: ignored
    const double ran_s = MonotonicSeconds() - t0;
    std::vector<double> lat;
    for (const auto& [end, arrival] : first_arrival) {
      lat.push_back(static_cast<double>(arrival - (end + kWatermarkMs)));
    }
    const auto sum = ParseSummary(r.err);
    const double achieved =
        static_cast<double>(sum.count("input_records") ? sum.at("input_records") : 0) / ran_s;
    t.rows.push_back({FormatRate(static_cast<double>(rate)), FormatRate(achieved),
                      std::to_string(lat.size()), std::to_string(rows),
                      FormatFixed(Percentile(lat, 50), 0), FormatFixed(Percentile(lat, 99), 0),
                      FormatFixed(Percentile(lat, 100), 0)});
    if (!lat.empty()) {
      p50.points.emplace_back(static_cast<double>(rate), Percentile(lat, 50));
      p99.points.emplace_back(static_cast<double>(rate), Percentile(lat, 99));
    }
  }
  plot.series = {std::move(p50), std::move(p99)};
  s.Text(fmt::format(
      "Definition. The generator source's event time follows the wall clock: it starts at the "
      "time the run starts and advances 1000/R ms per record at R records/s. The watermark is "
      "max event time - {} ms, so a window [s, e) is due when the watermark passes e, at wall "
      "time e + {} ms. The query is Q2 with 1-second windows and no HAVING (so that every "
      "window has rows, and a {:.0f} s run has many windows); the sink is `jsonl:-`, a pipe read "
      "by the bench, which stamps each row with the wall clock on arrival. A window's latency = "
      "arrival of its first row - its due time; p50/p99/max are over the whole windows of the "
      "run. The trigger is {}: a due window waits for the next trigger, so latency includes up to "
      "one trigger interval. If the generator cannot keep up with the target rate (achieved < "
      "target), event time falls behind the wall clock and the latency includes that lag. "
      "Negative values would mean the generator ran ahead of the clock.",
      kWatermarkMs, kWatermarkMs, seconds, kTrigger));
  s.AddTable(std::move(t)).AddPlot(std::move(plot)).Commands(ctx.TakeCommands());
}

}  // namespace sluice::bench
