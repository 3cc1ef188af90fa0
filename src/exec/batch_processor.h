// BatchProcessor: the parallel half of the pipeline. For one RawBatch it parses the fields the
// query reads, drops malformed records (remembering why), tracks the largest event time,
// applies WHERE, and hands each surviving row on: for an aggregating query as (event time,
// encoded group key, encoded aggregate arguments) into the bucket its key hashes to; otherwise
// as an output row, written by the sink's RowFormatter when it has one (so the driver only
// concatenates), else encoded with the row codec. One BatchProcessor per worker thread; it owns
// its parser and arena.
//
// A group key belongs to one of `key_groups` state partitions (hash of the key modulo their
// number, fixed for the life of a query); key groups are split into `num_buckets` contiguous
// ranges, one per aggregation task, so the state layout never depends on the thread count.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/arena.h"
#include "exec/aggregate_function.h"
#include "format/record_parser.h"
#include "format/row_formatter.h"
#include "plan/query.h"
#include "source/source.h"

namespace sluice {

// A row bound for aggregation, pointing into its bucket's byte buffer.
struct KeyedRow {
  int64_t event_time;
  uint32_t record;      // index of the record in its RawBatch (for the late sink)
  uint32_t key_offset;  // encoded key at bytes[key_offset, key_offset + key_len), args follow
  uint32_t key_len;
  uint32_t key_group;  // the state partition the key belongs to
};

// The rows of one (window, group key) of a batch folded together in the parallel step (map-side
// partial aggregation, as Spark's partial aggregates before a shuffle): the aggregation step
// merges one of these where it would otherwise fold every row.
struct PartialGroup {
  int64_t window_start;  // kNoWindow for a query without a window
  uint32_t key_offset;   // the encoded key at Bucket::bytes[key_offset, key_offset + key_len)
  uint32_t key_len;
  uint32_t key_group;
  int64_t rows = 0;  // input rows folded in
};

struct Bucket {
  std::vector<KeyedRow> rows;
  std::string bytes;
  // Combining (BatchProcessor::SetCombining): the batch's groups instead of rows, in the order
  // their first rows came; group g's accumulators are accs[g * aggregates, (g + 1) * aggregates).
  std::vector<PartialGroup> groups;
  std::vector<Accumulator> accs;
};

struct Malformed {
  uint32_t record;
  const char* reason;  // static string
  int field;           // index into the query's input fields, or -1
};

// What phase 1 made of one RawBatch.
struct ParsedBatch {
  int64_t input_records = 0;  // non-blank records
  int64_t passed_filter = 0;
  int64_t prefiltered = 0;             // records WHERE rejected by the raw prefilter, not evaluated
  int64_t max_event_time = INT64_MIN;  // over well-formed records, filtered or not
  std::vector<Malformed> malformed;
  std::vector<Bucket> buckets;        // aggregating: one per range of key groups
  std::string out_bytes;              // not aggregating: output rows, formatted or encoded ...
  std::vector<uint32_t> out_offsets;  // ... row i at out_bytes[out_offsets[i]]
  // With a RowFormatter: the first rows again, encoded with the row codec (the monitor's view).
  std::string preview_bytes;
  size_t preview_rows = 0;
  int64_t parse_ns = 0;

  void Reset(size_t num_buckets);
};

class BatchProcessor {
 public:
  // formatter (shared, may be null: rows are encoded with the row codec) writes a projection's
  // visible columns.
  BatchProcessor(const BoundQuery& query, size_t num_buckets, uint32_t key_groups,
                 const RowFormatter* formatter = nullptr);
  // Whether the query's rows can be combined per batch with the same result as row by row:
  // aggregates whose combine is exact (count, min, max, and sum and avg of integers: a double
  // sum would round differently) and no window or a tumbling one (one window per row), so that
  // a group's rows are all late or none.
  static bool CanCombine(const BoundQuery& query);
  // Rows of an aggregating query go into Bucket::groups rather than Bucket::rows (only when
  // CanCombine; the late rows of a combined group are counted, not listed).
  void SetCombining(bool on) { combining_ = on; }
  // With a formatter, the first `preview_rows` rows of the batch are also encoded (what the
  // trigger still lacks of its preview). A batch left uncut (RawBatch::uncut) is cut first.
  void Process(RawBatch& batch, ParsedBatch& out, size_t preview_rows = 0);
  // Records this processor has handled; written by its worker, read between parallel steps.
  int64_t records_processed() const { return records_processed_; }

 private:
  // A row that passed WHERE, of a query without aggregation, into out.
  void Project(ParsedBatch& out, size_t preview_rows);
  // A row that passed WHERE, with its event time t and its encoded key in key_, folded into its
  // group of the batch (combining).
  void Combine(ParsedBatch& out, int64_t t);

  const BoundQuery& query_;
  size_t num_buckets_;
  uint32_t key_groups_;
  const RowFormatter* formatter_;
  size_t visible_columns_;
  std::vector<uint32_t> bucket_of_group_;  // key group -> bucket
  RecordParser parser_;
  bool prefilter_ = false;  // the parser searches the records for WHERE's text
  Arena arena_;
  std::vector<Value> row_;
  std::vector<Value> columns_;  // a projected row's values
  std::string key_;
  std::string args_;
  bool combining_ = false;
  std::vector<const AggregateFunction*> functions_;  // one per aggregate
  // Combining: a group of the batch being processed, by a hash of its window start and key.
  struct GroupRef {
    uint32_t bucket = 0;
    uint32_t group = 0;
  };
  // A new group for the row in key_, of window `start`.
  GroupRef NewGroup(ParsedBatch& out, int64_t start, uint64_t key_hash);
  absl::flat_hash_map<uint64_t, GroupRef> group_index_;
  std::vector<std::pair<uint64_t, GroupRef>> collided_;  // groups whose hash was taken
  bool has_last_ = false;                                // the group of the last row, and its hash
  uint64_t last_hash_ = 0;
  GroupRef last_;
  int64_t records_processed_ = 0;
};

}  // namespace sluice
