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
#include <thread>

#include "bench/bench_context.h"
#include "bench/dev_kafka_child.h"
#include "common/clock.h"

namespace sluice::bench {
namespace {

constexpr int64_t kWatermarkMs = 2000;
constexpr const char* kTrigger = "200ms";
// The Kafka runs: the case, `sluice gen` into dev-kafka at this rate.
constexpr int64_t kKafkaRate = 200'000;
constexpr int kKafkaPartitions = 4;
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

// What one latency run measured.
struct LatencyRun {
  std::vector<double> latency_ms;  // per whole window
  int64_t rows = 0;
  double achieved = 0;  // records/s sluice read
};

// Reads the sink's pipe of a running `sluice run` for `seconds`, then stops it with SIGINT (rows
// written after that are the shutdown's: ignored). Windows that began before `start_ms` (the
// input's first event time) are only partly filled and left out.
LatencyRun Measure(RunningChild& child, int64_t start_ms, double seconds) {
  LatencyRun run;
  const double t0 = MonotonicSeconds();
  std::map<int64_t, int64_t> first_arrival;  // window end -> first row's arrival
  std::string line;
  while (MonotonicSeconds() - t0 < seconds) {
    if (!child.ReadLine(line, 100)) {
      if (child.eof()) break;
      continue;
    }
    const int64_t arrival = SystemClock::Default().NowMs();
    const int64_t end = WindowEndMs(line);
    if (end < 0 || end - 1000 < start_ms) continue;
    ++run.rows;
    first_arrival.emplace(end, arrival);
  }
  ChildResult r = child.Stop(SIGINT);
  const double ran_s = MonotonicSeconds() - t0;
  for (const auto& [end, arrival] : first_arrival) {
    run.latency_ms.push_back(static_cast<double>(arrival - (end + kWatermarkMs)));
  }
  const auto sum = ParseSummary(r.err);
  run.achieved =
      static_cast<double>(sum.count("input_records") ? sum.at("input_records") : 0) / ran_s;
  return run;
}

std::vector<std::string> Row(const std::string& source, int64_t rate, const std::string& trigger,
                             const LatencyRun& run) {
  const auto& lat = run.latency_ms;
  return {source,
          FormatRate(static_cast<double>(rate)),
          trigger,
          FormatRate(run.achieved),
          std::to_string(lat.size()),
          std::to_string(run.rows),
          FormatFixed(Percentile(lat, 50), 0),
          FormatFixed(Percentile(lat, 99), 0),
          FormatFixed(Percentile(lat, 100), 0)};
}

// `sluice gen` into a topic of the dev-kafka broker at `bootstrap` at kKafkaRate, `sluice run`
// reading it from its end, once per trigger; a row of `t` each.
void KafkaLatencyRuns(BenchContext& ctx, const std::string& bootstrap, double seconds,
                      const std::vector<std::string>& triggers, Table& t) {
  const std::string url = "kafka://" + bootstrap + "/lat";
  for (const std::string& trigger : triggers) {
    ctx.Progress(fmt::format("latency from dev-kafka at {} records/s, --trigger {}, for {:.0f} s",
                             kKafkaRate, trigger, seconds));
    const auto run_argv = ctx.Sluice(
        {"run", "--source", url, "--watermark", fmt::format("{}ms", kWatermarkMs), "--trigger",
         trigger, "--threads", std::to_string(ctx.threads()), "--sink", "jsonl:-", kLatencyQuery});
    const auto gen_argv =
        ctx.Sluice({"gen", "--to", url, "--rate", std::to_string(kKafkaRate), "--key", "user_id"});
    ctx.Record(run_argv);
    ctx.Record(gen_argv);
    auto child = RunningChild::Start(run_argv, RunningChild::Stdout::kPipe);
    if (!child.ok()) continue;
    // The consumer starts at the end of the topic: let it connect before the records come.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto gen = RunningChild::Start(gen_argv, RunningChild::Stdout::kDevNull);
    if (!gen.ok()) continue;
    const LatencyRun run = Measure(*child, SystemClock::Default().NowMs(), seconds);
    gen->Stop(SIGINT);
    t.rows.push_back(
        Row(fmt::format("dev-kafka, {} partitions", kKafkaPartitions), kKafkaRate, trigger, run));
  }
}

}  // namespace

void LatencySection(BenchContext& ctx) {
  const bool quick = ctx.options().quick;
  const std::vector<int64_t> rates = quick
                                         ? std::vector<int64_t>{10'000, 100'000}
                                         : std::vector<int64_t>{10'000, 60'000, 200'000, 1'000'000};
  const double seconds = quick ? 10 : 30;
  const std::string threads = std::to_string(ctx.threads());
  const std::string watermark = fmt::format("{}ms", kWatermarkMs);
  Section& s = ctx.report().Add("Latency: window due to row at the sink");
  Table t{{"source", "target records/s", "trigger", "achieved records/s", "windows", "rows",
           "p50 ms", "p99 ms", "max ms"},
          {}};
  Plot plot{
      "plot-latency", "Latency by input rate (generator source)", "records/s (target)", "ms", {}};
  Plot::Series p50{"p50", {}}, p99{"p99", {}};
  for (int64_t rate : rates) {
    ctx.Progress(fmt::format("latency at {} records/s for {:.0f} s", rate, seconds));
    const auto argv =
        ctx.Sluice({"run", "--rate", std::to_string(rate), "--watermark", watermark, "--trigger",
                    kTrigger, "--threads", threads, "--sink", "jsonl:-", kLatencyQuery});
    ctx.Record(argv);
    auto child = RunningChild::Start(argv, RunningChild::Stdout::kPipe);
    if (!child.ok()) continue;
    const LatencyRun run = Measure(*child, SystemClock::Default().NowMs(), seconds);
    t.rows.push_back(Row("generator", rate, kTrigger, run));
    if (!run.latency_ms.empty()) {
      p50.points.emplace_back(static_cast<double>(rate), Percentile(run.latency_ms, 50));
      p99.points.emplace_back(static_cast<double>(rate), Percentile(run.latency_ms, 99));
    }
  }
  plot.series = {std::move(p50), std::move(p99)};

  // The lab's pipeline: `sluice gen` into a dev-kafka topic at kKafkaRate, sluice reading it.
  const double kafka_seconds = quick ? 8 : 30;
  const std::vector<std::string> kafka_triggers =
      quick ? std::vector<std::string>{"0s"} : std::vector<std::string>{"0s", "100ms"};
  const std::string topic = fmt::format("lat:{}", kKafkaPartitions);
  if (auto broker = DevKafkaChild::Start(ctx, {topic}); !broker.ok()) {
    ctx.Skipped("latency from Kafka", broker.status().message());
  } else {
    KafkaLatencyRuns(ctx, (*broker)->bootstrap(), kafka_seconds, kafka_triggers, t);
  }
  s.Text(fmt::format(
      "Definition. The generator's event time follows the wall clock: it starts at the time the "
      "generator starts and advances 1000/R ms per record at R records/s. The watermark is max "
      "event time - {0} ms, so a window [s, e) is due when the watermark passes e, at wall time "
      "e + {0} ms. The query is Q2 with 1-second windows and no HAVING (so that every window has "
      "rows, and a {1:.0f} s run has many windows); the sink is `jsonl:-`, a pipe read by the "
      "bench, which stamps each row with the wall clock on arrival. A window's latency = arrival "
      "of its first row - its due time; p50/p99/max are over the whole windows of the run. "
      "`generator` rows use the built-in generator source with trigger {2}: a due window waits "
      "for the next trigger, so latency includes up to one trigger interval. `dev-kafka` rows "
      "are the lab's pipeline: `sluice gen --rate {3}` (keyed by user_id) into a {4}-partition "
      "topic of a `sluice dev-kafka` child, `sluice run` reading it from its end; latency then "
      "also holds the producer's batching (linger.ms 10) and the broker's round trip. If the "
      "generator cannot keep up with the target rate (achieved < target), event time falls "
      "behind the wall clock and the latency includes that lag. Negative values would mean the "
      "generator ran ahead of the clock.",
      kWatermarkMs, seconds, kTrigger, kKafkaRate, kKafkaPartitions));
  s.AddTable(std::move(t)).AddPlot(std::move(plot)).Commands(ctx.TakeCommands());
}

}  // namespace sluice::bench
