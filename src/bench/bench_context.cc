#include "bench/bench_context.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace sluice::bench {

const char* const kQ1 =
    "SELECT source_ip, count(*) AS match_count FROM logs WHERE lower(content) LIKE "
    "'%vulnerability%' AND severity = 'High' GROUP BY source_ip ORDER BY match_count DESC";
const char* const kQ2 =
    "SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS "
    "crash_count FROM logs WHERE lower(content) LIKE '%crash%' AND severity IN ('High', "
    "'Critical') GROUP BY window(timestamp, '10 seconds'), user_id HAVING count(*) > 2";
const char* const kProjection =
    "SELECT timestamp, user_id, severity, content FROM logs WHERE status IN ('404', '500')";

BenchContext::BenchContext(BenchOptions options) : options_(std::move(options)) {
  const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  max_threads_ = options_.max_threads > 0 ? options_.max_threads : cores;
}

std::vector<std::string> BenchContext::Sluice(std::vector<std::string> args) const {
  args.insert(args.begin(), options_.sluice);
  return args;
}

void BenchContext::Record(const std::vector<std::string>& argv, const std::string& stdout_path) {
  std::vector<std::string> shown = argv;
  if (!shown.empty() && shown[0] == options_.sluice) shown[0] = "sluice";
  std::string line = ShellQuote(shown);
  if (stdout_path != "/dev/null") line += " > " + ShellQuote({stdout_path});
  if (commands_.empty() || commands_.back() != line) commands_.push_back(std::move(line));
}

std::vector<std::string> BenchContext::TakeCommands() { return std::exchange(commands_, {}); }

Result<ChildResult> BenchContext::Run(const std::vector<std::string>& argv,
                                      const std::string& stdout_path) {
  Record(argv, stdout_path);
  auto r = RunChild(argv, ChildOutput{stdout_path});
  if (r.ok() && r->exit_code != 0) {
    Progress(fmt::format("  exit {} from: {}\n{}", r->exit_code, ShellQuote(argv), r->err));
  }
  return r;
}

Result<std::vector<ChildResult>> BenchContext::SortedRuns(const std::vector<std::string>& argv,
                                                          int n, const std::string& stdout_path,
                                                          const std::string& clear_dir) {
  std::vector<ChildResult> runs;
  for (int i = 0; i < n; ++i) {
    if (!clear_dir.empty()) std::filesystem::remove_all(clear_dir);
    auto r = Run(argv, stdout_path);
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) return std::vector<ChildResult>{std::move(*r)};  // the failed run
    runs.push_back(std::move(*r));
  }
  std::sort(runs.begin(), runs.end(),
            [](const ChildResult& a, const ChildResult& b) { return a.wall_s < b.wall_s; });
  return runs;
}

Result<ChildResult> BenchContext::Best(const std::vector<std::string>& argv, int n,
                                       const std::string& stdout_path) {
  auto runs = SortedRuns(argv, n, stdout_path, "");
  if (!runs.ok()) return runs.status();
  return runs->front();
}

Result<ChildResult> BenchContext::Median(const std::vector<std::string>& argv, int n,
                                         const std::string& stdout_path,
                                         const std::string& clear_dir) {
  auto runs = SortedRuns(argv, n, stdout_path, clear_dir);
  if (!runs.ok()) return runs.status();
  return (*runs)[runs->size() / 2];
}

std::string BenchContext::WorkPath(const std::string& name) const {
  return options_.work_dir + "/" + name;
}

Result<std::string> BenchContext::InputFile(int64_t records,
                                            const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"gen",
                                   "--count",
                                   std::to_string(records),
                                   "--rate",
                                   "max",
                                   "--start",
                                   "2026-01-27T18:00:00Z",
                                   "--jitter",
                                   "5s",
                                   "--seed",
                                   "3"};
  args.insert(args.end(), extra.begin(), extra.end());
  const std::string key = ShellQuote(args);
  if (auto it = files_.find(key); it != files_.end()) return it->second;
  const std::string path = WorkPath(fmt::format("logs-{}-{}.jsonl", records, files_.size()));
  Progress(fmt::format("generating {} records into {}", records, path));
  auto r = Run(Sluice(args), path);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return Status::Internal("sluice gen failed: " + r->err);
  files_[key] = path;
  // Warm the page cache: every reader then measures reading from memory, as `wc -l` does.
  (void)RunChild({"cat", path});
  return path;
}

void BenchContext::Skipped(const std::string& what, const std::string& why) {
  skipped_.push_back(what + ": " + why);
  Progress("skipped " + what + ": " + why);
}

void BenchContext::Progress(const std::string& line) const {
  std::fprintf(stderr, "bench: %s\n", line.c_str());
}

std::map<std::string, int64_t> ParseSummary(const std::string& err) {
  std::map<std::string, int64_t> out;
  const size_t at = err.rfind("summary ");
  if (at == std::string::npos || (at > 0 && err[at - 1] != '\n')) return out;
  const size_t end = err.find('\n', at);
  const std::string line =
      err.substr(at + 8, end == std::string::npos ? std::string::npos : end - at - 8);
  size_t pos = 0;
  while (pos < line.size()) {
    size_t sp = line.find(' ', pos);
    if (sp == std::string::npos) sp = line.size();
    const std::string kv = line.substr(pos, sp - pos);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) out[kv.substr(0, eq)] = std::atoll(kv.c_str() + eq + 1);
    pos = sp + 1;
  }
  return out;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const size_t i = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(values.size())));
  return values[i - 1];
}

}  // namespace sluice::bench
