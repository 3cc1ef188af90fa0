#include "sink/console_sink.h"

#include <algorithm>
#include <cerrno>

#include "common/file_util.h"
#include "format/json_writer.h"
#include "format/value_text.h"

namespace sluice {
namespace {

// Display width: code points, not bytes, so non-ASCII text lines up.
size_t Width(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string RenderTable(const OutputBatch& batch, const TimeZone& tz, size_t max_rows) {
  const size_t cols = batch.column_names.size();
  const size_t shown = max_rows == 0 ? batch.rows.size() : std::min(max_rows, batch.rows.size());
  std::vector<std::vector<std::string>> cells(shown);
  std::vector<size_t> width(cols);
  for (size_t c = 0; c < cols; ++c) width[c] = std::max<size_t>(Width(batch.column_names[c]), 1);
  for (size_t r = 0; r < shown; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      cells[r].push_back(CellText(batch.rows[r][c].view(), tz));
      width[c] = std::max(width[c], Width(cells[r][c]));
    }
  }
  std::string line = "+";
  for (size_t c = 0; c < cols; ++c) line += std::string(width[c], '-') + "+";
  line += "\n";
  auto row_text = [&](const std::vector<std::string>& v) {
    std::string s = "|";
    for (size_t c = 0; c < cols; ++c) s += v[c] + std::string(width[c] - Width(v[c]), ' ') + "|";
    return s + "\n";
  };
  std::string out = line + row_text(batch.column_names) + line;
  for (const auto& r : cells) out += row_text(r);
  out += line;
  if (shown < batch.rows.size()) {
    out += "only showing top " + std::to_string(shown) + " row" + (shown == 1 ? "" : "s") + "\n";
  }
  return out;
}

ConsoleSink::ConsoleSink(std::FILE* out, const TimeZone& tz, size_t max_rows)
    : out_(out), tz_(tz), max_rows_(max_rows) {}

Status ConsoleSink::Write(const OutputBatch& batch) {
  std::string text =
      "-------------------------------------------\nBatch: " + std::to_string(batch.batch_id) +
      "\n-------------------------------------------\n" + RenderTable(batch, tz_, max_rows_) + "\n";
  errno = 0;
  const bool written = std::fwrite(text.data(), 1, text.size(), out_) == text.size();
  if (std::fflush(out_) == 0 && written) return Status::Ok();
  if (errno == 0) errno = EIO;
  return IOErrorFromErrno("console: cannot write to standard output");
}

}  // namespace sluice
