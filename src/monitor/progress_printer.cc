#include "monitor/progress_printer.h"

#include <fmt/format.h>

#include <cmath>

#include "monitor/json_text.h"
#include "monitor/process_stats.h"

namespace sluice {

std::string GroupThousands(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -static_cast<uint64_t>(v) : static_cast<uint64_t>(v));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return v < 0 ? "-" + out : out;
}

std::string HumanCount(double v) {
  double a = std::fabs(v);
  if (a >= 1e9) return fmt::format("{:.2f}G", v / 1e9);
  if (a >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

std::string HumanBytes(int64_t bytes) {
  double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return fmt::format("{:.1f} MiB", b / (1024.0 * 1024));
  if (b >= 1024.0) return fmt::format("{:.1f} KiB", b / 1024.0);
  return fmt::format("{} B", bytes);
}

std::string UtcTime(int64_t epoch_ms) {
  // IsoTimestamp is "YYYY-MM-DDTHH:MM:SS.mmmZ"; people read the console format.
  std::string iso = IsoTimestamp(epoch_ms);
  std::string out = iso.substr(0, 10) + " " + iso.substr(11, 8);
  if (epoch_ms % 1000 != 0) out += iso.substr(19, 4);
  return out;
}

std::string ProgressLine(const TriggerProgress& p) {
  std::string line =
      fmt::format("batch {} | in {} rows | input {} rows/s | processed {} rows/s | {} ms",
                  p.batch_id, GroupThousands(p.num_input_rows), HumanCount(p.input_rows_per_second),
                  HumanCount(p.processed_rows_per_second), p.duration.total_ms());
  if (p.watermark_ms) {
    line += " | watermark " + UtcTime(*p.watermark_ms);
    if (auto gap = p.watermark_gap_ms()) {
      line += fmt::format(" (gap {:.1f} s)", static_cast<double>(*gap) / 1000.0);
    }
  } else {
    line += " | watermark -";
  }
  line +=
      fmt::format(" | state {} rows | late {} | malformed {}", GroupThousands(p.state.rows_total),
                  GroupThousands(p.late_rows), GroupThousands(p.malformed_rows));
  return line;
}

std::string RunSummary(const RunMonitor& monitor, int64_t now_ms) {
  auto q = monitor.query();
  auto latest = monitor.latest();
  RunTotals t = monitor.totals();
  auto [state, message] = monitor.state();
  int64_t elapsed_ms =
      q->started_ms > 0 ? std::max<int64_t>(0, monitor.EndOr(now_ms) - q->started_ms) : 0;
  auto rate = [](int64_t rows, int64_t ms) {
    return ms > 0 ? static_cast<double>(rows) * 1000.0 / static_cast<double>(ms) : 0.0;
  };
  std::string s = fmt::format("sluice: run {} ({})\n", RunStateName(state), q->run_id);
  if (!message.empty()) s += fmt::format("  message:          {}\n", message);
  s += fmt::format("  triggers:         {}\n", GroupThousands(t.triggers));
  s += fmt::format("  input rows:       {} in {:.2f} s\n", GroupThousands(t.input_rows),
                   static_cast<double>(elapsed_ms) / 1000.0);
  s += fmt::format("  input rate:       {} rows/s (average over the run)\n",
                   HumanCount(rate(t.input_rows, elapsed_ms)));
  const double busy_s = static_cast<double>(t.busy_us) / 1e6;
  s += fmt::format("  processing rate:  {} rows/s (input rows / time busy in triggers, {:.3f} s)\n",
                   HumanCount(busy_s > 0 ? static_cast<double>(t.input_rows) / busy_s : 0.0),
                   busy_s);
  s += fmt::format("  output rows:      {}\n", GroupThousands(t.output_rows));
  s += fmt::format("  late rows:        {}\n", GroupThousands(t.late_rows));
  s += fmt::format("  malformed rows:   {}\n", GroupThousands(t.malformed_rows));
  if (latest && latest->watermark_ms) {
    s += fmt::format("  final watermark:  {}\n", UtcTime(*latest->watermark_ms));
  }
  if (latest) {
    s += fmt::format("  state:            {} rows at the end, {}; at most {} rows, {} removed\n",
                     GroupThousands(latest->state.rows_total),
                     HumanBytes(latest->state.memory_bytes), GroupThousands(t.peak_state_rows),
                     GroupThousands(t.state_rows_removed));
  }
  s += fmt::format("  peak memory:      {}\n", HumanBytes(ReadProcessStats().max_resident_bytes));
  return s;
}

void PrintProgress(const RunMonitor& monitor, std::FILE* out) {
  auto latest = monitor.latest();
  if (!latest) return;
  std::string line = ProgressLine(*latest);
  line.push_back('\n');
  std::fputs(line.c_str(), out);
  std::fflush(out);
}

void PrintRunSummary(const RunMonitor& monitor, int64_t now_ms, std::FILE* out) {
  std::fputs(RunSummary(monitor, now_ms).c_str(), out);
  std::fflush(out);
}

}  // namespace sluice
