// JsonlSink: one JSON object per row, keys named by the select list (format/json_writer.h), into
// one file (`jsonl:PATH`) or standard output (`jsonl:-`). Used by the driver thread only.
//
// Append and update modes append rows. With --checkpoint, Prepare records the file's length in
// the checkpoint and Recover truncates the file back to the committed length, so after a crash
// the file holds exactly the committed rows before the run goes on (exactly once for a regular
// file; standard output and pipes cannot be taken back: at least once).
//
// Complete mode: the file always holds one whole committed result table. Prepare writes the
// table to a hidden temporary file beside it (".NAME.EPOCH.tmp") and Commit renames it over the
// target; Recover finishes a rename that a crash interrupted. A target that is not a regular
// file (a FIFO, a device, a symlink) is never replaced: the table is written into it instead.
#pragma once

#include <memory>
#include <string>

#include "common/time_format.h"
#include "sink/sink.h"

namespace sluice {

class JsonlSink : public Sink {
 public:
  // checkpointed: the run has --checkpoint, so Recover decides what the file keeps (it is not
  // truncated when opened).
  static Result<std::unique_ptr<JsonlSink>> Open(const std::string& path, const TimeZone& tz,
                                                 OutputMode mode, bool checkpointed);
  ~JsonlSink() override;
  Status Write(const OutputBatch& batch) override;
  Status Recover(std::string_view committed_state) override;
  Result<std::string> Prepare(int64_t epoch) override;
  Status Commit(int64_t epoch) override;
  Status Close() override;
  std::string Describe() const override { return "jsonl:" + path_; }
  std::unique_ptr<RowFormatter> MakeRowFormatter(
      const std::vector<std::string>& column_names) const override;

 private:
  JsonlSink(std::string path, int fd, const TimeZone& tz, OutputMode mode, bool regular);
  std::string TempPath(int64_t epoch) const;
  Status RemoveStaleTemps(int64_t keep_epoch);

  const std::string path_;
  int fd_;  // append modes: the file (or 1 for stdout); complete mode: -1 unless in place
  TimeZone tz_;
  const OutputMode mode_;
  const bool regular_;    // a regular file (or a new one): can be truncated and replaced
  bool durable_ = false;  // Recover was called: fsync at Prepare
  std::string buf_;
  std::string table_;  // complete mode: the latest table, written at Prepare
  bool table_dirty_ = false;
  int64_t prepared_epoch_ = -1;  // complete mode: the temp file Commit renames
};

// A batch as JSON lines: its preformatted bytes, or its rows written into buf. Shared by the
// jsonl sinks (file and directory).
const std::string& JsonLines(const OutputBatch& batch, const TimeZone& tz, std::string& buf);

}  // namespace sluice
