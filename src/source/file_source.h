// FileSource: a JSON-lines file, or standard input, as one ordered partition.
// A reader thread cuts the input into batches on the byte grid of kFileBatchBytes, or of
// kMaxBatchRecords lines when asked (so batch boundaries, and with them lateness decisions, never
// depend on timing) and queues a few of them ahead, overlapping I/O with processing. A mapped
// file's batches on the grid are left uncut (RawBatch::uncut): the reader reads only the bytes
// around each cut. Poll is called from the engine's driver thread only.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "source/source.h"

namespace sluice {

class FileSource : public Source {
 public:
  // path "-" reads standard input. With `start` (a checkpoint's position) reading resumes at
  // that line and byte offset of a regular file; InvalidArgument if the file cannot be resumed
  // (standard input, a pipe, or a file now shorter than the position). Lines longer than
  // `max_record_bytes` are records marked oversized (RawBatch::oversized), never split.
  // A regular file is read up to its size when opened; if it shrinks while read, Poll fails.
  // `by_lines`: a batch every kMaxBatchRecords lines (--max-records-per-trigger counts lines)
  // rather than the byte grid.
  static Result<std::unique_ptr<FileSource>> Open(const std::string& path,
                                                  const PartitionPosition* start = nullptr,
                                                  size_t max_record_bytes = kDefaultMaxRecordBytes,
                                                  bool by_lines = false);
  ~FileSource() override;

  Status Poll(std::vector<RawBatch>& out, size_t max_batches,
              std::chrono::milliseconds timeout) override;
  bool Finished() const override;
  bool AtRest() const override { return mapping_ != nullptr; }
  std::vector<PartitionInfo> Partitions() const override;
  std::string Describe() const override;

 private:
  FileSource(std::string path, int fd);
  void ReadLoop();
  // A regular file is memory-mapped and cut into batches that borrow the mapping.
  void MappedLoop();
  bool Push(RawBatch&& batch);          // blocks while the queue is full; false once stopping
  void Finish(std::string error = {});  // ends reading; a non-empty error is what Poll returns
  // The mapped file shrank since it was opened (a read of the lost pages was turned into zeros).
  bool MappingShrank() const;
  std::string ShrankMessage() const;

  const std::string path_;
  const int fd_;
  std::shared_ptr<const void> mapping_;  // the whole file, when mapped
  const char* map_base_ = nullptr;
  size_t map_size_ = 0;
  int map_slot_ = -1;  // the mapping's entry in the SIGBUS guard, or -1
  size_t max_record_bytes_ = kDefaultMaxRecordBytes;
  bool by_lines_ = false;
  int64_t start_offset_ = 0;  // line number and byte offset reading starts at
  size_t start_byte_ = 0;
  std::thread reader_;

  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  // Guarded by mu_:
  std::deque<RawBatch> queue_;
  size_t depth_;  // batches the reader keeps ready: kQueueDepth, or the largest round asked for
  bool eof_ = false;
  bool stop_ = false;
  std::string error_;
  int64_t next_offset_ = 0;  // lines handed to the engine so far (as far as they are counted)
};

}  // namespace sluice
