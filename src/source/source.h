// Source: where records come from (generator, file, stdin, Kafka), handed out as RawBatches.
// A source is owned and polled by the engine's driver thread only; the batches it returns are
// moved to worker threads, so they own their bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/named_type.h"
#include "common/position.h"
#include "common/status.h"

namespace sluice {

// Lateness is judged per batch, so batch boundaries must not depend on timing for a
// deterministic input. Sources other than files cut a batch every kMaxBatchRecords records (a
// Kafka partition's, earlier when its input pauses, as the offsets log records); so does a file
// source under --max-records-per-trigger, which counts lines.
inline constexpr size_t kMaxBatchRecords = 10'000;
// Otherwise a file source cuts on a grid of bytes: batch k holds the lines whose first byte lies
// in [k * kFileBatchBytes, (k + 1) * kFileBatchBytes) of the file (counted from its first byte,
// whatever position a run resumes at; an empty cell is no batch). A cut needs one newline search,
// so the reader never reads the batch: the worker that parses it finds its lines.
inline constexpr size_t kFileBatchBytes = 1 << 20;
// Bytes kept readable after the last record of a batch (simdjson reads up to 64 bytes ahead).
inline constexpr size_t kBatchPadding = 64;
// The longest record a file source takes (--max-record-bytes): longer lines are malformed, never
// split. The default is generous; the ceiling keeps a batch's offsets within 32 bits.
inline constexpr size_t kDefaultMaxRecordBytes = 64 << 20;
inline constexpr size_t kMaxMaxRecordBytes = 256 << 20;
// A file source also ends a batch once it holds this many bytes (lines of 100 KB on average),
// a cut that depends only on the input, like the one every kMaxBatchRecords lines.
inline constexpr size_t kMaxBatchBytes = 1 << 30;
// Why a record in RawBatch::oversized is malformed.
inline constexpr const char* kRecordTooLong = "record longer than --max-record-bytes";

// Raw records of one partition, in partition order. Record i is data[starts[i], starts[i + 1])
// less one trailing '\n' if there is one (a file source copies lines with their newline);
// data has kBatchPadding zero bytes after starts.back() that are not part of any record.
//
// The bytes are either owned (`data`) or borrowed from a buffer that `external` keeps alive
// (a memory-mapped file, so large files are never copied); `starts` are relative to bytes().
struct RawBatch {
  PartitionId partition{0};
  uint8_t stream = 0;            // 0: the input; 1: the exchange topic of a group-mode Kafka source
  uint32_t generation = 0;       // group mode: the partition's assignment this batch was read under
  Offset first_offset{0};        // offset of record 0
  std::vector<int64_t> offsets;  // per-record offsets when not consecutive (Kafka); else empty
  std::string data;
  std::vector<uint32_t> starts{0};       // size() == records + 1
  std::shared_ptr<const void> external;  // when set, the bytes are ext_base[0, ext_size)
  const char* ext_base = nullptr;
  size_t ext_size = 0;    // readable bytes from ext_base, at least starts.back() + kBatchPadding
  int64_t end_byte = -1;  // file sources: byte offset in the file just past the last record
  // Records longer than the source's maximum, ascending: malformed. The batch holds only the
  // first kOversizedPrefix bytes of such a record when it was read through a pipe.
  std::vector<uint32_t> oversized;
  // A file batch on the byte grid whose lines are not cut yet: its records are the lines of
  // bytes()[0, uncut), which the worker finds (CutLines) before it reads them. Until then
  // `starts` is {0}, and first_offset is unknown (-1) unless the batch is its source's first:
  // the engine numbers it after the batch before it.
  size_t uncut = 0;
  // Of an uncut batch: its lines longer than this are oversized.
  size_t max_record_bytes = kDefaultMaxRecordBytes;

  size_t size() const { return starts.size() - 1; }
  const char* bytes() const { return external ? ext_base : data.data(); }
  size_t bytes_size() const { return external ? ext_size : data.size(); }
  std::string_view record(size_t i) const {
    const char* b = bytes();
    size_t end = starts[i + 1];
    if (end > starts[i] && b[end - 1] == '\n') --end;
    return std::string_view(b + starts[i], end - starts[i]);
  }
  // Readable bytes after record i (the parser may look ahead that far).
  size_t padding_after(size_t i) const { return bytes_size() - starts[i + 1]; }
  int64_t offset(size_t i) const {
    return offsets.empty() ? first_offset.value + static_cast<int64_t>(i) : offsets[i];
  }
  // Where the batch starts and ends, as the offsets log of a checkpoint records it.
  BatchCut cut() const { return BatchCut{partition, first_offset, end_position().next_offset}; }
  // Where the partition resumes after this batch.
  PartitionPosition end_position() const {
    PartitionPosition p;
    p.partition = partition;
    p.next_offset = Offset(size() == 0 ? first_offset.value : offset(size() - 1) + 1);
    p.next_byte = end_byte;
    return p;
  }
  // Appends one record. Call Seal() once all records are in.
  void Add(std::string_view rec) {
    data.append(rec);
    starts.push_back(static_cast<uint32_t>(data.size()));
  }
  void Seal() { data.append(kBatchPadding, '\0'); }
};

// What the engine knows of one partition the source currently reads.
struct PartitionInfo {
  PartitionId id{0};
  Offset next_offset{0};       // next offset to read
  int64_t end_offset = -1;     // high watermark of the partition, -1 if unknown (lag = end - next)
  int64_t target_offset = -1;  // a bounded read (available-now) ends here; -1 otherwise
};

class Source {
 public:
  virtual ~Source() = default;

  // Appends up to max_batches sealed batches to `out`, waiting at most `timeout` for the
  // first one. Returns an error only for failures the run cannot continue from.
  virtual Status Poll(std::vector<RawBatch>& out, size_t max_batches,
                      std::chrono::milliseconds timeout) = 0;
  // True once a bounded input has been read to its end (never for a continuous source, nor
  // for one whose read failed: its next Poll returns the failure).
  virtual bool Finished() const = 0;
  // True when the whole input is there to be read now (a regular file): a round of batches can
  // always be filled, so `--trigger 0` cuts triggers at fixed places (docs/semantics.md).
  virtual bool AtRest() const { return false; }
  // The partitions currently assigned to this process.
  virtual std::vector<PartitionInfo> Partitions() const = 0;
  // Human-readable description for EXPLAIN and the UI, e.g. "file:/tmp/x.jsonl".
  virtual std::string Describe() const = 0;

  // Facts a restart needs besides positions, stored in the checkpoint and given back through
  // SourceOptions::restore_values (e.g. the generator's event-time origin).
  virtual std::vector<std::pair<std::string, int64_t>> RestoreValues() const { return {}; }
  // A restart replays the epoch that was planned but not committed (its cuts are in the
  // checkpoint's offsets log): the batches the source hands out next must be exactly `cuts`, in
  // this order, however the records arrive. A source that can cut where it is told takes them
  // and returns true; one whose cuts depend only on the input (a file) returns false.
  virtual bool ReplayCuts(const std::vector<BatchCut>& /*cuts*/) { return false; }
  // Called after epoch `epoch` was committed with these processed positions (a Kafka source
  // commits them to its consumer group, for lag monitoring; the checkpoint stays the truth).
  virtual void OnEpochCommitted(int64_t /*epoch*/,
                                const std::vector<PartitionPosition>& /*positions*/) {}
};

}  // namespace sluice
