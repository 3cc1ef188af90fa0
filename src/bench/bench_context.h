// What the sections of `sluice bench` share: the options, the report being built, the child
// processes they run (each recorded as the exact command line of its section) and the generated
// input files (made once, reused by every section). Used by the bench thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/bench_suite.h"
#include "bench/child_process.h"
#include "bench/report.h"

namespace sluice::bench {

// The lab's two queries (docs/sql.md), as the report and the shell benches spell them.
extern const char* const kQ1;
extern const char* const kQ2;
// A projection whose WHERE keeps about 10 % of the generator's records (statuses 404 and 500).
extern const char* const kProjection;

class BenchContext {
 public:
  explicit BenchContext(BenchOptions options);

  const BenchOptions& options() const { return options_; }
  Report& report() { return report_; }
  int threads() const { return max_threads_; }

  // argv that runs this binary: {sluice, args...}.
  std::vector<std::string> Sluice(std::vector<std::string> args) const;
  // Runs argv once (stdout to `stdout_path`), records its command line for the section.
  Result<ChildResult> Run(const std::vector<std::string>& argv,
                          const std::string& stdout_path = "/dev/null");
  // The run with the lowest wall time of `n` (each recorded once: the same command line).
  Result<ChildResult> Best(const std::vector<std::string>& argv, int n,
                           const std::string& stdout_path = "/dev/null");
  // The run with the median wall time of n; `clear_dir` is removed before each run.
  Result<ChildResult> Median(const std::vector<std::string>& argv, int n,
                             const std::string& stdout_path = "/dev/null",
                             const std::string& clear_dir = "");
  // Records a command line run some other way (a background child); stdout_path other than
  // /dev/null is shown as a redirection.
  void Record(const std::vector<std::string>& argv, const std::string& stdout_path = "/dev/null");
  // Command lines recorded since the last call, as a person would type them.
  std::vector<std::string> TakeCommands();

  // A JSON-lines file of `records` generated records (seed 3, jitter 5 s, fixed start), made
  // once; `extra` generator flags make a different file.
  Result<std::string> InputFile(int64_t records, const std::vector<std::string>& extra = {});
  std::string WorkPath(const std::string& name) const;

  // A peer or section that could not run, for the report's list.
  void Skipped(const std::string& what, const std::string& why);
  const std::vector<std::string>& skipped() const { return skipped_; }
  void Progress(const std::string& line) const;

 private:
  // n runs of argv sorted by wall time (`clear_dir` removed before each); a run that exits
  // non-zero ends it and is returned alone.
  Result<std::vector<ChildResult>> SortedRuns(const std::vector<std::string>& argv, int n,
                                              const std::string& stdout_path,
                                              const std::string& clear_dir);
  BenchOptions options_;
  Report report_;
  int max_threads_ = 1;
  std::vector<std::string> commands_;
  std::map<std::string, std::string> files_;  // generator flags -> path
  std::vector<std::string> skipped_;
};

// The "summary key=value ..." line that `sluice run` prints on stderr, as numbers; empty if
// there is none.
std::map<std::string, int64_t> ParseSummary(const std::string& err);
// Percentile (0..100) of values, nearest rank; NaN when empty.
double Percentile(std::vector<double> values, double p);

// Sections, in report order (each adds one or more sections to the report).
void MachineSection(BenchContext& ctx);
void FileThroughputSection(BenchContext& ctx);
void InputSizeSection(BenchContext& ctx);
void StateMemorySection(BenchContext& ctx);
void CheckpointSection(BenchContext& ctx);
// The Kafka path against raw librdkafka, then processes 1..N in one consumer group, on one
// `sluice dev-kafka` broker.
void KafkaSections(BenchContext& ctx);
void LatencySection(BenchContext& ctx);

}  // namespace sluice::bench
