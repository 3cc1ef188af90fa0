#include "sql/sql_error.h"

#include <algorithm>

#include "common/ascii.h"

namespace sluice {
namespace {

// Display width of s: UTF-8 continuation bytes take no column; a tab takes one.
size_t Columns(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (FoldAscii(a[i]) != FoldAscii(b[i])) return false;
  return true;
}

Status SqlError(std::string_view sql, SourceSpan span, std::string_view what,
                std::string_view hint) {
  size_t begin = std::min<size_t>(span.begin, sql.size());
  size_t end = std::max<size_t>(begin, std::min<size_t>(span.end, sql.size()));
  size_t line_begin = sql.rfind('\n', begin == 0 ? std::string_view::npos : begin - 1);
  line_begin = line_begin == std::string_view::npos ? 0 : line_begin + 1;
  if (begin > 0 && sql[begin - 1] == '\n') line_begin = begin;
  size_t line_end = sql.find('\n', begin);
  if (line_end == std::string_view::npos) line_end = sql.size();
  size_t line_no = 1 + static_cast<size_t>(
                           std::count(sql.begin(), sql.begin() + static_cast<long>(begin), '\n'));
  std::string_view line = sql.substr(line_begin, line_end - line_begin);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t column = Columns(sql.substr(line_begin, begin - line_begin)) + 1;
  size_t carets = Columns(sql.substr(begin, std::min(end, line_begin + line.size()) - begin));

  std::string msg = "error: ";
  msg.append(what).append(" at line ").append(std::to_string(line_no));
  msg.append(", column ").append(std::to_string(column)).append("\n  ");
  for (char c : line) msg.push_back(c == '\t' ? ' ' : c);  // tabs would misalign the carets
  msg.append("\n  ").append(column - 1, ' ').append(std::max<size_t>(carets, 1), '^');
  if (!hint.empty()) msg.append("\nhint: ").append(hint);
  return Status::InvalidArgument(std::move(msg));
}

size_t EditDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: a swap of two neighbours (FORM for FROM) is one edit.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = FoldAscii(a[i - 1]) == FoldAscii(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && FoldAscii(a[i - 1]) == FoldAscii(b[j - 2]) &&
          FoldAscii(a[i - 2]) == FoldAscii(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string_view ClosestMatch(std::string_view word,
                              const std::vector<std::string_view>& candidates) {
  std::string_view best;
  size_t best_distance = 3;
  for (std::string_view c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance && d * 2 < word.size()) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace sluice
