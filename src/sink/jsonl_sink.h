// JsonlSink: one JSON object per row, keys named by the select list (format/json_writer.h).
// In complete mode a file always holds the current result table: each trigger writes a new
// file and renames it over the old one. Otherwise rows are appended. "-" is standard output.
// Used by the driver thread only.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "common/time_format.h"
#include "sink/sink.h"

namespace sluice {

class JsonlSink : public Sink {
 public:
  static Result<std::unique_ptr<JsonlSink>> Open(const std::string& path, const TimeZone& tz);
  ~JsonlSink() override;
  Status Write(const OutputBatch& batch) override;
  Status Close() override;
  std::string Describe() const override { return "jsonl:" + path_; }

 private:
  JsonlSink(std::string path, std::FILE* f, const TimeZone& tz);
  const std::string path_;
  std::FILE* file_;
  TimeZone tz_;
  std::string buf_;
};

}  // namespace sluice
