// `sluice bench`: the performance and scalability report of the lab, written by one command.
// Every figure comes from a child process of this binary (or a peer: wc, DuckDB, raw
// librdkafka) run with the exact command line the report prints, so a reader can rerun any of
// them by hand. docs/performance.md explains how to read the report.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace sluice::bench {

struct BenchOptions {
  std::string out_dir;   // report.md and report.html go here
  std::string work_dir;  // generated inputs, checkpoints, outputs (removed unless keep_work)
  std::string sluice;    // this binary, as a path the children can run
  bool quick = false;    // small inputs and short runs: about 2 minutes
  bool keep_work = false;
  int max_threads = 0;        // 1..this in the thread sweep (0: the machine's cores)
  int max_processes = 0;      // 1..this in the scale-out sweep (0: the machine's cores, at least 2)
  std::string kafka_consume;  // raw librdkafka peer; "" = look beside this binary and in PATH
  std::string duckdb_node_modules;  // a node_modules with @duckdb/node-api; "" = look (see .cc)
  std::string command_line;         // how bench itself was started, for the report
  std::vector<std::string> only;    // section names (kBenchSectionNames) to run; empty: all
};

// The sections `--only` can name, in report order ("kafka" includes the scale-out section).
inline const std::vector<std::string> kBenchSectionNames = {"file",       "size",  "state",
                                                            "checkpoint", "kafka", "latency"};

// Runs every section and writes out_dir/report.md and out_dir/report.html. A section that
// cannot run (a peer missing, the broker failing) is reported as skipped with the reason; only
// a failure to write the report or to run sluice itself is an error.
[[nodiscard]] Status RunBench(const BenchOptions& options);

}  // namespace sluice::bench
