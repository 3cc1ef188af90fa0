// The file sections of `sluice bench`: Q1 and Q2 over a generated JSON-lines file with 1..N
// threads against `wc -l` and DuckDB, time and memory against input size, memory against state
// size, and what checkpoints cost.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "bench/bench_context.h"

namespace sluice::bench {
namespace {

constexpr double kMiB = 1024.0;  // ru_maxrss is in KiB

int Repeats(const BenchContext& ctx) { return ctx.options().quick ? 2 : 3; }

std::vector<int> ThreadCounts(const BenchContext& ctx) {
  std::vector<int> t;
  for (int i = 1; i <= ctx.threads(); ++i) {
    if (!ctx.options().quick || i == 1 || i == ctx.threads()) t.push_back(i);
  }
  return t;
}

std::vector<std::string> RunQuery(const BenchContext& ctx, const std::string& file, int threads,
                                  const std::string& sql, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {
      "run",    "--threads",       std::to_string(threads), "--source", "file:" + file,
      "--sink", "jsonl:/dev/null", "--watermark",           "30s"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(sql);
  return ctx.Sluice(args);
}

// node_modules holding @duckdb/node-api, or "" (see the Skipped section for the search order).
std::string FindDuckDbModules(const BenchOptions& o) {
  std::vector<std::string> dirs;
  if (!o.duckdb_node_modules.empty()) dirs.push_back(o.duckdb_node_modules);
  if (const char* e = std::getenv("SLUICE_BENCH_NODE_MODULES")) dirs.emplace_back(e);
  if (const char* e = std::getenv("NODE_PATH")) {
    std::string s = e;
    size_t pos = 0;
    while (pos <= s.size()) {
      size_t end = s.find(':', pos);
      if (end == std::string::npos) end = s.size();
      if (end > pos) dirs.push_back(s.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  for (const auto& d : dirs) {
    if (std::filesystem::exists(d + "/@duckdb/node-api/package.json")) return d;
  }
  return "";
}

// A node script: DuckDB runs SQL with N threads, prints the result's row count.
constexpr const char* kDuckDbScript =
    R"(// Written by sluice bench: node duckdb_query.cjs NODE_MODULES THREADS SQL
const { DuckDBInstance } = require(process.argv[2] + "/@duckdb/node-api");
(async () => {
  const db = await DuckDBInstance.create(":memory:", { threads: process.argv[3] });
  const con = await db.connect();
  const rows = (await con.runAndReadAll(process.argv[4])).getRows();
  console.log(rows.length);
})().catch((e) => { console.error(String(e)); process.exit(1); });
)";

std::string DuckDbSql(const std::string& query, const std::string& file) {
  const std::string from = fmt::format(
      "read_json('{}', format='newline_delimited', columns={{timestamp: 'BIGINT', status: "
      "'VARCHAR', severity: 'VARCHAR', source_ip: 'VARCHAR', user_id: 'VARCHAR', content: "
      "'VARCHAR'}})",
      file);
  if (query == "Q1") {
    return "SELECT source_ip, count(*) AS match_count FROM " + from +
           " WHERE lower(content) LIKE '%vulnerability%' AND severity = 'High' GROUP BY "
           "source_ip ORDER BY match_count DESC";
  }
  return "SELECT time_bucket(INTERVAL '10 seconds', epoch_ms(timestamp)) AS window_start, "
         "user_id, count(*) AS crash_count FROM " +
         from +
         " WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical') GROUP BY "
         "ALL HAVING count(*) > 2";
}

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The first line of a file holding `needle`, trimmed of spaces and a final comma.
std::string FirstLineContaining(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(needle) == std::string::npos) continue;
    line.erase(0, line.find_first_not_of(' '));
    if (!line.empty() && line.back() == ',') line.pop_back();
    return line;
  }
  return "";
}

std::string Mib(int64_t kib) { return FormatFixed(static_cast<double>(kib) / kMiB, 0); }

// Distinct values of the first field of JSON-lines output (the group key of a state query).
int64_t DistinctFirstFields(const std::string& path) {
  std::ifstream in(path);
  std::set<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    const size_t comma = line.find(',', colon);
    if (colon != std::string::npos) keys.insert(line.substr(colon, comma - colon));
  }
  return static_cast<int64_t>(keys.size());
}

void NotMeasured(Section& s, const Status& st) { s.Text("Not measured: " + st.message()); }

}  // namespace

void FileThroughputSection(BenchContext& ctx) {
  const int64_t n = ctx.options().quick ? 1'000'000 : 10'000'000;
  Section& s =
      ctx.report().Add("Throughput on a file: Q1, Q2 and a projection, threads, wc -l, DuckDB");
  auto file = ctx.InputFile(n);
  if (!file.ok()) return NotMeasured(s, file.status());
  const auto bytes = static_cast<double>(std::filesystem::file_size(*file));
  ctx.Progress("throughput on " + *file);
  Table t{{"run", "threads", "seconds", "records/s", "vs wc -l", "peak RSS MiB", "peak anon MiB",
           "input records", "output rows (Q1: per trigger)"},
          {}};
  auto wc = ctx.Best({"wc", "-l", *file}, Repeats(ctx));
  double wc_s = 0;
  if (wc.ok() && wc->exit_code == 0) {
    wc_s = wc->wall_s;
    t.rows.push_back({"`wc -l`", "1", FormatFixed(wc_s, 3), FormatRate(n / wc_s), "1.000",
                      Mib(wc->peak_rss_kib), Mib(wc->peak_anon_kib), std::to_string(n), ""});
  } else {
    ctx.Skipped("wc -l", "could not run `wc`");
  }
  auto ratio = [&](double sec) { return wc_s > 0 ? FormatFixed(wc_s / sec, 3) : "n/a"; };
  Plot plot{"plot-threads", "Records/s by threads (file)", "threads", "records/s", {}};
  const std::vector<std::pair<std::string, const char*>> queries = {
      {"Q1", kQ1}, {"Q2", kQ2}, {"projection", kProjection}};
  for (const auto& [q, sql] : queries) {
    Plot::Series series{"sluice " + q, {}};
    for (int th : ThreadCounts(ctx)) {
      auto r = ctx.Best(RunQuery(ctx, *file, th, sql), Repeats(ctx));
      if (!r.ok() || r->exit_code != 0) continue;
      auto sum = ParseSummary(r->err);
      t.rows.push_back({"sluice " + q, std::to_string(th), FormatFixed(r->wall_s, 3),
                        FormatRate(n / r->wall_s), ratio(r->wall_s), Mib(r->peak_rss_kib),
                        Mib(r->peak_anon_kib), std::to_string(sum["input_records"]),
                        std::to_string(sum["output_rows"])});
      series.points.emplace_back(th, n / r->wall_s);
    }
    plot.series.push_back(std::move(series));
  }
  // DuckDB: the same queries over the same file, as one node process each.
  const std::string modules = FindDuckDbModules(ctx.options());
  std::string duckdb_note;
  const std::string node = FindInPath("node");
  if (modules.empty() || node.empty()) {
    ctx.Skipped("DuckDB", node.empty() ? "`node` not in PATH"
                                       : "no node_modules with @duckdb/node-api found");
  } else {
    const std::string package =
        FirstLineContaining(modules + "/@duckdb/node-api/package.json", "\"version\"");
    const size_t colon = package.find(':');
    std::string version = colon == std::string::npos ? package : package.substr(colon + 1);
    std::erase_if(version, [](char c) { return c == '"' || c == ' '; });
    duckdb_note =
        " DuckDB: `@duckdb/node-api` " + version + " from " + modules + ", run by " + node + ".";
    const std::string script = ctx.WorkPath("duckdb_query.cjs");
    std::ofstream(script) << kDuckDbScript;
    for (const char* q : {"Q1", "Q2"}) {
      Plot::Series series{std::string("DuckDB ") + q, {}};
      for (int th : ThreadCounts(ctx)) {
        const std::string out = ctx.WorkPath("duckdb.out");
        auto r = ctx.Best({node, script, modules, std::to_string(th), DuckDbSql(q, *file)},
                          Repeats(ctx), out);
        if (!r.ok() || r->exit_code != 0) {
          ctx.Skipped(std::string("DuckDB ") + q, r.ok() ? r->err : r.status().message());
          break;
        }
        t.rows.push_back({std::string("DuckDB ") + q, std::to_string(th), FormatFixed(r->wall_s, 3),
                          FormatRate(n / r->wall_s), ratio(r->wall_s), Mib(r->peak_rss_kib),
                          Mib(r->peak_anon_kib), "", FirstLine(out)});
        series.points.emplace_back(th, n / r->wall_s);
      }
      if (!series.points.empty()) plot.series.push_back(std::move(series));
    }
  }
  s.Text(fmt::format(
             "{} records ({:.0f} MB) generated by `sluice gen`; best of {} runs each. records/s = "
             "records / seconds of the whole process; `vs wc -l` = the seconds of `wc -l` over "
             "the same file divided by the run's seconds (1.0 would be as fast as counting "
             "lines). Q2 runs with a 30 s watermark; the end of the file closes every window, so "
             "its output rows are all of the windows' rows, which DuckDB's count (`time_bucket`, "
             "same filter and HAVING) should equal. The projection (`{}`) writes about a tenth "
             "of the records as JSON lines, formatted by the worker threads. Q1 has no window: "
             "in complete mode sluice writes the whole table (256 source IPs) at every trigger "
             "(1 s), so its output rows are 256 × the triggers of the run. DuckDB is timed as "
             "its whole node process, like sluice. Peak RSS of sluice includes the pages of the "
             "input file it maps (page cache, shared and reclaimable): it follows the file's "
             "size.",
             n, bytes / 1e6, Repeats(ctx), kProjection) +
         duckdb_note);
  s.AddTable(std::move(t)).AddPlot(std::move(plot)).Commands(ctx.TakeCommands());
}

void InputSizeSection(BenchContext& ctx) {
  const std::vector<int64_t> sizes = ctx.options().quick
                                         ? std::vector<int64_t>{100'000, 300'000, 1'000'000}
                                         : std::vector<int64_t>{1'000'000, 3'000'000, 10'000'000};
  Section& s = ctx.report().Add("Time and memory against input size (Q2)");
  Table t{{"records", "MB", "seconds", "records/s", "µs per record", "peak RSS MiB",
           "peak anon MiB", "input records"},
          {}};
  Plot time_plot{"plot-size-time", "Q2 seconds by input size", "million records", "seconds", {}};
  Plot mem_plot{"plot-size-rss", "Q2 peak RSS by input size", "million records", "MiB", {}};
  Plot::Series ts{"sluice Q2, " + std::to_string(ctx.threads()) + " threads", {}};
  Plot::Series ms{"peak RSS (mapped input included)", {}};
  Plot::Series anon{"peak anonymous RSS (heap)", {}};
  std::vector<double> per_record;
  for (int64_t n : sizes) {
    auto file = ctx.InputFile(n);
    if (!file.ok()) return NotMeasured(s, file.status());
    auto r = ctx.Best(RunQuery(ctx, *file, ctx.threads(), kQ2), Repeats(ctx));
    if (!r.ok() || r->exit_code != 0) continue;
    auto sum = ParseSummary(r->err);
    const double mb = static_cast<double>(std::filesystem::file_size(*file)) / 1e6;
    per_record.push_back(r->wall_s / static_cast<double>(n) * 1e6);
    t.rows.push_back({std::to_string(n), FormatFixed(mb, 0), FormatFixed(r->wall_s, 3),
                      FormatRate(n / r->wall_s), FormatFixed(per_record.back(), 3),
                      Mib(r->peak_rss_kib), Mib(r->peak_anon_kib),
                      std::to_string(sum["input_records"])});
    ts.points.emplace_back(n / 1e6, r->wall_s);
    ms.points.emplace_back(n / 1e6, r->peak_rss_kib / kMiB);
    anon.points.emplace_back(n / 1e6, r->peak_anon_kib / kMiB);
  }
  std::string reading;
  if (per_record.size() >= 2) {
    const double growth = per_record.back() / per_record.front();
    reading = fmt::format(
        " Per-record time at the largest size is {:.2f}× the smallest's ({}): time grows {} "
        "with input size. The smallest input carries the most fixed cost (process start, thread "
        "start), so a ratio below 1 is expected.",
        growth, growth < 1.33 && growth > 0.5 ? "within noise of constant" : "not constant",
        growth < 1.33 ? "linearly (or better)" : "faster than linearly");
  }
  s.Text(
      fmt::format("Q2 with {} threads over files of {} records (best of {}). Linear growth means "
                  "a constant µs per record. Peak RSS includes the mapped input file's pages "
                  "(page cache, reclaimable), so it grows with the file; peak anon (anonymous "
                  "RSS: heap and stacks, sampled every millisecond) is the engine's own memory, "
                  "and Q2's state is bounded by the watermark.{}",
                  ctx.threads(), fmt::format("{}", fmt::join(sizes, ", ")), Repeats(ctx), reading));
  time_plot.series.push_back(std::move(ts));
  mem_plot.series.push_back(std::move(ms));
  mem_plot.series.push_back(std::move(anon));
  s.AddTable(std::move(t)).AddPlot(std::move(time_plot)).AddPlot(std::move(mem_plot));
  s.Commands(ctx.TakeCommands());
}

void StateMemorySection(BenchContext& ctx) {
  const bool quick = ctx.options().quick;
  const int64_t n = quick ? 500'000 : 3'000'000;
  const std::vector<int64_t> users = quick ? std::vector<int64_t>{1'000, 30'000, 300'000}
                                           : std::vector<int64_t>{1'000, 100'000, 1'200'000};
  const std::string sql = "SELECT user_id, count(*) AS n FROM logs GROUP BY user_id";
  Section& s = ctx.report().Add("Memory against state size");
  Table t{{"distinct users generated", "state rows (groups)", "seconds", "peak RSS MiB",
           "peak anon MiB", "anon bytes per state row above the smallest"},
          {}};
  Plot plot{"plot-state-rss", "Peak anonymous RSS by state rows", "state rows", "MiB", {}};
  Plot::Series series{"GROUP BY user_id (complete mode)", {}};
  double base_rss = -1, base_rows = 0;
  for (int64_t u : users) {
    auto file = ctx.InputFile(n, {"--users", std::to_string(u), "--hot-user-rate", "0"});
    if (!file.ok()) return NotMeasured(s, file.status());
    const std::string out = ctx.WorkPath("state.jsonl");
    std::vector<std::string> argv =
        ctx.Sluice({"run", "--threads", std::to_string(ctx.threads()), "--source", "file:" + *file,
                    "--sink", "jsonl:" + out, sql});
    auto r = ctx.Best(argv, Repeats(ctx));
    if (!r.ok() || r->exit_code != 0) continue;
    const int64_t rows = DistinctFirstFields(out);
    const double rss = static_cast<double>(r->peak_anon_kib) * 1024.0;
    std::string per_row;
    if (base_rss < 0) {
      base_rss = rss;
      base_rows = static_cast<double>(rows);
    } else if (rows > base_rows) {
      per_row = FormatFixed((rss - base_rss) / (static_cast<double>(rows) - base_rows), 0);
    }
    t.rows.push_back({std::to_string(u), std::to_string(rows), FormatFixed(r->wall_s, 3),
                      Mib(r->peak_rss_kib), Mib(r->peak_anon_kib), per_row});
    series.points.emplace_back(static_cast<double>(rows), rss / 1024.0 / 1024.0);
  }
  plot.series.push_back(std::move(series));
  s.Text(fmt::format(
      "`{}` over {} records with 1,000 to {} distinct users (`sluice gen --users U "
      "--hot-user-rate 0`): without a window, a group's state is kept for the whole run, so the "
      "state rows are the distinct users seen (counted from the output). Peak RSS is the whole "
      "process, mapped input file included; peak anon is the largest anonymous RSS (heap, "
      "stacks; `RssAnon` of /proc/PID/status sampled every millisecond), which holds the state: "
      "bytes per state row are computed from it. Best-of-{} run. Q2's state, by contrast, is "
      "bounded by the watermark: only open windows are kept (see the input size section).",
      sql, n, users.back(), Repeats(ctx)));
  s.AddTable(std::move(t)).AddPlot(std::move(plot)).Commands(ctx.TakeCommands());
}

void CheckpointSection(BenchContext& ctx) {
  const bool quick = ctx.options().quick;
  const int64_t n = quick ? 1'000'000 : 10'000'000;
  Section& s = ctx.report().Add("Checkpoint cost and restore time");
  auto file = ctx.InputFile(n);
  if (!file.ok()) return NotMeasured(s, file.status());
  const std::string ck = ctx.WorkPath("ckpt-q2");
  Table t{{"run", "trigger", "seconds (median of 3)", "overhead", "epochs committed"}, {}};
  for (const char* trig :
       quick ? std::vector<const char*>{"100ms"} : std::vector<const char*>{"1s", "100ms"}) {
    auto base = ctx.Median(RunQuery(ctx, *file, ctx.threads(), kQ2, {"--trigger", trig}), 3);
    auto with = ctx.Median(
        RunQuery(ctx, *file, ctx.threads(), kQ2, {"--trigger", trig, "--checkpoint", ck}), 3,
        "/dev/null", ck);
    if (!base.ok() || !with.ok() || base->exit_code != 0 || with->exit_code != 0) continue;
    // Old manifests are cleaned up: the newest one's number + 1 is the epochs committed.
    int64_t epochs = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(ck + "/epochs", ec);
         it != std::filesystem::directory_iterator(); ++it) {
      epochs = std::max<int64_t>(epochs, std::atoll(it->path().filename().c_str()) + 1);
    }
    t.rows.push_back({"Q2, no checkpoint", trig, FormatFixed(base->wall_s, 3), "", ""});
    t.rows.push_back({"Q2, `--checkpoint`", trig, FormatFixed(with->wall_s, 3),
                      FormatFixed((with->wall_s / base->wall_s - 1) * 100, 1) + " %",
                      std::to_string(epochs)});
  }
  s.Text(fmt::format(
      "Q2 over the {}-record file with {} threads, with and without `--checkpoint` (a fresh "
      "directory per run); overhead = with / without - 1. Differences of a few percent are "
      "within this machine's noise.",
      n, ctx.threads()));
  s.AddTable(std::move(t)).Commands(ctx.TakeCommands());

  // Restore: a large state kept forever (complete mode), then the same command again.
  const int64_t hn = quick ? 500'000 : 3'000'000;
  const int64_t users = quick ? 300'000 : 1'200'000;
  auto hc = ctx.InputFile(hn, {"--users", std::to_string(users), "--hot-user-rate", "0"});
  if (!hc.ok()) return NotMeasured(s, hc.status());
  const std::string hck = ctx.WorkPath("ckpt-state");
  std::filesystem::remove_all(hck);
  const auto argv =
      ctx.Sluice({"run", "--threads", std::to_string(ctx.threads()), "--checkpoint", hck,
                  "--source", "file:" + *hc, "--sink", "jsonl:" + ctx.WorkPath("state-ck.jsonl"),
                  "SELECT user_id, count(*) AS n FROM logs GROUP BY user_id"});
  auto first = ctx.Run(argv);
  Table rt{{"restart", "state rows restored", "restore seconds", "whole process seconds",
            "peak RSS MiB", "peak anon MiB"},
           {}};
  std::string state_mb;
  std::error_code ec;
  uintmax_t state_bytes = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(hck, ec);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file()) state_bytes += it->file_size();
  }
  for (int i = 1; first.ok() && first->exit_code == 0 && i <= 3; ++i) {
    auto r = ctx.Run(argv);
    if (!r.ok() || r->exit_code != 0) break;
    long long rows = 0;
    double secs = 0;
    const size_t at = r->err.find("sluice: restored ");
    if (at != std::string::npos) {
      std::sscanf(r->err.c_str() + at, "sluice: restored %lld state rows in %lf", &rows, &secs);
    }
    rt.rows.push_back({std::to_string(i), std::to_string(rows), FormatFixed(secs, 3),
                       FormatFixed(r->wall_s, 3), Mib(r->peak_rss_kib), Mib(r->peak_anon_kib)});
  }
  s.Text(fmt::format(
      "Restore: `SELECT user_id, count(*) AS n FROM logs GROUP BY user_id` over {} records with "
      "{} distinct users, run once with `--checkpoint` ({:.1f} MB in the checkpoint directory), "
      "then the same command three times: each restart restores the state, finds the file "
      "already read, and exits. `restore seconds` is what sluice prints (`sluice: restored N "
      "state rows in S s`).",
      hn, users, static_cast<double>(state_bytes) / 1e6));
  s.AddTable(std::move(rt)).Commands(ctx.TakeCommands());
}

}  // namespace sluice::bench
