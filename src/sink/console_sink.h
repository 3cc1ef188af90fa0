// ConsoleSink: prints each trigger's rows as Spark's console sink does (truncate = false):
// a "Batch: N" banner, then a table. Used by the driver thread only.
#pragma once

#include <cstdio>

#include "common/time_format.h"
#include "format/value_text.h"
#include "sink/sink.h"

namespace sluice {

class ConsoleSink : public Sink {
 public:
  // max_rows: rows shown per batch (Spark's numRows, default 20); 0 shows all.
  ConsoleSink(std::FILE* out, const TimeZone& tz, size_t max_rows);
  Status Write(const OutputBatch& batch) override;
  std::string Describe() const override { return "console"; }

 private:
  std::FILE* out_;
  TimeZone tz_;
  size_t max_rows_;
};

// Renders the table part (without the banner): used by tests and the console.
std::string RenderTable(const OutputBatch& batch, const TimeZone& tz, size_t max_rows);

}  // namespace sluice
