#include "exec/engine.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "exec/window_assigner.h"
#include "format/row_codec.h"

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NanosSince(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

struct LateRow {
  uint32_t batch;
  uint32_t record;
  int64_t event_time;
  int64_t window_start;
  int64_t watermark;
  bool operator<(const LateRow& o) const {
    if (batch != o.batch) return batch < o.batch;
    if (record != o.record) return record < o.record;
    return window_start < o.window_start;
  }
};

}  // namespace

Engine::Engine(const BoundQuery& query, EngineOptions options, Source& source, Sink& sink)
    : query_(query),
      options_(std::move(options)),
      source_(source),
      sink_(sink),
      pool_(options_.threads),
      tracker_(options_.watermark_delay_ms, options_.idle_timeout_ms),
      results_(query, options_.time_zone) {
  const auto buckets = static_cast<size_t>(pool_.size());
  for (int i = 0; i < pool_.size(); ++i) {
    processors_.push_back(std::make_unique<BatchProcessor>(query_, buckets));
  }
  if (query_.aggregating) {
    for (size_t i = 0; i < buckets; ++i) states_.push_back(std::make_unique<AggregateState>(query_));
  }
  if (options_.round_batches == 0) options_.round_batches = 4 * buckets;
  // Spark keeps every row in complete mode, so nothing is ever late there.
  drop_late_ = query_.window.has_value() && options_.mode != OutputMode::kComplete;
}

Engine::~Engine() = default;

int64_t Engine::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<int64_t> Engine::WorkerRecords() const {
  std::vector<int64_t> out;
  for (const auto& p : processors_) out.push_back(p->records_processed());
  return out;
}

Status Engine::Run() {
  std::vector<RawBatch> batches;
  auto last_trigger = Clock::now();
  bool input_since_trigger = false;
  while (!stop_.load()) {
    batches.clear();
    const auto until_trigger = std::chrono::milliseconds(options_.trigger_ms) -
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   Clock::now() - last_trigger);
    const auto timeout = std::clamp(until_trigger, std::chrono::milliseconds(1),
                                    std::chrono::milliseconds(100));
    const auto t_poll = Clock::now();
    SLUICE_RETURN_IF_ERROR(source_.Poll(batches, options_.round_batches, timeout));
    report_.poll_ns += NanosSince(t_poll);
    if (!batches.empty()) {
      SLUICE_RETURN_IF_ERROR(ProcessRound(batches));
      input_since_trigger = true;
    }
    if (source_.Finished() && batches.empty()) {
      tracker_.CloseAll();
      return Emit(/*final_emit=*/true);
    }
    const bool due = options_.trigger_ms == 0 ||
                     Clock::now() - last_trigger >= std::chrono::milliseconds(options_.trigger_ms);
    const bool too_many_pending = pending_rows_.size() >= 100'000;
    if ((due && input_since_trigger) || too_many_pending) {
      report_.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            Clock::now() - last_trigger).count();
      last_trigger = Clock::now();
      input_since_trigger = false;
      SLUICE_RETURN_IF_ERROR(Emit(/*final_emit=*/false));
    } else if (due) {
      last_trigger = Clock::now();
    }
  }
  return Status::Ok();
}

Status Engine::ProcessRound(std::vector<RawBatch>& batches) {
  const auto t0 = Clock::now();
  const size_t n = batches.size();
  if (parsed_.size() < n) parsed_.resize(n);
  pool_.ParallelFor(n, [&](size_t i, int worker) {
    processors_[static_cast<size_t>(worker)]->Process(batches[i], parsed_[i]);
  });
  report_.parse_ns += NanosSince(t0);

  // The watermark each batch is judged against: that of the batches before it, in order.
  std::vector<PartitionId> partitions;
  for (const auto& p : source_.Partitions()) partitions.push_back(p.id);
  const int64_t now = NowMs();
  if (!partitions.empty()) tracker_.SetPartitions(partitions, now);
  watermark_before_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    watermark_before_[i] = tracker_.watermark();
    tracker_.Observe(batches[i].partition, parsed_[i].max_event_time, now);
    tracker_.Advance(now);
    counters_.input_records += parsed_[i].input_records;
    report_.input_rows += parsed_[i].input_records;
    counters_.malformed_records += static_cast<int64_t>(parsed_[i].malformed.size());
    counters_.filtered_records += parsed_[i].passed_filter;
  }
  SLUICE_RETURN_IF_ERROR(WriteMalformed(batches));

  const auto t1 = Clock::now();
  if (!query_.aggregating) {
    for (size_t i = 0; i < n; ++i) {
      const ParsedBatch& pb = parsed_[i];
      const size_t width = query_.select.size();
      for (uint32_t off : pb.out_offsets) {
        const char* p = pb.out_bytes.data() + off;
        std::vector<OwnedValue> row;
        row.reserve(width);
        for (size_t c = 0; c < width; ++c) row.emplace_back(DecodeValue(p));
        pending_rows_.push_back(std::move(row));
      }
    }
    report_.aggregate_ns += NanosSince(t1);
    return Status::Ok();
  }

  std::vector<std::vector<LateRow>> late(states_.size());
  const bool windowed = query_.window.has_value();
  pool_.ParallelFor(states_.size(), [&](size_t b, int) {
    AggregateState& state = *states_[b];
    std::vector<LateRow>& my_late = late[b];
    for (size_t i = 0; i < n; ++i) {
      const Bucket& bucket = parsed_[i].buckets[b];
      const int64_t wm = watermark_before_[i];
      for (const KeyedRow& r : bucket.rows) {
        const std::string_view key(bucket.bytes.data() + r.key_offset, r.key_len);
        const char* args = bucket.bytes.data() + r.key_offset + r.key_len;
        if (!windowed) {
          state.Accumulate(kNoWindow, key, args);
          continue;
        }
        const WindowSpec& w = *query_.window;
        ForEachWindow(w, r.event_time, [&](int64_t start) {
          if (drop_late_ && start + w.size_ms <= wm) {
            my_late.push_back({static_cast<uint32_t>(i), r.record, r.event_time, start, wm});
          } else {
            state.Accumulate(start, key, args);
          }
        });
      }
    }
  });
  report_.aggregate_ns += NanosSince(t1);

  std::vector<LateRow> all_late;
  for (auto& l : late) all_late.insert(all_late.end(), l.begin(), l.end());
  if (all_late.empty()) return Status::Ok();
  std::sort(all_late.begin(), all_late.end());
  counters_.late_rows += static_cast<int64_t>(all_late.size());
  for (size_t i = 0; i < all_late.size(); ++i) {
    if (i == 0 || all_late[i].batch != all_late[i - 1].batch ||
        all_late[i].record != all_late[i - 1].record) {
      ++counters_.late_records;
    }
  }
  if (late_sink_ == nullptr) return Status::Ok();
  OutputBatch out;
  out.column_names = {"partition", "offset", "event_time", "window_start", "window_end",
                      "watermark", "lateness_ms", "record"};
  out.column_types = {Type::kInt64, Type::kInt64, Type::kInt64, Type::kTimestamp,
                      Type::kTimestamp, Type::kInt64, Type::kInt64, Type::kString};
  for (const LateRow& l : all_late) {
    const RawBatch& b = batches[l.batch];
    std::vector<OwnedValue> row;
    row.emplace_back(Value::Int(b.partition.value));
    row.emplace_back(Value::Int(b.offset(l.record)));
    row.emplace_back(Value::Int(l.event_time));
    row.emplace_back(Value::Timestamp(l.window_start));
    row.emplace_back(Value::Timestamp(l.window_start + query_.window->size_ms));
    row.emplace_back(Value::Int(l.watermark));
    row.emplace_back(Value::Int(l.watermark - l.event_time));
    row.emplace_back(Value::String(b.record(l.record)));
    out.rows.push_back(std::move(row));
  }
  return late_sink_->Write(out);
}

