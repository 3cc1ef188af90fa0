// `sluice bench --out DIR [--quick]`: the performance and scalability report (src/bench/).
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>

#include "bench/bench_suite.h"
#include "cli/commands.h"
#include "cli/query_flags.h"

namespace sluice::cli {

void AddBenchCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "bench",
      "Measure throughput, scaling, latency, memory and checkpoints; write DIR/report.md and "
      "DIR/report.html.\nExample: sluice bench --out bench-report --quick");
  struct Flags {
    std::string out;
    bool quick = false;
    bool keep_work = false;
    int threads = 0;
    int processes = 0;
    std::string work;
    std::string kafka_consume;
    std::string duckdb;
    std::vector<std::string> only;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("--out", f->out, "directory for report.md and report.html")->required();
  cmd->add_flag("--quick", f->quick, "small inputs and short runs (about 2 minutes)");
  cmd->add_option("--threads", f->threads, "thread sweep 1..N (default: one per core)");
  cmd->add_option("--processes", f->processes,
                  "scale-out sweep 1..N processes (default: one per core, at least 2)");
  cmd->add_option("--work-dir", f->work, "where inputs and checkpoints go (default: OUT/work)");
  cmd->add_flag("--keep-work", f->keep_work, "keep the work directory");
  cmd->add_option("--kafka-consume", f->kafka_consume,
                  "the raw librdkafka peer (default: kafka_consume beside sluice, else in PATH)");
  cmd->add_option("--duckdb-node-modules", f->duckdb,
                  "a node_modules directory holding @duckdb/node-api (default: "
                  "$SLUICE_BENCH_NODE_MODULES, else $NODE_PATH)");
  cmd->add_option("--only", f->only,
                  "run only these sections (comma-separated): file, size, state, checkpoint, "
                  "kafka (with scale-out), latency; the report then holds just those")
      ->delimiter(',')
      ->check(CLI::IsMember(bench::kBenchSectionNames));
  cmd->callback([f, &exit_code] {
    bench::BenchOptions o;
    o.out_dir = std::filesystem::absolute(f->out).string();
    o.work_dir =
        f->work.empty() ? o.out_dir + "/work" : std::filesystem::absolute(f->work).string();
    o.quick = f->quick;
    o.keep_work = f->keep_work;
    o.max_threads = f->threads;
    o.max_processes = f->processes;
    o.kafka_consume = f->kafka_consume;
    o.duckdb_node_modules = f->duckdb;
    o.only = f->only;
    char self[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    o.sluice = n > 0 ? std::string(self, static_cast<size_t>(n)) : "sluice";
    o.command_line = "sluice bench --out " + f->out + (f->quick ? " --quick" : "") +
                     (f->threads ? " --threads " + std::to_string(f->threads) : "") +
                     (f->processes ? " --processes " + std::to_string(f->processes) : "");
    for (size_t i = 0; i < f->only.size(); ++i)
      o.command_line += (i ? "," : " --only ") + f->only[i];
    exit_code = 0;
    const Status st = bench::RunBench(o);
    if (!st.ok()) exit_code = Fail(st);
  });
}

}  // namespace sluice::cli
