#include "sink/jsonl_sink.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include "format/json_writer.h"

namespace sluice {

Result<std::unique_ptr<JsonlSink>> JsonlSink::Open(const std::string& path, const TimeZone& tz) {
  std::FILE* f = stdout;
  if (path != "-") {
    f = std::fopen(path.c_str(), "w");
    if (f == nullptr) {
      return Status::InvalidArgument("cannot write sink file '" + path + "': " +
                                     std::strerror(errno));
    }
  }
  return std::unique_ptr<JsonlSink>(new JsonlSink(path, f, tz));
}

JsonlSink::JsonlSink(std::string path, std::FILE* f, const TimeZone& tz)
    : path_(std::move(path)), file_(f), tz_(tz) {}

JsonlSink::~JsonlSink() { (void)Close(); }

Status JsonlSink::Write(const OutputBatch& batch) {
  buf_.clear();
  for (const auto& row : batch.rows) {
    AppendJsonObject(buf_, batch.column_names, row, tz_);
    buf_.push_back('\n');
  }
  if (batch.mode == OutputMode::kComplete && path_ != "-") {
    // Replace the whole table atomically: readers never see half a result.
    const std::string tmp = path_ + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr) return Status::IOError("cannot write '" + tmp + "': " + std::strerror(errno));
    const bool ok = std::fwrite(buf_.data(), 1, buf_.size(), f) == buf_.size();
    if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path_.c_str()) != 0) {
      return Status::IOError("cannot write '" + path_ + "': " + std::strerror(errno));
    }
    return Status::Ok();
  }
  if (file_ == nullptr) return Status::IOError("sink '" + path_ + "' is closed");
  if (std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size() || std::fflush(file_) != 0) {
    return Status::IOError("cannot write '" + path_ + "': " + std::strerror(errno));
  }
  return Status::Ok();
}

Status JsonlSink::Close() {
  if (file_ == nullptr) return Status::Ok();
  std::FILE* f = file_;
  file_ = nullptr;
  if (f == stdout) return std::fflush(f) == 0 ? Status::Ok() : Status::IOError("stdout");
  return std::fclose(f) == 0 ? Status::Ok() : Status::IOError("closing '" + path_ + "'");
}

}  // namespace sluice
