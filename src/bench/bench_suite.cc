#include "bench/bench_suite.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/bench_context.h"
#include "common/file_util.h"
#include "web/ui_assets.h"

namespace sluice::bench {
namespace {

// The value of the first "key<sep>value" line of a text file, trimmed; "" if none.
std::string FileField(const std::string& path, const std::string& key, char sep) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    const size_t at = line.find(sep);
    if (at == std::string::npos) continue;
    std::string v = line.substr(at + 1);
    v.erase(0, v.find_first_not_of(" \t\""));
    while (!v.empty() && (v.back() == '"' || v.back() == ' ')) v.pop_back();
    return v;
  }
  return "";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " (1 min), " + five + " (5 min)";
}

std::string FirstLineOf(const std::vector<std::string>& argv) {
  const std::string tmp = std::filesystem::temp_directory_path() / "sluice-bench-version.txt";
  auto v = RunChild(argv, ChildOutput{tmp});
  std::ifstream in(tmp);
  std::string line;
  std::getline(in, line);
  std::filesystem::remove(tmp);
  if (!v.ok() || v->exit_code != 0) return "";
  return line;
}

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return buf;
}

}  // namespace

void MachineSection(BenchContext& ctx) {
  utsname u{};
  uname(&u);
  const BenchOptions& o = ctx.options();
  Table t{{"what", "value"}, {}};
  t.rows.push_back({"date", UtcNow()});
  t.rows.push_back({"mode", o.quick ? "--quick (small inputs, short runs)" : "full"});
  t.rows.push_back({"CPU", FileField("/proc/cpuinfo", "model name", ':')});
  t.rows.push_back(
      {"cores (hardware threads)", std::to_string(std::thread::hardware_concurrency())});
  t.rows.push_back(
      {"memory",
       fmt::format("{:.1f} GiB",
                   std::atof(FileField("/proc/meminfo", "MemTotal", ':').c_str()) / 1024 / 1024)});
  t.rows.push_back({"OS", FileField("/etc/os-release", "PRETTY_NAME", '=')});
  t.rows.push_back({"kernel", std::string(u.sysname) + " " + u.release + " " + u.machine});
  t.rows.push_back({"load average at start", LoadAverage()});
  t.rows.push_back({"sluice", FirstLineOf({o.sluice, "--version"}) + " (" + o.sluice + ")"});
  t.rows.push_back({"compiler", fmt::format("{}", __VERSION__)});
  t.rows.push_back({"librdkafka", rd_kafka_version_str()});
  t.rows.push_back({"wc", FirstLineOf({"wc", "--version"})});
  t.rows.push_back(
      {"work directory", o.work_dir + (o.keep_work ? " (kept)" : " (removed at the end)")});
  ctx.report()
      .Add("Machine and versions")
      .Text(
          "Every figure below is from a child process of this run, started with the command line "
          "printed under its table (`sluice` is the binary named here). Times are wall-clock "
          "seconds of the whole process, start to exit, unless a table says otherwise; peak "
          "RSS is the process's maximum resident set (`wait4` rusage). Inputs are read from the "
          "page cache (each generated file is read once before it is measured). Nothing here "
          "is a pass/fail test: other processes on the machine add noise, so compare figures "
          "measured in the same run, and see the load average.")
      .AddTable(std::move(t))
      .Text("Command: `" + o.command_line + "`");
}

Status RunBench(const BenchOptions& options) {
  SLUICE_RETURN_IF_ERROR(MakeDirs(options.out_dir));
  SLUICE_RETURN_IF_ERROR(MakeDirs(options.work_dir));
  BenchContext ctx(options);
  ctx.report().title = "sluice performance and scalability report";
  const double t0 = MonotonicSeconds();
  MachineSection(ctx);
  const std::vector<std::pair<std::string, void (*)(BenchContext&)>> sections = {
      {"file", FileThroughputSection},   {"size", InputSizeSection}, {"state", StateMemorySection},
      {"checkpoint", CheckpointSection}, {"kafka", KafkaSections},   {"latency", LatencySection}};
  for (const auto& [name, run] : sections) {
    if (options.only.empty() ||
        std::find(options.only.begin(), options.only.end(), name) != options.only.end()) {
      run(ctx);
    }
  }

  Section& skipped = ctx.report().Add("Skipped");
  if (ctx.skipped().empty()) {
    skipped.Text("Nothing was skipped: every peer was found and every section ran.");
  } else {
    std::string list;
    for (const auto& s : ctx.skipped()) list += (list.empty() ? "- " : "\n- ") + s;
    skipped.Text(list);
  }
  skipped.Text(
      "Where the peers are looked for: `wc` in PATH; DuckDB as the npm package "
      "`@duckdb/node-api` run by `node` (PATH), from `--duckdb-node-modules DIR`, else "
      "$SLUICE_BENCH_NODE_MODULES, else each directory of $NODE_PATH; the raw librdkafka "
      "consumer `kafka_consume` (built from bench/kafka_consume.cc) from `--kafka-consume PATH`, "
      "else beside this binary, else in PATH.");
  // The duration goes into the first section's table, which was written before it was known.
  Section& machine = ctx.report().sections.front();
  for (auto& b : machine.blocks) {
    if (b.kind != Block::Kind::kTable) continue;
    b.table.rows.push_back({"load average at end", LoadAverage()});
    b.table.rows.push_back({"bench duration", fmt::format("{:.0f} s", MonotonicSeconds() - t0)});
    break;
  }

  const std::string md = options.out_dir + "/report.md";
  const std::string html = options.out_dir + "/report.html";
  SLUICE_RETURN_IF_ERROR(WriteFileAtomic(md, ctx.report().Markdown()));
  const UiAsset* js = FindUiAsset("/uPlot.iife.min.js");
  const UiAsset* css = FindUiAsset("/uPlot.min.css");
  SLUICE_RETURN_IF_ERROR(WriteFileAtomic(
      html,
      ctx.report().Html(js ? js->data : std::string_view(), css ? css->data : std::string_view())));
  if (!options.keep_work) std::filesystem::remove_all(options.work_dir);
  std::printf("report: %s\nreport: %s\n", md.c_str(), html.c_str());
  std::printf("bench took %.0f s\n", MonotonicSeconds() - t0);
  return Status::Ok();
}

}  // namespace sluice::bench
