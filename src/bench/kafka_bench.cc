// The Kafka sections of `sluice bench`: `sluice run` over a topic of the local `sluice dev-kafka`
// broker against raw librdkafka consumption of the same topic (bench/kafka_consume.cc), then
// 1..N `sluice run --group-id` processes splitting the topic.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/bench_context.h"
#include "bench/dev_kafka_child.h"

namespace sluice::bench {
namespace {

constexpr int kPartitions = 6;  // of the scale-out topic
constexpr const char* kCountQuery = "SELECT count(*) AS n FROM logs";

std::string FindKafkaConsume(const BenchOptions& o) {
  if (!o.kafka_consume.empty()) return FindInPath(o.kafka_consume);
  const std::string beside =
      std::filesystem::path(o.sluice).parent_path().string() + "/kafka_consume";
  if (access(beside.c_str(), X_OK) == 0) return beside;
  return FindInPath("kafka_consume");
}

struct GroupRun {
  double wall_s = 0;
  double cpu_s = 0;
  int64_t input = 0;
  int64_t out_rows = 0;
  int64_t peak_rss_kib = 0;  // the largest of the processes
  bool ok = true;
};

// n processes of one new group started together; wall until the last one exits.
GroupRun RunGroup(BenchContext& ctx, const std::string& bs, const std::string& topic, int n,
                  const std::vector<std::string>& extra, int run_no) {
  const std::string dir = ctx.WorkPath(fmt::format("group{}", run_no));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<std::string> args = {"run",
                                   "--source",
                                   "kafka://" + bs + "/" + topic,
                                   "--group-id",
                                   fmt::format("bench-{}-{}", getpid(), run_no),
                                   "--checkpoint",
                                   dir + "/ckpt",
                                   "--sink",
                                   "jsonl:" + dir + "/out/",
                                   "--starting-offsets",
                                   "earliest",
                                   "--trigger",
                                   "available-now",
                                   "--threads",
                                   "1",
                                   "--watermark",
                                   "30s"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(kQ2);
  const auto argv = ctx.Sluice(args);
  ctx.Record(argv);
  GroupRun g;
  const double t0 = MonotonicSeconds();
  std::vector<RunningChild> procs;
  for (int i = 0; i < n; ++i) {
    auto c = RunningChild::Start(argv, RunningChild::Stdout::kDevNull);
    if (!c.ok()) return GroupRun{0, 0, 0, 0, 0, false};
    procs.push_back(std::move(*c));
  }
  double last_exit = t0;
  for (bool any = true; any;) {
    any = false;
    for (auto& p : procs) {
      if (p.running()) any = true;
    }
    if (any && MonotonicSeconds() - t0 > 120) break;  // reported as a failed run below
    if (any) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    last_exit = MonotonicSeconds();
  }
  g.wall_s = last_exit - t0;
  for (auto& p : procs) {
    ChildResult r = p.Stop(SIGKILL);
    g.ok = g.ok && r.exit_code == 0;
    g.cpu_s += r.cpu_s;
    g.peak_rss_kib = std::max(g.peak_rss_kib, r.peak_rss_kib);
    g.input += ParseSummary(r.err)["member_input_records"];
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir + "/out", ec);
       it != std::filesystem::directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '_' || name[0] == '.') continue;
    std::ifstream in(it->path());
    std::string line;
    while (std::getline(in, line)) g.out_rows += line.empty() ? 0 : 1;
  }
  return g;
}

// Fills `topic` with the bench's `n` records (zstd, keyed by user_id, seed 3).
bool FillTopic(BenchContext& ctx, const std::string& bs, const std::string& topic, int64_t n) {
  auto gen =
      ctx.Run(ctx.Sluice({"gen", "--to", "kafka://" + bs + "/" + topic, "--count",
                          std::to_string(n), "--rate", "max", "--key", "user_id", "--start",
                          "2026-01-27T18:00:00Z", "--seed", "3", "-X", "compression.type=zstd"}));
  return gen.ok() && gen->exit_code == 0;
}

// One reader of the throughput table over its runs: records/s and records read per run.
struct Reader {
  std::string name;
  std::vector<std::string> argv;
  std::vector<double> rates;
  std::vector<int> rounds;  // the round of each rate (a failed run has none)
  std::vector<int64_t> read;
  std::vector<double> rss_mib;
};

// "1.23 M–1.40 M" (FormatRate) or "0.81–0.93" (ratios) over `values`.
std::string Spread(std::vector<double> values, bool rate) {
  if (values.empty()) return "";
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return rate ? FormatRate(*lo) + " – " + FormatRate(*hi)
              : FormatFixed(*lo, 2) + " – " + FormatFixed(*hi, 2);
}

// sluice run (the cheap count, Q1, Q2) against kafka_consume over a topic of `partitions`,
// `runs` rounds of every reader one after the other, so that each round's ratios compare runs
// made under the same load; rows of the table `t`.
void ThroughputRuns(BenchContext& ctx, const std::string& bs, int partitions, int64_t n, int runs,
                    const std::string& consumer, Table& t) {
  const std::string topic = fmt::format("t{}", partitions);
  if (!FillTopic(ctx, bs, topic, n)) {
    t.rows.push_back({std::to_string(partitions), "`sluice gen` could not fill the topic"});
    return;
  }
  const std::string out = ctx.WorkPath("kafka_consume.out");
  std::vector<Reader> readers;
  if (!consumer.empty())
    readers.push_back({"raw librdkafka (`kafka_consume`)", {consumer, bs, topic}});
  for (const auto& [name, sql] : std::vector<std::pair<std::string, std::string>>{
           {"sluice run `SELECT count(*)`", kCountQuery},
           {"sluice run Q1", kQ1},
           {"sluice run Q2", kQ2}}) {
    readers.push_back(
        {name,
         ctx.Sluice({"run", "--source", "kafka://" + bs + "/" + topic, "--starting-offsets",
                     "earliest", "--trigger", "available-now", "--watermark", "30s", "--threads",
                     std::to_string(ctx.threads()), "--sink", "jsonl:/dev/null", sql})});
  }
  for (const Reader& r : readers) {
    ctx.Record(r.argv, !consumer.empty() && &r == &readers[0] ? out : "/dev/null");
  }
  for (int i = 0; i < runs; ++i) {
    for (Reader& r : readers) {
      const bool raw = !consumer.empty() && &r == &readers[0];
      auto res = RunChild(r.argv, ChildOutput{raw ? out : "/dev/null"});
      if (!res.ok() || res->exit_code != 0) {
        ctx.Progress("  failed: " + ShellQuote(r.argv) + (res.ok() ? "\n" + res->err : ""));
        continue;
      }
      int64_t read = 0;
      if (raw) {
        std::ifstream in(out);
        long long records = 0;
        in >> records;
        read = records;
      } else {
        read = ParseSummary(res->err)["input_records"];
      }
      r.rates.push_back(static_cast<double>(read) / res->wall_s);
      r.rounds.push_back(i);
      r.read.push_back(read);
      r.rss_mib.push_back(static_cast<double>(res->peak_rss_kib) / 1024.0);
    }
  }
  for (const Reader& r : readers) {
    if (r.rates.empty()) {
      t.rows.push_back({std::to_string(partitions), r.name, "failed"});
      continue;
    }
    // A ratio pairs the runs of one round; a round where either run failed has none.
    std::vector<double> ratios;
    const Reader& raw = readers[0];
    for (size_t i = 0; !consumer.empty() && i < r.rates.size(); ++i) {
      const auto at = std::find(raw.rounds.begin(), raw.rounds.end(), r.rounds[i]);
      if (at == raw.rounds.end()) continue;
      ratios.push_back(r.rates[i] / raw.rates[static_cast<size_t>(at - raw.rounds.begin())]);
    }
    const auto [lo, hi] = std::minmax_element(r.read.begin(), r.read.end());
    t.rows.push_back(
        {std::to_string(partitions), r.name, FormatRate(Percentile(r.rates, 50)),
         Spread(r.rates, true), ratios.empty() ? "n/a" : FormatFixed(Percentile(ratios, 50), 2),
         Spread(ratios, false), *lo == *hi ? std::to_string(*lo) : fmt::format("{} – {}", *lo, *hi),
         FormatFixed(Percentile(r.rss_mib, 50), 0)});
  }
}

}  // namespace

