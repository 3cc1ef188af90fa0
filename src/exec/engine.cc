#include "exec/engine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <map>
#include <thread>

#include "exec/window_assigner.h"
#include "format/row_codec.h"

namespace sluice {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Fewer output rows than this are projected by the driver alone (a task costs a wake-up).
constexpr size_t kRowsPerProjectTask = 2048;

int64_t NanosSince(SteadyClock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - t0).count();
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
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock::Default()),
      pool_(options_.threads),
      tracker_(options_.watermark_delay_ms, options_.idle_timeout_ms),
      results_(query),
      schedule_(options_.trigger_ms) {
  const auto buckets = static_cast<size_t>(pool_.size());
  if (options_.state_partitions == 0) options_.state_partitions = 1;
  formatter_ = sink_.MakeRowFormatter(results_.names());
  for (int i = 0; i < pool_.size(); ++i) {
    processors_.push_back(
        std::make_unique<BatchProcessor>(query_, buckets, options_.state_partitions,
                                         query_.aggregating ? nullptr : formatter_.get()));
  }
  if (query_.aggregating) {
    for (uint32_t i = 0; i < options_.state_partitions; ++i) {
      states_.push_back(std::make_unique<AggregateState>(query_));
    }
  }
  if (options_.round_batches == 0) {
    // An input at rest (a file) is there to be read: larger rounds mean fewer barriers, where
    // the worker done first waits for the other's last batch.
    options_.round_batches = options_.trigger_ms == 0 ? EngineOptions::kTriggerZeroRound
                             : source_.AtRest()       ? 8 * buckets
                                                      : 4 * buckets;
  }
  // Spark keeps every row in complete mode, so nothing is ever late there.
  drop_late_ = query_.window.has_value() && options_.mode != OutputMode::kComplete;
  ChooseCombining();
}

Engine::~Engine() = default;

std::vector<int64_t> Engine::WorkerRecords() const {
  std::vector<int64_t> out;
  for (const auto& p : processors_) out.push_back(p->records_processed());
  return out;
}

Status Engine::Restore(const std::optional<EpochRecord>& rec) {
  if (options_.checkpoint == nullptr) return Status::Internal("Restore without a checkpoint");
  if (rec) {
    if (rec->state_partitions != 0 && query_.aggregating &&
        rec->state_partitions != options_.state_partitions) {
      return Status::InvalidArgument("the checkpoint has " + std::to_string(rec->state_partitions) +
                                     " state partitions, the query " +
                                     std::to_string(options_.state_partitions));
    }
    // Every key group's state, decoded in parallel (a restart reads them all).
    std::vector<Status> errors(rec->state.size());
    pool_.ParallelFor(rec->state.size(), [&](size_t i, int) {
      const StateRef& ref = rec->state[i];
      if (ref.state_partition >= states_.size()) {
        errors[i] = Status::Corruption("checkpoint names state partition " +
                                       std::to_string(ref.state_partition) + " of " +
                                       std::to_string(states_.size()));
        return;
      }
      auto bytes = options_.checkpoint->ReadState(ref);
      if (!bytes.ok()) {
        errors[i] = bytes.status();
        return;
      }
      AggregateState& state = *states_[ref.state_partition];
      errors[i] = state.Deserialize(*bytes);
      if (errors[i].ok())
        state.ClearChanged();
      else
        errors[i] =
            Status::Corruption("checkpoint state partition " + std::to_string(ref.state_partition) +
                               " (" + options_.checkpoint->dir() + "): " + errors[i].message());
    });
    for (const Status& st : errors) SLUICE_RETURN_IF_ERROR(st);
    state_refs_ = rec->state;
    for (const auto& p : rec->positions) positions_[p.partition] = p;
    std::vector<std::pair<PartitionId, int64_t>> partition_max;
    for (const auto& w : rec->partition_watermarks)
      partition_max.emplace_back(w.partition, w.max_event_ms);
    tracker_.Restore(rec->watermark_ms, rec->max_event_ms, partition_max, NowMs());
    counters_.input_records = rec->input_records;
    counters_.malformed_records = rec->malformed_records;
    counters_.filtered_records = rec->filtered_records;
    counters_.late_records = rec->late_records;
    counters_.late_rows = rec->late_rows;
    counters_.output_rows = rec->output_rows;
    counters_.triggers = rec->triggers;
    results_.set_emitted(rec->projected_rows_emitted);
    next_batch_id_ = rec->epoch + 1;
    already_finished_ = rec->input_finished;
  }
  for (const auto& [name, sink] : Sinks()) {
    const std::string* state = rec ? rec->SinkState(name) : nullptr;
    SLUICE_RETURN_IF_ERROR(sink->Recover(state ? std::string_view(*state) : std::string_view()));
  }
  if (already_finished_) return Status::Ok();
  // The epoch after the last commit may have been planned (and partly run) before the process
  // stopped: it is replayed with the same batches in the same order.
  SLUICE_ASSIGN_OR_RETURN(auto rounds, options_.checkpoint->LoadPlan(next_batch_id_));
  std::vector<BatchCut> cuts;
  for (const auto& round : rounds) cuts.insert(cuts.end(), round.begin(), round.end());
  if (!cuts.empty() && source_.ReplayCuts(cuts)) {
    replay_.assign(rounds.begin(), rounds.end());
    std::fprintf(stderr,
                 "sluice: replaying epoch %lld as its offsets log planned it: %zu batches in %zu "
                 "rounds\n",
                 static_cast<long long>(next_batch_id_), cuts.size(), rounds.size());
  }
  return Status::Ok();
}