Status Engine::WriteMalformed(const std::vector<RawBatch>& batches) {
  if (dead_letter_sink_ == nullptr) return Status::Ok();
  OutputBatch out;
  out.column_names = {"partition", "offset", "error", "record"};
  out.column_types = {Type::kInt64, Type::kInt64, Type::kString, Type::kString};
  for (size_t i = 0; i < batches.size(); ++i) {
    for (const Malformed& m : parsed_[i].malformed) {
      std::string why = m.reason;
      if (m.field >= 0) why += ": " + query_.input_fields[static_cast<size_t>(m.field)].name;
      std::vector<OwnedValue> row;
      row.emplace_back(Value::Int(batches[i].partition.value));
      row.emplace_back(Value::Int(batches[i].offset(m.record)));
      row.emplace_back(Value::String(why));
      row.emplace_back(Value::String(batches[i].record(m.record)));
      out.rows.push_back(std::move(row));
    }
  }
  if (out.rows.empty()) return Status::Ok();
  return dead_letter_sink_->Write(out);
}

Status Engine::Emit(bool final_emit) {
  const auto t0 = Clock::now();
  const int64_t watermark = final_emit ? kMaxTime : tracker_.Advance(NowMs());
  OutputBatch out;
  out.batch_id = next_batch_id_;
  out.mode = options_.mode;
  out.column_names = results_.names();
  out.column_types = results_.types();
  if (query_.aggregating) {
    std::vector<AggregateRow> rows;
    for (auto& s : states_) {
      switch (options_.mode) {
        case OutputMode::kAppend: s->TakeClosed(watermark, rows); break;
        case OutputMode::kUpdate: s->TakeUpdated(watermark, rows); break;
        case OutputMode::kComplete: s->CollectAll(rows); break;
      }
    }
    report_.state_rows_updated = static_cast<int64_t>(rows.size());
    results_.FromAggregates(rows, out);
  } else {
    results_.AppendProjected(std::move(pending_rows_), out);
    pending_rows_.clear();
  }
  counters_.output_rows += static_cast<int64_t>(out.rows.size());
  ++counters_.triggers;
  ++next_batch_id_;
  SLUICE_RETURN_IF_ERROR(sink_.Write(out));
  if (final_emit) {
    SLUICE_RETURN_IF_ERROR(sink_.Close());
    if (late_sink_) SLUICE_RETURN_IF_ERROR(late_sink_->Close());
    if (dead_letter_sink_) SLUICE_RETURN_IF_ERROR(dead_letter_sink_->Close());
  }
  report_.emit_ns += NanosSince(t0);

  report_.batch_id = out.batch_id;
  report_.output_rows = static_cast<int64_t>(out.rows.size());
  report_.watermark = tracker_.watermark();
  report_.max_event_time = tracker_.max_event_time();
  report_.state_rows = 0;
  report_.state_bytes = 0;
  std::map<int64_t, int64_t> windows;  // start -> groups over all key ranges, in order
  for (const auto& s : states_) {
    report_.state_rows += s->rows();
    report_.state_bytes += s->bytes();
    for (auto [start, groups] : s->WindowSizes()) windows[start] += groups;
  }
  report_.open_windows.assign(windows.begin(), windows.end());
  report_.window_size_ms = query_.window ? query_.window->size_ms : 0;
  report_.busy_ns = report_.parse_ns + report_.aggregate_ns + report_.emit_ns;
  report_.output = &out;
  if (on_trigger_) on_trigger_(report_);
  report_ = TriggerReport{};
  return Status::Ok();
}

}  // namespace sluice
