// The Kafka sections of `sluice bench`: `sluice run` over a topic of the local `sluice dev-kafka`
// broker against raw librdkafka consumption of the same topic (bench/kafka_consume.cc), then
// 1..N `sluice run --group-id` processes splitting the topic.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/bench_context.h"
#include "bench/dev_kafka_child.h"

namespace sluice::bench {
namespace {

constexpr int kPartitions = 6;

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

}  // namespace

void KafkaSections(BenchContext& ctx) {
  const bool quick = ctx.options().quick;
  const int64_t n = quick ? 200'000 : 600'000;
  Section& s = ctx.report().Add("Kafka: sluice against raw librdkafka consumption");
  auto broker = DevKafkaChild::Start(
      ctx, {fmt::format("logs:{}", kPartitions), fmt::format("empty:{}", kPartitions)});
  if (!broker.ok()) {
    ctx.Skipped("Kafka sections", broker.status().message());
    s.Text("Not measured: " + broker.status().message());
    return;
  }
  const std::string bs = (*broker)->bootstrap();
  auto gen =
      ctx.Run(ctx.Sluice({"gen", "--to", "kafka://" + bs + "/logs", "--count", std::to_string(n),
                          "--rate", "max", "--key", "user_id", "--start", "2026-01-27T18:00:00Z",
                          "--seed", "3", "-X", "compression.type=zstd"}));
  if (!gen.ok() || gen->exit_code != 0) {
    s.Text("Not measured: `sluice gen` could not fill the topic.");
    return;
  }
  Table t{{"run", "seconds (whole process)", "records read", "records/s", "vs raw librdkafka",
           "peak RSS MiB"},
          {}};
  double raw_rate = 0;
  const std::string consumer = FindKafkaConsume(ctx.options());
  if (consumer.empty()) {
    ctx.Skipped("raw librdkafka consumption (kafka_consume)",
                "not found beside this binary or in PATH (build it: cmake --build build --target "
                "kafka_consume)");
  } else {
    const std::string out = ctx.WorkPath("kafka_consume.out");
    auto r = ctx.Best({consumer, bs, "logs"}, 3, out);
    if (r.ok() && r->exit_code == 0) {
      std::ifstream in(out);
      long long records = 0;
      in >> records;
      raw_rate = static_cast<double>(records) / r->wall_s;
      t.rows.push_back({"raw librdkafka (`kafka_consume`)", FormatFixed(r->wall_s, 3),
                        std::to_string(records), FormatRate(raw_rate), "1.00",
                        FormatFixed(static_cast<double>(r->peak_rss_kib) / 1024.0, 0)});
    }
  }
  for (const char* q : {"Q1", "Q2"}) {
    auto r = ctx.Best(ctx.Sluice({"run", "--source", "kafka://" + bs + "/logs",
                                  "--starting-offsets", "earliest", "--trigger", "available-now",
                                  "--watermark", "30s", "--threads", std::to_string(ctx.threads()),
                                  "--sink", "jsonl:/dev/null", q == std::string("Q1") ? kQ1 : kQ2}),
                      3);
    if (!r.ok() || r->exit_code != 0) continue;
    const int64_t read = ParseSummary(r->err)["input_records"];
    const double rate = static_cast<double>(read) / r->wall_s;
    t.rows.push_back({std::string("sluice run ") + q, FormatFixed(r->wall_s, 3),
                      std::to_string(read), FormatRate(rate),
                      raw_rate > 0 ? FormatFixed(rate / raw_rate, 2) : "n/a",
                      FormatFixed(static_cast<double>(r->peak_rss_kib) / 1024.0, 0)});
  }
  s.Text(fmt::format(
      "{} records (zstd, keyed by user_id) in a {}-partition topic of `sluice dev-kafka` "
      "(librdkafka's "
      "mock cluster, in a child process on this machine). Both readers are timed as whole "
      "processes: connect, metadata, read every partition to its end, exit; best of 3. `sluice "
      "run` uses `--trigger available-now` and {} threads.",
      n, kPartitions, ctx.threads()));
  s.AddTable(std::move(t)).Commands(ctx.TakeCommands());

  // Scale-out: processes 1..N in one group, state keyed by partition (no exchange) and, in the
  // full run, with the exchange of partial aggregates.
  Section& so = ctx.report().Add("Scale-out: processes in one consumer group");
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