Status Engine::PollPlannedRound(std::vector<RawBatch>& batches, std::chrono::milliseconds timeout) {
  const std::vector<BatchCut>& round = replay_.front();
  SLUICE_RETURN_IF_ERROR(source_.Poll(replaying_, round.size() - replaying_.size(), timeout));
  if (replaying_.size() < round.size()) return Status::Ok();  // the rest has not arrived yet
  for (size_t i = 0; i < round.size(); ++i) {
    const BatchCut got = replaying_[i].cut();
    if (got == round[i]) continue;
    return Status::Unavailable(
        "cannot replay epoch " + std::to_string(next_batch_id_) + " of checkpoint " +
        options_.checkpoint->dir() + " as planned: partition " +
        std::to_string(round[i].partition.value) + " offsets " +
        std::to_string(round[i].first.value) + ".." + std::to_string(round[i].end.value) +
        " were planned, the source delivered partition " + std::to_string(got.partition.value) +
        " offsets " + std::to_string(got.first.value) + ".." + std::to_string(got.end.value) +
        " (were records deleted from the input since?)");
  }
  batches = std::move(replaying_);
  replaying_.clear();
  replay_.pop_front();
  return Status::Ok();
}

Status Engine::Run() {
  if (already_finished_) {
    // The bounded input was read to its end and every window emitted and committed before.
    return CloseSinks();
  }
  std::vector<RawBatch> batches;
  schedule_.Start(SteadyClock::now());
  bool input_since_trigger = false;
  int64_t read_since_trigger = 0;
  const int64_t cap = options_.max_records_per_trigger;
  while (!stop_.load()) {
    batches.clear();
    const auto until_trigger = schedule_.UntilDue(SteadyClock::now());
    const auto timeout =
        std::clamp(until_trigger, std::chrono::milliseconds(1), std::chrono::milliseconds(100));
    const bool capped = cap > 0 && read_since_trigger >= cap;
    const auto t_poll = SteadyClock::now();
    const bool replaying = !replay_.empty();
    if (replaying) {
      SLUICE_RETURN_IF_ERROR(PollPlannedRound(batches, timeout));
    } else if (capped) {
      // This trigger has read its share: wait for the next one (the source keeps its backlog),
      // unless the last trigger ran over its interval (then this one is due at once, below).
      if (until_trigger.count() > 0 && !schedule_.behind()) std::this_thread::sleep_for(timeout);
    } else {
      size_t max_batches = options_.round_batches;
      if (cap > 0) {
        const auto left = static_cast<size_t>((cap - read_since_trigger + kMaxBatchRecords - 1) /
                                              static_cast<int64_t>(kMaxBatchRecords));
        max_batches = std::clamp<size_t>(left, 1, max_batches);
      }
      SLUICE_RETURN_IF_ERROR(source_.Poll(batches, max_batches, timeout));
      // A trigger after every round: on an input at rest the round is filled, so triggers fall
      // at the same records in every run.
      while (options_.trigger_ms == 0 && source_.AtRest() && batches.size() < max_batches &&
             !source_.Finished() && !stop_.load()) {
        SLUICE_RETURN_IF_ERROR(source_.Poll(batches, max_batches - batches.size(), timeout));
      }
    }
    report_.poll_ns += NanosSince(t_poll);
    if (!batches.empty()) {
      SLUICE_RETURN_IF_ERROR(ProcessRound(batches, /*plan=*/!replaying));
      for (const RawBatch& b : batches) read_since_trigger += static_cast<int64_t>(b.size());
      input_since_trigger = true;
    }
    if (!capped && !replaying && batches.empty() && source_.Finished()) {
      SLUICE_RETURN_IF_ERROR(Emit(/*final_emit=*/true));
      return CloseSinks();
    }
    // A replayed epoch ends where its plan did: no earlier, and at once after its last planned
    // round (the first run logged no later round into it, so it triggered there or never).
    const bool replay_done = replaying && replay_.empty();
    // After a trigger that ran over its interval, one that has read its cap is due at once, as
    // Spark starts the next micro-batch at once with up to maxOffsetsPerTrigger.
    const bool due =
        replay_done ||
        (replay_.empty() && (schedule_.Due(SteadyClock::now()) ||
                             (schedule_.behind() && cap > 0 && read_since_trigger >= cap)));
    const bool too_many_pending = PendingRows() >= 100'000;
    if ((due && input_since_trigger) || too_many_pending) {
      input_since_trigger = false;
      read_since_trigger = 0;
      SLUICE_RETURN_IF_ERROR(Emit(/*final_emit=*/false));
    } else if (due) {
      // No records: no trigger runs, but the next one's interval starts here (as in Spark), and
      // so does the time it counts in polling.
      schedule_.Restart(SteadyClock::now());
      report_.poll_ns = 0;
      read_since_trigger = 0;
    }
  }
  // Stopped (Ctrl-C, SIGTERM): nothing more is read. A bounded input read to its end closes
  // every window, as it would without the stop. Otherwise, with a checkpoint what was read is
  // committed (open windows stay in the state, to resume); without one the state would be lost,
  // so every window is closed and emitted as at the end of the input.
  if (source_.Finished()) {
    SLUICE_RETURN_IF_ERROR(Emit(/*final_emit=*/true));
  } else if (options_.checkpoint != nullptr) {
    if (input_since_trigger) SLUICE_RETURN_IF_ERROR(Emit(/*final_emit=*/false));
  } else if (input_since_trigger || HasUnemitted()) {
    SLUICE_RETURN_IF_ERROR(Emit(/*final_emit=*/true));
  }
  return CloseSinks();
}

