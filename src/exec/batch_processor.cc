#include "exec/batch_processor.h"

#include <xxhash.h>

#include <algorithm>

#include "exec/evaluator.h"
#include "exec/raw_prefilter.h"
#include "exec/window_assigner.h"
#include "format/row_codec.h"

namespace sluice {
namespace {

// JSON lines files may hold blank lines; they are not records.
bool IsBlank(std::string_view rec) {
  for (char c : rec) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

void ParsedBatch::Reset(size_t num_buckets) {
  input_records = 0;
  passed_filter = 0;
  prefiltered = 0;
  max_event_time = INT64_MIN;
  malformed.clear();
  buckets.resize(num_buckets);
  for (auto& b : buckets) {
    b.rows.clear();
    b.bytes.clear();
  }
  out_bytes.clear();
  out_offsets.clear();
  preview_bytes.clear();
  preview_rows = 0;
  parse_ns = 0;
}

BatchProcessor::BatchProcessor(const BoundQuery& query, size_t num_buckets, uint32_t key_groups,
                               const RowFormatter* formatter)
    : query_(query),
      num_buckets_(num_buckets),
      key_groups_(key_groups),
      formatter_(formatter),
      visible_columns_(query.select.size() - query.hidden_columns),
      parser_(query.input_fields),
      row_(query.input_fields.size()) {
  std::string text = PrefilterText(query.where.get());
  prefilter_ = !text.empty();
  parser_.SetPrefilterText(std::move(text));
  // Contiguous ranges of key groups per bucket (a lookup per row instead of a division).
  bucket_of_group_.resize(key_groups_);
  for (uint32_t kg = 0; kg < key_groups_; ++kg) {
    bucket_of_group_[kg] = static_cast<uint32_t>(uint64_t{kg} * num_buckets_ / key_groups_);
  }
}

void BatchProcessor::Process(const RawBatch& batch, ParsedBatch& out, size_t preview_rows) {
  out.Reset(query_.aggregating ? num_buckets_ : 0);
  const int time_slot = query_.event_time_slot;
  const size_t n = batch.size();
  records_processed_ += static_cast<int64_t>(n);
  size_t next_oversized = 0;  // index into batch.oversized (ascending)
  // Records are indexed a run at a time (RecordParser::IndexRun); run_end == run_begin + 1
  // with !indexed: a record too long for a run, parsed alone.
  size_t run_begin = 0;
  size_t run_end = 0;
  bool indexed = false;
  for (size_t i = 0; i < n; ++i) {
    const std::string_view rec = batch.record(i);
    if (next_oversized < batch.oversized.size() && batch.oversized[next_oversized] == i) {
      ++next_oversized;
      ++out.input_records;
      out.malformed.push_back({static_cast<uint32_t>(i), kRecordTooLong, -1});
      continue;
    }
    if (rec.empty() || ((rec[0] != '{') && IsBlank(rec))) continue;
    ++out.input_records;
    // Bytes after the record up to the batch's padding are readable (next records, padding).
    const size_t padding = batch.padding_after(i);
    if (i >= run_end) {
      run_begin = i;
      const size_t taken = parser_.IndexRun(batch.bytes(), batch.starts.data() + i, n - i);
      indexed = taken > 0;
      run_end = i + std::max<size_t>(taken, 1);
    }
    const char* why = indexed ? parser_.ParseIndexed(i - run_begin, rec, padding, row_.data())
                              : parser_.Parse(rec, padding, row_.data());
    if (why != nullptr) {
      out.malformed.push_back({static_cast<uint32_t>(i), why, parser_.last_bad_field()});
      continue;
    }
    int64_t t = 0;
    if (time_slot >= 0) {
      t = row_[static_cast<size_t>(time_slot)].i;
      if (t < kMinEventTimeMs || t > kMaxEventTimeMs) {
        out.malformed.push_back({static_cast<uint32_t>(i), kEventTimeOutOfRange, time_slot});
        continue;
      }
      out.max_event_time = std::max(out.max_event_time, t);
    }
    // The raw prefilter: a record without WHERE's text (or a backslash) cannot pass it.
    if (prefilter_ && indexed && !parser_.MayHoldText(i - run_begin)) {
      ++out.prefiltered;
      continue;
    }
    arena_.Reset();
    if (query_.where && !EvaluatePredicate(*query_.where, row_.data(), arena_)) continue;
    ++out.passed_filter;

    if (!query_.aggregating) {
      Project(out, preview_rows);
      continue;
    }
    key_.clear();
    for (const auto& k : query_.group_keys) EncodeValue(key_, Evaluate(*k, row_.data(), arena_));
    args_.clear();
    for (const auto& a : query_.aggregates) {
      if (a.arg) EncodeValue(args_, Evaluate(*a.arg, row_.data(), arena_));
    }
    // The key alone picks its key group, so all rows of a key meet in one AggregateState; the
    // group's range picks the bucket (the aggregation task).
    const auto kg = static_cast<uint32_t>(XXH3_64bits(key_.data(), key_.size()) % key_groups_);
    Bucket& bucket = out.buckets[bucket_of_group_[kg]];
    bucket.rows.push_back({t, static_cast<uint32_t>(i), static_cast<uint32_t>(bucket.bytes.size()),
                           static_cast<uint32_t>(key_.size()), kg});
    bucket.bytes.append(key_);
    bucket.bytes.append(args_);
  }
}

void BatchProcessor::Project(ParsedBatch& out, size_t preview_rows) {
  out.out_offsets.push_back(static_cast<uint32_t>(out.out_bytes.size()));
  if (formatter_ == nullptr) {
    for (const auto& col : query_.select) {
      EncodeValue(out.out_bytes, Evaluate(*col.expr, row_.data(), arena_));
    }
    return;
  }
  columns_.clear();
  for (size_t c = 0; c < visible_columns_; ++c) {
    columns_.push_back(Evaluate(*query_.select[c].expr, row_.data(), arena_));
  }
  formatter_->Append(columns_.data(), out.out_bytes);
  if (out.preview_rows < preview_rows) {
    ++out.preview_rows;
    for (const Value& v : columns_) EncodeValue(out.preview_bytes, v);
  }
}

}  // namespace sluice