void KafkaSections(BenchContext& ctx) {
  const bool quick = ctx.options().quick;
  const int64_t n = quick ? 200'000 : 600'000;
  const int runs = quick ? 3 : 5;
  Section& s = ctx.report().Add("Kafka: sluice against raw librdkafka consumption");
  auto broker = DevKafkaChild::Start(
      ctx, {fmt::format("logs:{}", kPartitions), fmt::format("empty:{}", kPartitions),
            fmt::format("t4:{}", 4), fmt::format("t16:{}", 16)});
  if (!broker.ok()) {
    ctx.Skipped("Kafka sections", broker.status().message());
    s.Text("Not measured: " + broker.status().message());
    return;
  }
  const std::string bs = (*broker)->bootstrap();
  const std::string consumer = FindKafkaConsume(ctx.options());
  if (consumer.empty()) {
    ctx.Skipped("raw librdkafka consumption (kafka_consume)",
                "not found beside this binary or in PATH (build it: cmake --build build --target "
                "kafka_consume)");
  }
  Table t{{"partitions", "run", "records/s (median)", "records/s min – max", "vs raw (median)",
           "vs raw min – max", "records read", "peak RSS MiB"},
          {}};
  for (int partitions : {4, 16}) {
    ctx.Progress(fmt::format("Kafka: {} partitions, {} rounds", partitions, runs));
    ThroughputRuns(ctx, bs, partitions, n, runs, consumer, t);
  }
  s.Text(fmt::format(
      "{} records (zstd, keyed by user_id) in a topic of 4 and one of 16 partitions of `sluice "
      "dev-kafka` (librdkafka's mock cluster, in a child process on this machine). Every reader "
      "is timed as a whole process: connect, metadata, read every partition to its end, exit. "
      "{} rounds, each running every reader once in turn; `vs raw` is a round's sluice records/s "
      "over the same round's raw records/s, so the ratio compares runs made under the same load "
      "(median and spread over the rounds). `sluice run` uses `--trigger available-now` and {} "
      "threads; `SELECT count(*)` shows what reading and parsing the records costs with next to "
      "no query work.",
      n, runs, ctx.threads()));
  s.AddTable(std::move(t)).Commands(ctx.TakeCommands());

  // Scale-out: processes 1..N in one group, state keyed by partition (no exchange) and, in the
  // full run, with the exchange of partial aggregates. Its commands start with the topic's fill.
  Section& so = ctx.report().Add("Scale-out: processes in one consumer group");
  if (!FillTopic(ctx, bs, "logs", n)) {
    ctx.Skipped("scale-out", "`sluice gen` could not fill the topic");
    so.Text("Not measured: `sluice gen` could not fill the topic.");
    return;
  }
  const int max_procs =
      ctx.options().max_processes > 0 ? ctx.options().max_processes : std::max(2, ctx.threads());
  struct Case {
    std::string name;
    std::vector<std::string> extra;
  };
  std::vector<Case> cases = {
      {"Q2 `--partitioned-by user_id` (no exchange)", {"--partitioned-by", "user_id"}}};
  if (!quick) cases.push_back({"Q2 with the exchange", {}});
  Table st{{"query", "processes", "wall s (start to last exit)", "fixed s (empty topic)",
            "records/s over wall", "CPU µs per record", "input records", "output rows",
            "largest peak RSS MiB"},
           {}};
  Plot plot{"plot-scaleout", "Group mode: wall seconds by processes", "processes", "seconds", {}};
  int run_no = 0;
  for (const auto& c : cases) {
    Plot::Series series{c.name, {}};
    for (int p = 1; p <= std::min(max_procs, kPartitions); ++p) {
      ctx.Progress(fmt::format("scale-out: {} with {} process(es)", c.name, p));
      std::string fixed;
      double empty_cpu = 0;
      if (!quick) {
        GroupRun e = RunGroup(ctx, bs, "empty", p, c.extra, ++run_no);
        fixed = FormatFixed(e.wall_s, 2);
        empty_cpu = e.cpu_s;
      }
      GroupRun g = RunGroup(ctx, bs, "logs", p, c.extra, ++run_no);
      if (!g.ok) {
        st.rows.push_back({c.name, std::to_string(p), "failed (a process did not exit 0)", "", "",
                           "", "", "", ""});
        continue;
      }
      st.rows.push_back({c.name, std::to_string(p), FormatFixed(g.wall_s, 2), fixed,
                         FormatRate(static_cast<double>(n) / g.wall_s),
                         FormatFixed((g.cpu_s - empty_cpu) / static_cast<double>(n) * 1e6, 2),
                         std::to_string(g.input), std::to_string(g.out_rows),
                         FormatFixed(static_cast<double>(g.peak_rss_kib) / 1024.0, 0)});
      series.points.emplace_back(p, g.wall_s);
    }
    plot.series.push_back(std::move(series));
  }
  so.Text(fmt::format(
      "1 to {} `sluice run --group-id` processes (a fresh group, checkpoint and output directory "
      "each; `--trigger available-now --threads 1`) started together on the same {}-record topic, "
      "timed until the last one exits. Every configuration should read every record once "
      "(input records = {}) and write the same output rows. The wall time here is dominated by "
      "fixed costs of the mock broker (a new group's first assignment waits about 3 s; creating "
      "the exchange's topic times out after 3 s){}; the CPU per record is the figure that "
      "scales: N machines would do about N / (CPU µs per record) million records/s, up to the "
      "{} partitions. On a machine with few cores, processes beyond the cores compete for them "
      "(docs/scaling.md).",
      std::min(max_procs, kPartitions), n, n,
      quick ? ""
            : "; `fixed s` is the same processes on an empty topic, and CPU per record is "
              "counted above that run",
      kPartitions));
  so.AddTable(std::move(st)).AddPlot(std::move(plot)).Commands(ctx.TakeCommands());
}

}  // namespace sluice::bench
