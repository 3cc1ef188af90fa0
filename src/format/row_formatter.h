// RowFormatter: writes one output row in the bytes a sink writes for it, so that output rows
// are formatted by the worker threads and the driver only concatenates them. A sink makes
// one per query (Sink::MakeRowFormatter); the engine shares it between its workers, which call
// Append concurrently: a formatter is immutable after construction.
//
// FormattedRows: rows so formatted, one after another, with where each ends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/time_format.h"
#include "common/value.h"

namespace sluice {

class RowFormatter {
 public:
  virtual ~RowFormatter() = default;
  // Appends one row to out: values[0..columns) are the visible output columns. Thread-safe.
  virtual void Append(const Value* values, std::string& out) const = 0;
};

// {"name": value, ...} exactly as AppendJsonObject writes it (format/json_writer.h), followed by
// a newline for JSON lines (jsonl sinks), or not (a Kafka message's value).
class JsonRowFormatter final : public RowFormatter {
 public:
  enum class Newline : uint8_t { kNo, kYes };
  JsonRowFormatter(const std::vector<std::string>& names, const TimeZone& tz, Newline newline);
  void Append(const Value* values, std::string& out) const override;

 private:
  std::vector<std::string> prefixes_;  // per column: `{"name": ` or `, "name": `
  std::string_view last_;              // "}" or "}\n"
  TimeZone tz_;
};

// Rows of one format, concatenated: row i is bytes[i == 0 ? 0 : ends[i - 1], ends[i]).
struct FormattedRows {
  std::string bytes;
  std::vector<size_t> ends;

  size_t size() const { return ends.size(); }
  std::string_view row(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(bytes).substr(begin, ends[i] - begin);
  }
  // Appends rows written into `rows`, row j starting at rows[starts[j]].
  void Append(std::string_view rows, const std::vector<uint32_t>& starts);
  // Appends the rows of `rows`.
  void Append(const FormattedRows& rows);
  // Keeps the first n rows.
  void Truncate(size_t n);
  void Clear() {
    bytes.clear();
    ends.clear();
  }
};

}  // namespace sluice