void Engine::SetLateSink(Sink* sink) {
  late_sink_ = sink;
  ChooseCombining();
}

void Engine::ChooseCombining() {
  combining_ = BatchProcessor::CanCombine(query_) && (!drop_late_ || late_sink_ == nullptr);
  for (auto& p : processors_) p->SetCombining(combining_);
}

bool Engine::HasUnemitted() const {
  if (PendingRows() > 0) return true;
  // Complete mode emitted the whole state at the last trigger already.
  if (options_.mode == OutputMode::kComplete) return false;
  return std::any_of(states_.begin(), states_.end(), [](const auto& s) { return !s->empty(); });
}

Status Engine::CloseSinks() {
  Status first;  // every sink is closed; the first failure is reported
  for (const auto& [name, sink] : Sinks()) {
    Status st = sink->Close();
    if (first.ok()) first = st;
  }
  return first;
}

Status Engine::ProcessRound(std::vector<RawBatch>& batches, bool plan) {
  const auto t0 = SteadyClock::now();
  const size_t n = batches.size();
  if (parsed_.size() < n) parsed_.resize(n);
  // Preview rows the trigger still lacks (each batch encodes at most that many; TakeProjected
  // keeps them in input order up to the total).
  const size_t want = options_.result_preview_rows;
  const size_t preview = formatter_ ? want - std::min(want, pending_rows_.size()) : 0;
  pool_.ParallelFor(n, [&](size_t i, int worker) {
    processors_[static_cast<size_t>(worker)]->Process(batches[i], parsed_[i], preview);
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
    const PartitionId part = batches[i].partition;
    auto [pos, fresh] = positions_.try_emplace(part);
    // A file batch on the byte grid was counted by its worker: it continues the one before it.
    if (batches[i].first_offset.value < 0 && !fresh) {
      batches[i].first_offset = pos->second.next_offset;
    }
    const int64_t start = fresh ? batches[i].first_offset.value : pos->second.next_offset.value;
    PartitionProgress& progress =
        trigger_progress_.try_emplace(part, PartitionProgress{part, start, start, 0}).first->second;
    progress.rows += parsed_[i].input_records;  // blank lines are not records
    pos->second = batches[i].end_position();
    tracker_.Observe(batches[i].partition, parsed_[i].max_event_time, now);
    tracker_.Advance(now);
    counters_.input_records += parsed_[i].input_records;
    report_.input_rows += parsed_[i].input_records;
    counters_.malformed_records += static_cast<int64_t>(parsed_[i].malformed.size());
    counters_.filtered_records += parsed_[i].passed_filter;
  }
  if (plan && options_.checkpoint != nullptr) {
    // The offsets log: where this round's batches were cut, before anything of them is written
    // (a file batch's lines are counted only once its worker cut them).
    std::vector<BatchCut> cuts;
    cuts.reserve(n);
    for (const RawBatch& b : batches) cuts.push_back(b.cut());
    SLUICE_RETURN_IF_ERROR(options_.checkpoint->PlanRound(next_batch_id_, cuts));
  }
  const auto t_dead = SteadyClock::now();
  SLUICE_RETURN_IF_ERROR(WriteMalformed(batches));
  report_.sink_ns += NanosSince(t_dead);

  const auto t1 = SteadyClock::now();
  if (!query_.aggregating) {
    for (size_t i = 0; i < n; ++i) TakeProjected(parsed_[i]);
    report_.aggregate_ns += NanosSince(t1);
    return Status::Ok();
  }

  const size_t tasks = static_cast<size_t>(pool_.size());
  std::vector<std::vector<LateRow>> late(tasks);
  // Late rows of combined groups: counted only (one window per row: each is one record).
  std::vector<int64_t> late_combined(tasks, 0);
  const bool windowed = query_.window.has_value();
  const size_t num_aggs = query_.aggregates.size();
  pool_.ParallelFor(tasks, [&](size_t b, int) {
    std::vector<LateRow>& my_late = late[b];
    for (size_t i = 0; i < n; ++i) {
      const Bucket& bucket = parsed_[i].buckets[b];
      const int64_t wm = watermark_before_[i];
      for (size_t g = 0; g < bucket.groups.size(); ++g) {
        const PartialGroup& p = bucket.groups[g];
        if (drop_late_ && p.window_start + query_.window->size_ms <= wm) {  // drop_late_: windowed
          late_combined[b] += p.rows;
          continue;
        }
        states_[p.key_group]->Combine(
            p.window_start, std::string_view(bucket.bytes.data() + p.key_offset, p.key_len),
            bucket.accs.data() + g * num_aggs, p.rows);
      }
      for (const KeyedRow& r : bucket.rows) {
        const std::string_view key(bucket.bytes.data() + r.key_offset, r.key_len);
        const char* args = bucket.bytes.data() + r.key_offset + r.key_len;
        AggregateState& state = *states_[r.key_group];
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

  for (const int64_t rows : late_combined) {
    counters_.late_rows += rows;
    counters_.late_records += rows;
  }
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
  out.batch_id = next_batch_id_;  // the epoch these rows commit with
  out.column_names = {"partition",  "offset",    "event_time",  "window_start",
                      "window_end", "watermark", "lateness_ms", "record"};
  out.column_types = {Type::kInt64,     Type::kInt64, Type::kInt64, Type::kTimestamp,
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
  const auto t_late = SteadyClock::now();
  Status st = late_sink_->Write(out);
  report_.sink_ns += NanosSince(t_late);
  return st;
}

void Engine::TakeProjected(const ParsedBatch& pb) {
  size_t width = query_.select.size();
  const char* p = pb.out_bytes.data();  // codec rows follow one another
  size_t rows = pb.out_offsets.size();
  if (formatter_) {
    pending_formatted_.Append(pb.out_bytes, pb.out_offsets);
    width = results_.names().size();
    p = pb.preview_bytes.data();
    const size_t want = options_.result_preview_rows;
    rows = std::min(pb.preview_rows, want - std::min(want, pending_rows_.size()));
  }
  for (size_t r = 0; r < rows; ++r) {
    std::vector<OwnedValue> row;
    row.reserve(width);
    for (size_t c = 0; c < width; ++c) row.emplace_back(DecodeValue(p));
    pending_rows_.push_back(std::move(row));
  }
}

Status Engine::WriteMalformed(const std::vector<RawBatch>& batches) {
  if (dead_letter_sink_ == nullptr) return Status::Ok();
  OutputBatch out;
  out.batch_id = next_batch_id_;  // the epoch these rows commit with
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
  const auto t0 = SteadyClock::now();
  schedule_.TriggerStarted(t0);
  // The watermark the data implies; at the end every window closes as if it were +inf.
  const int64_t data_watermark = final_emit ? tracker_.watermark() : tracker_.Advance(NowMs());
  if (final_emit) tracker_.CloseAll();
  const int64_t watermark = final_emit ? kMaxTime : data_watermark;
  OutputBatch out;
  out.batch_id = next_batch_id_;
  out.mode = options_.mode;
  out.column_names = results_.names();
  out.column_types = results_.types();
  if (query_.aggregating) {
    // Each task takes the rows HAVING keeps of a range of key groups and sorts them; the sorted
    // parts are merged here. At the end of a file read in one trigger this is every group of
    // the run (for Q2, two thirds of them dropped as they are taken).
    const size_t tasks =
        std::max<size_t>(1, std::min(static_cast<size_t>(pool_.size()), states_.size()));
    std::vector<std::vector<AggregateRow>> parts(tasks);
    pool_.ParallelFor(tasks, [&](size_t t, int) {
      const size_t begin = t * states_.size() / tasks;
      const size_t end = (t + 1) * states_.size() / tasks;
      const RowFilter keep = results_.HavingFilter();
      for (size_t kg = begin; kg < end; ++kg) {
        states_[kg]->Take(options_.mode, watermark, parts[t], keep);
      }
      results_.SortKept(parts[t]);
    });
    std::vector<AggregateRow> rows = std::move(parts[0]);
    for (size_t t = 1; t < tasks; ++t) {
      const auto middle = static_cast<std::ptrdiff_t>(rows.size());
      rows.insert(rows.end(), std::make_move_iterator(parts[t].begin()),
                  std::make_move_iterator(parts[t].end()));
      std::inplace_merge(rows.begin(), rows.begin() + middle, rows.end(),
                         [this](const AggregateRow& a, const AggregateRow& b) {
                           return results_.NaturalLess(a, b);
                         });
    }
    // The SELECT list of each row, on the pool as well: at the end of a file read in one
    // trigger, tens of thousands of rows.
    ResultBuilder::Projected projected(rows.size());
    const size_t chunks = rows.size() < kRowsPerProjectTask ? 1 : static_cast<size_t>(pool_.size());
    pool_.ParallelFor(chunks, [&](size_t t, int) {
      Arena arena;
      const size_t begin = t * rows.size() / chunks;
      const size_t end = (t + 1) * rows.size() / chunks;
      results_.Project(rows, begin, end, projected, arena);
      // Freed here, by the pool, not by the driver at the end of the trigger.
      for (size_t r = begin; r < end; ++r) AggregateRow().swap(rows[r]);
    });
    results_.Finish(projected, out);
    if (formatter_) FormatOnPool(out);
  } else {
    results_.AppendProjected(std::move(pending_rows_), formatter_ ? &pending_formatted_ : nullptr,
                             out);
    pending_rows_.clear();
  }
  const auto t_sink = SteadyClock::now();
  report_.emit_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(t_sink - t0).count();
  SLUICE_RETURN_IF_ERROR(sink_.Write(out));
  report_.sink_ns += NanosSince(t_sink);
  SLUICE_RETURN_IF_ERROR(
      CommitEpoch(out.batch_id, final_emit, static_cast<int64_t>(out.num_rows())));
  ++next_batch_id_;

  report_.batch_id = out.batch_id;
  report_.output_rows = static_cast<int64_t>(out.num_rows());
  report_.watermark = data_watermark;
  report_.max_event_time = tracker_.max_event_time();
  report_.state_rows = 0;
  report_.state_bytes = 0;
  std::map<int64_t, WindowSize> windows;  // by start, over all key groups
  for (const auto& s : states_) {
    report_.state_rows += s->rows();
    report_.state_bytes += s->bytes();
    const StateChanges c = s->TakeChanges();
    report_.state_changes.updated += c.updated;
    report_.state_changes.removed += c.removed;
    for (const WindowSize& w : s->WindowSizes()) {
      WindowSize& into = windows.try_emplace(w.start, WindowSize{w.start, 0, 0}).first->second;
      into.groups += w.groups;
      into.input_rows += w.input_rows;
    }
  }
  for (const auto& [start, w] : windows) report_.open_windows.push_back(w);
  report_.window_size_ms = query_.window ? query_.window->size_ms : 0;
  for (const auto& [p, pos] : positions_) {
    // A partition without records in this trigger starts and ends where it stands.
    const int64_t end = pos.next_offset.value;
    PartitionProgress progress{p, end, end, 0};
    if (auto it = trigger_progress_.find(p); it != trigger_progress_.end()) progress = it->second;
    progress.end_offset = end;
    report_.partitions.push_back(progress);
  }
  trigger_progress_.clear();
  report_.busy_ns = report_.parse_ns + report_.aggregate_ns + report_.emit_ns + report_.sink_ns +
                    report_.checkpoint_ns;
  // The trigger ends here, sinks and checkpoint included: its interval, and the schedule's next
  // one when it ran over (TriggerSchedule).
  report_.wall_ms = schedule_.TriggerEnded(SteadyClock::now());
  report_.output = &out;
  if (on_trigger_) on_trigger_(report_);
  report_ = TriggerReport{};
  if (out.preformatted) {
    // Its buffers take the next trigger's rows (no fresh pages for every trigger).
    pending_formatted_ = std::move(out.formatted);
    pending_formatted_.Clear();
  }
  return Status::Ok();
}

void Engine::FormatOnPool(OutputBatch& out) {
  const size_t n = out.rows.size();
  const size_t keep = std::min(n, options_.result_preview_rows);
  const size_t chunks = n < kRowsPerProjectTask ? 1 : static_cast<size_t>(pool_.size());
  std::vector<FormattedRows> parts(chunks);
  // The buffer of the last trigger's rows (Emit keeps it, cleared, for the next trigger's).
  out.formatted = std::move(pending_formatted_);
  pool_.ParallelFor(chunks, [&](size_t t, int) {
    std::vector<Value> values;
    for (size_t r = t * n / chunks; r < (t + 1) * n / chunks; ++r) {
      ViewRow(out.rows[r], values);
      formatter_->Append(values.data(), parts[t].bytes);
      parts[t].ends.push_back(parts[t].bytes.size());
      if (r >= keep) std::vector<OwnedValue>().swap(out.rows[r]);
    }
  });
  size_t bytes = 0;
  for (const FormattedRows& part : parts) bytes += part.bytes.size();
  out.formatted.bytes.reserve(bytes);
  for (const FormattedRows& part : parts) out.formatted.Append(part);
  out.rows.resize(keep);
  out.preformatted = true;
}

std::vector<std::pair<const char*, Sink*>> Engine::Sinks() const {
  std::vector<std::pair<const char*, Sink*>> sinks = {{"output", &sink_}};
  if (late_sink_) sinks.emplace_back("late", late_sink_);
  if (dead_letter_sink_) sinks.emplace_back("dead-letter", dead_letter_sink_);
  return sinks;
}

Status Engine::CommitEpoch(int64_t epoch, bool final_emit, int64_t output_rows) {
  const auto t_prepare = SteadyClock::now();
  std::vector<std::pair<std::string, std::string>> sink_states;  // name -> what Prepare returned
  for (const auto& [name, sink] : Sinks()) {
    SLUICE_ASSIGN_OR_RETURN(std::string state, sink->Prepare(epoch));
    sink_states.emplace_back(name, std::move(state));
  }
  report_.sink_ns += NanosSince(t_prepare);
  // Rows count as output once the sinks hold them (a complete-mode table is written at Prepare).
  counters_.output_rows += output_rows;
  ++counters_.triggers;
  std::vector<PartitionPosition> positions;
  for (const auto& [p, pos] : positions_) positions.push_back(pos);
  if (CheckpointStore* store = options_.checkpoint) {
    EpochRecord rec;
    rec.epoch = epoch;
    rec.committed_ms = NowMs();
    rec.input_finished = final_emit;
    rec.positions = positions;
    rec.source_values = source_.RestoreValues();
    rec.watermark_ms = tracker_.watermark();
    rec.max_event_ms = tracker_.max_event_time();
    for (const auto& [p, s] : tracker_.partitions())
      rec.partition_watermarks.push_back({p, s.max_event});
    rec.input_records = counters_.input_records;
    rec.malformed_records = counters_.malformed_records;
    rec.filtered_records = counters_.filtered_records;
    rec.late_records = counters_.late_records;
    rec.late_rows = counters_.late_rows;
    rec.output_rows = counters_.output_rows;
    rec.triggers = counters_.triggers;
    rec.projected_rows_emitted = results_.emitted();
    rec.sinks = std::move(sink_states);
    rec.state_partitions = query_.aggregating ? options_.state_partitions : 0;
    rec.state = state_refs_;
    // Only key groups that changed since the last commit are written again.
    const auto t_checkpoint = SteadyClock::now();
    std::vector<uint32_t> changed;
    for (uint32_t i = 0; i < states_.size(); ++i) {
      if (states_[i]->changed()) changed.push_back(i);
    }
    std::vector<StateBlob> blobs(changed.size());
    pool_.ParallelFor(changed.size(), [&](size_t i, int) {
      blobs[i] = states_[changed[i]]->ToStateBlob(changed[i]);
    });
    SLUICE_RETURN_IF_ERROR(store->Commit(rec, blobs));
    report_.checkpoint_ns += NanosSince(t_checkpoint);
    for (uint32_t i : changed) states_[i]->ClearChanged();
    state_refs_ = std::move(rec.state);
  }
  const auto t_commit = SteadyClock::now();
  for (const auto& [name, sink] : Sinks()) SLUICE_RETURN_IF_ERROR(sink->Commit(epoch));
  report_.sink_ns += NanosSince(t_commit);
  if (options_.checkpoint != nullptr) source_.OnEpochCommitted(epoch, positions);
  return Status::Ok();
}

}  // namespace sluice
