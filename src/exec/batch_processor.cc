#include "exec/batch_processor.h"

#define XXH_INLINE_ALL  // short keys: a call into the library costs more than the hash
#include <xxhash.h>

#include <algorithm>

#include "exec/aggregate_state.h"
#include "exec/evaluator.h"
#include "exec/raw_prefilter.h"
#include "exec/window_assigner.h"
#include "format/row_codec.h"
#include "source/line_cutter.h"

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
    b.groups.clear();
    b.accs.clear();
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
  for (const auto& a : query_.aggregates) functions_.push_back(&AggregateFunctionFor(a.kind));
  // Contiguous ranges of key groups per bucket (a lookup per row instead of a division).
  bucket_of_group_.resize(key_groups_);
  for (uint32_t kg = 0; kg < key_groups_; ++kg) {
    bucket_of_group_[kg] = static_cast<uint32_t>(uint64_t{kg} * num_buckets_ / key_groups_);
  }
}

bool BatchProcessor::CanCombine(const BoundQuery& query) {
  if (!query.aggregating) return false;
  if (query.window && query.window->slide_ms != query.window->size_ms) return false;
  return std::all_of(query.aggregates.begin(), query.aggregates.end(), [](const AggCall& a) {
    const bool sum = a.kind == AggKind::kSum || a.kind == AggKind::kAvg;
    return !sum || (a.arg != nullptr && a.arg->type != Type::kDouble);
  });
}

void BatchProcessor::Process(RawBatch& batch, ParsedBatch& out, size_t preview_rows) {
  // A file batch on the byte grid: its lines are found here, on the worker, by the index as it
  // indexes them (a run at a time, below), or first when the index cannot (no AVX-512, or a
  // maximum record length below a run's).
  const bool cutting =
      batch.uncut != 0 && parser_.CutsRuns() && batch.max_record_bytes >= RecordScanner::kRunBytes;
  if (!cutting) CutLines(batch);
  out.Reset(query_.aggregating ? num_buckets_ : 0);
  group_index_.clear();
  collided_.clear();
  has_last_ = false;
  const int time_slot = query_.event_time_slot;
  size_t next_oversized = 0;  // index into batch.oversized (ascending)
  // Records are indexed a run at a time (RecordParser::IndexRun); run_end == run_begin + 1
  // with !indexed: a record too long for a run, parsed alone.
  size_t run_begin = 0;
  size_t run_end = 0;
  bool indexed = false;
  for (size_t i = 0; i < batch.size() || (cutting && batch.starts.back() < batch.uncut); ++i) {
    if (i >= run_end) {
      run_begin = i;
      size_t taken = 0;
      if (cutting) {
        taken = parser_.CutRun(batch.bytes(), batch.starts.back(), batch.uncut, batch.starts);
        if (taken == 0) CutNextLine(batch);  // a line longer than a run: parsed alone
      } else {
        taken = parser_.IndexRun(batch.bytes(), batch.starts.data() + i, batch.size() - i);
      }
      indexed = taken > 0;
      run_end = i + std::max<size_t>(taken, 1);
    }
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
    if (combining_) {
      Combine(out, t);
      continue;
    }
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
  batch.uncut = 0;  // (cut now)
  records_processed_ += static_cast<int64_t>(batch.size());
}

BatchProcessor::GroupRef BatchProcessor::NewGroup(ParsedBatch& out, int64_t start,
                                                  uint64_t key_hash) {
  const auto kg = static_cast<uint32_t>(key_hash % key_groups_);
  const uint32_t b = bucket_of_group_[kg];
  Bucket& bucket = out.buckets[b];
  const GroupRef ref{b, static_cast<uint32_t>(bucket.groups.size())};
  bucket.groups.push_back({start, static_cast<uint32_t>(bucket.bytes.size()),
                           static_cast<uint32_t>(key_.size()), kg, 0});
  bucket.bytes.append(key_);
  const size_t num_aggs = functions_.size();
  bucket.accs.resize(bucket.accs.size() + num_aggs);
  for (size_t a = 0; a < num_aggs; ++a) {
    functions_[a]->initialize(bucket.accs[bucket.accs.size() - num_aggs + a]);
  }
  return ref;
}

void BatchProcessor::Combine(ParsedBatch& out, int64_t t) {
  // A tumbling window at most (CanCombine): the row's one window.
  const int64_t start = query_.window ? LastWindowStart(*query_.window, t) : kNoWindow;
  const uint64_t key_hash = XXH3_64bits(key_.data(), key_.size());
  // (window start, key) -> its group of the batch, by a hash of both; a group whose hash another
  // group has already is kept aside in collided_.
  const uint64_t hash = key_hash ^ (static_cast<uint64_t>(start) * 0x9E3779B97F4A7C15ULL);
  auto is = [&](GroupRef ref) {
    const Bucket& bucket = out.buckets[ref.bucket];
    const PartialGroup& p = bucket.groups[ref.group];
    return p.window_start == start &&
           std::string_view(bucket.bytes.data() + p.key_offset, p.key_len) == key_;
  };
  // Rows of one group often come in a row (always, for a global aggregate).
  if (!(has_last_ && hash == last_hash_ && is(last_))) {
    auto [it, fresh] = group_index_.try_emplace(hash);
    GroupRef* ref = &it->second;
    if (!fresh && !is(*ref)) {
      const auto other = std::find_if(collided_.begin(), collided_.end(), [&](const auto& c) {
        return c.first == hash && is(c.second);
      });
      fresh = other == collided_.end();
      ref = fresh ? &collided_.emplace_back(hash, GroupRef{}).second : &other->second;
    }
    if (fresh) *ref = NewGroup(out, start, key_hash);
    has_last_ = true;
    last_hash_ = hash;
    last_ = *ref;
  }
  Bucket& bucket = out.buckets[last_.bucket];
  const size_t g = last_.group;
  ++bucket.groups[g].rows;
  const size_t num_aggs = functions_.size();
  Accumulator* accs = bucket.accs.data() + g * num_aggs;
  for (size_t a = 0; a < num_aggs; ++a) {
    const auto& arg = query_.aggregates[a].arg;
    functions_[a]->update(accs[a], arg ? Evaluate(*arg, row_.data(), arena_) : Value());
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
