#include "format/row_formatter.h"

#include "common/utf8.h"
#include "format/json_writer.h"

namespace sluice {

JsonRowFormatter::JsonRowFormatter(const std::vector<std::string>& names, const TimeZone& tz,
                                   Newline newline)
    : last_(newline == Newline::kYes ? "}\n" : "}"), tz_(tz) {
  for (size_t i = 0; i < names.size(); ++i) {
    std::string p = i == 0 ? "{" : ", ";
    AppendJsonString(p, names[i]);
    p += ": ";
    prefixes_.push_back(std::move(p));
  }
}

void JsonRowFormatter::Append(const Value* values, std::string& out) const {
  if (prefixes_.empty()) out.push_back('{');
  for (size_t i = 0; i < prefixes_.size(); ++i) {
    out.append(prefixes_[i]);
    AppendJsonValue(out, values[i], tz_);
  }
  out.append(last_);
}

void FormattedRows::Append(std::string_view rows, const std::vector<uint32_t>& starts) {
  const size_t base = bytes.size();
  bytes.append(rows);
  for (size_t j = 1; j < starts.size(); ++j) ends.push_back(base + starts[j]);
  if (!starts.empty()) ends.push_back(bytes.size());
}

void FormattedRows::Append(const FormattedRows& rows) {
  const size_t base = bytes.size();
  bytes.append(rows.bytes);
  for (const size_t end : rows.ends) ends.push_back(base + end);
}

void FormattedRows::Truncate(size_t n) {
  if (n >= ends.size()) return;
  ends.resize(n);
  bytes.resize(n == 0 ? 0 : ends.back());
}

}  // namespace sluice
