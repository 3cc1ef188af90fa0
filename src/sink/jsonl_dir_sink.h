// JsonlDirSink: `jsonl:DIR/`, a directory of JSON-lines part files, as Spark's file sink.
// Readers take every file whose name does not start with '_' or '.'. Used by the driver thread.
//
// Append and update modes: the rows of epoch N go to ".part-N-WRITER.jsonl.tmp"; Prepare fsyncs
// it and Commit, once the checkpoint holds epoch N, renames it to "part-N-WRITER.jsonl". Recover
// finishes the rename of the committed epoch if a crash interrupted it and deletes the
// temporary files of epochs that never committed, so every visible row was committed exactly
// once. An epoch without rows writes no file.
// Complete mode: "part-WRITER.jsonl" always holds this writer's whole committed table,
// replaced by rename at each commit.
// WRITER names the process (several processes may share one directory); "0" by default.
#pragma once

#include <memory>
#include <string>

#include "common/time_format.h"
#include "sink/sink.h"

namespace sluice {

class JsonlDirSink : public Sink {
 public:
  static Result<std::unique_ptr<JsonlDirSink>> Open(const std::string& dir, const TimeZone& tz,
                                                    OutputMode mode, std::string writer);
  ~JsonlDirSink() override;
  Status Write(const OutputBatch& batch) override;
  Status Recover(std::string_view committed_state) override;
  Result<std::string> Prepare(int64_t epoch) override;
  Status Commit(int64_t epoch) override;
  Status Close() override;
  std::string Describe() const override { return "jsonl:" + dir_ + "/"; }
  std::unique_ptr<RowFormatter> MakeRowFormatter(
      const std::vector<std::string>& column_names) const override;

 private:
  JsonlDirSink(std::string dir, const TimeZone& tz, OutputMode mode, std::string writer)
      : dir_(std::move(dir)), tz_(tz), mode_(mode), writer_(std::move(writer)) {}
  std::string TempPath(int64_t epoch) const;
  std::string FinalPath(int64_t epoch) const;
  Status CloseOpenFile();

  const std::string dir_;
  TimeZone tz_;
  const OutputMode mode_;
  const std::string writer_;
  bool durable_ = false;
  int fd_ = -1;              // the open temporary file ...
  int64_t open_epoch_ = -1;  // ... and its epoch
  int64_t prepared_epoch_ = -1;
  std::string buf_;
};

}  // namespace sluice
