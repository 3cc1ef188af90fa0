// Engine: runs one bound query from a Source into a Sink until the source ends or Stop().
//
// Per round the driver thread polls up to `round_batches` RawBatches, then
//   1. parse + filter in parallel, one task per batch (BatchProcessor),
//   2. walks the batches in order to fix the watermark each batch is judged against
//      (the watermark of the batches before it) and to advance the per-partition watermarks,
//   3. aggregates in parallel, one task per range of key groups (AggregateState per key group),
//      dropping late rows,
// and at each trigger emits what the output mode says (the key groups' rows taken, filtered by
// HAVING and sorted in parallel, merged on the driver) and commits the epoch: the sinks prepare,
// the checkpoint (if any) records positions, watermarks, counters, sink states and the state
// of every key group that changed, then the sinks commit. Everything that decides a result
// depends only on batch contents and order, never on timing or the thread count. With a
// checkpoint, where each round's batches were cut is appended to the epoch's offsets log before
// the round runs, and Restore() has the source replay an epoch that was planned but not
// committed with exactly those batches, in that order.
// Owned by the CLI (or a test); Run() blocks the calling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "checkpoint/checkpoint_store.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/thread_pool.h"
#include "common/time_format.h"
#include "exec/aggregate_state.h"
#include "exec/batch_processor.h"
#include "exec/result_builder.h"
#include "exec/trigger_schedule.h"
#include "exec/watermark_tracker.h"
#include "plan/query.h"
#include "sink/sink.h"
#include "source/source.h"

namespace sluice {

struct EngineOptions {
  OutputMode mode = OutputMode::kAppend;
  int threads = 1;
  int64_t watermark_delay_ms = 10'000;
  int64_t trigger_ms = 1'000;  // 0: emit after every round
  int64_t idle_timeout_ms = 10'000;
  size_t round_batches =
      0;  // 0: 4 per thread (8 from an input at rest), or kTriggerZeroRound with trigger_ms 0
  TimeZone time_zone = TimeZone::Utc();
  // State partitions (key groups) of an aggregation: fixed for the life of a query (a
  // checkpoint records it), independent of the thread count.
  uint32_t state_partitions = kDefaultStatePartitions;
  // Records read per trigger at most (Spark's maxOffsetsPerTrigger), in whole batches; 0: no cap.
  int64_t max_records_per_trigger = 0;
  // A projection into a sink with a RowFormatter keeps this many rows of each trigger as values
  // too, for the trigger callback (the monitor's result table shows RunMonitor::kMaxResultRows).
  size_t result_preview_rows = 200;
  const Clock* clock = nullptr;           // nullptr: the system clock
  CheckpointStore* checkpoint = nullptr;  // --checkpoint; owned by the caller

  static constexpr uint32_t kDefaultStatePartitions = 128;
  // With trigger_ms 0, a trigger follows every round of this many batches (fewer when a live
  // input has no more yet), whatever the thread count, so that a file gives the same triggers.
  static constexpr size_t kTriggerZeroRound = 16;
};

// Counters of a run, updated by the driver thread; read them after Run() or from the monitor.
struct RunCounters {
  int64_t input_records = 0;
  int64_t malformed_records = 0;
  int64_t filtered_records = 0;  // passed WHERE
  int64_t late_records = 0;      // records with at least one window dropped as late
  int64_t late_rows = 0;  // (record, window) pairs dropped (Spark's numRowsDroppedByWatermark)
  int64_t output_rows = 0;
  int64_t triggers = 0;
};

// Records one partition contributed to one trigger: offsets [start_offset, end_offset) of what
// was processed (not merely fetched). A partition without records has start == end.
struct PartitionProgress {
  PartitionId partition{0};
  int64_t start_offset = 0;
  int64_t end_offset = 0;
  int64_t rows = 0;  // records among them (blank lines of a file are not records)
};

// What the engine reports after each trigger, for the monitor and --progress; docs/monitoring.md
// defines every field. Times are the driver thread's wall time.
struct TriggerReport {
  int64_t batch_id = 0;
  int64_t input_rows = 0;  // records processed since the previous trigger
  int64_t output_rows = 0;
  int64_t wall_ms = 0;  // from the end of the previous trigger to the end of this one
  // Trigger execution: parse + aggregate + emit + sink + checkpoint. Excludes Source::Poll,
  // which cannot tell waiting for records (or for the trigger) from reading them.
  int64_t busy_ns = 0;
  int64_t parse_ns = 0, aggregate_ns = 0, emit_ns = 0, sink_ns = 0, checkpoint_ns = 0;
  int64_t poll_ns = 0;            // in Source::Poll, waiting included
  int64_t watermark = INT64_MIN;  // the data's watermark (not +inf when the input ended)
  int64_t max_event_time = INT64_MIN;
  int64_t state_rows = 0, state_bytes = 0;
  StateChanges state_changes;
  std::vector<WindowSize> open_windows;  // oldest first
  int64_t window_size_ms = 0;
  std::vector<PartitionProgress> partitions;  // every partition read so far, by id
  const OutputBatch* output = nullptr;        // valid during the callback only
};

class Engine {
 public:
  Engine(const BoundQuery& query, EngineOptions options, Source& source, Sink& sink);
  ~Engine();

  // Optional side outputs: late rows and malformed records (each as a row per record).
  void SetLateSink(Sink* sink);
  // Whether the workers combine each batch's rows per (window, key) (see ChooseCombining).
  bool combining() const { return combining_; }
  void SetDeadLetterSink(Sink* sink) { dead_letter_sink_ = sink; }
  void SetTriggerCallback(std::function<void(const TriggerReport&)> cb) {
    on_trigger_ = std::move(cb);
  }

  // Resumes from a checkpoint's latest epoch (nullopt: a new query): state, watermarks,
  // counters, and each sink's Recover. Call once before Run() when options.checkpoint is set;
  // the source must already start at rec's positions.
  [[nodiscard]] Status Restore(const std::optional<EpochRecord>& rec);

  // Runs until the source is finished (then closes every window) or Stop() is called (then
  // emits and commits what was read). Closes the sinks in both cases.
  [[nodiscard]] Status Run();
  // Safe from any thread (e.g. a signal-handling thread).
  void Stop() { stop_.store(true); }

  const RunCounters& counters() const { return counters_; }
  const WatermarkTracker& watermarks() const { return tracker_; }
  const ThreadPool& pool() const { return pool_; }
  // Records each worker thread has parsed so far (read between triggers).
  std::vector<int64_t> WorkerRecords() const;

 private:
  // `plan`: the round's cuts go into the checkpoint's offsets log (not when it replays them).
  Status ProcessRound(std::vector<RawBatch>& batches, bool plan);
  // Replay: the next planned round of the epoch being replayed, once all of it has arrived
  // (`batches` stays empty until then); an error if the source delivered other cuts.
  Status PollPlannedRound(std::vector<RawBatch>& batches, std::chrono::milliseconds timeout);
  // Emits what the output mode says and commits the epoch; `final_emit` closes every window
  // first (the input ended, or a run without checkpoint stops).
  Status Emit(bool final_emit);
  bool HasUnemitted() const;
  // Prepares the sinks, writes the checkpoint (if any), then commits the sinks.
  Status CommitEpoch(int64_t epoch, bool final_emit, int64_t output_rows);
  Status CloseSinks();
  // The output sink, then the late and dead-letter sinks if set, with the names their commit
  // states have in a checkpoint.
  std::vector<std::pair<const char*, Sink*>> Sinks() const;
  Status WriteMalformed(const std::vector<RawBatch>& batches);
  // A projection's rows of one batch into the pending output: formatted rows are concatenated
  // and only the first few decoded (the preview); without a formatter every row is decoded.
  void TakeProjected(const ParsedBatch& pb);
  // Formats an aggregation's output rows for the sink on the pool, so the driver only
  // concatenates them (as for a projection's rows). The first result_preview_rows stay as
  // values for the monitor's table; the others are freed by the task that formatted them.
  void FormatOnPool(OutputBatch& out);
  // Rows are combined per batch in the parallel step when that gives the same result: the query
  // allows it, and no late row has to be written out one by one (a late sink, in a mode that
  // drops late rows).
  void ChooseCombining();
  size_t PendingRows() const {
    return formatter_ ? pending_formatted_.size() : pending_rows_.size();
  }
  int64_t NowMs() const { return clock_.NowMs(); }

  const BoundQuery& query_;
  EngineOptions options_;
  Source& source_;
  Sink& sink_;
  Sink* late_sink_ = nullptr;
  bool combining_ = false;
  Sink* dead_letter_sink_ = nullptr;
  std::function<void(const TriggerReport&)> on_trigger_;
  std::atomic<bool> stop_{false};
  const Clock& clock_;

  ThreadPool pool_;
  // The sink's formatter of output rows (null: rows as values): a projection's processors run
  // it on each row, and an aggregation's rows are formatted on the pool at each trigger.
  std::unique_ptr<RowFormatter> formatter_;
  std::vector<std::unique_ptr<BatchProcessor>> processors_;  // one per worker thread
  std::vector<std::unique_ptr<AggregateState>> states_;      // one per key group
  std::vector<ParsedBatch> parsed_;
  std::vector<int64_t> watermark_before_;
  WatermarkTracker tracker_;
  ResultBuilder results_;
  // Non-aggregating output since the last trigger: with a formatter, every row formatted and
  // the first ones as values; without one, every row as values.
  FormattedRows pending_formatted_;
  std::vector<std::vector<OwnedValue>> pending_rows_;
  RunCounters counters_;
  TriggerReport report_;      // accumulates between triggers
  TriggerSchedule schedule_;  // when the next trigger is due, and each one's interval
  std::map<PartitionId, PartitionProgress> trigger_progress_;  // what this trigger processed
  int64_t next_batch_id_ = 0;
  bool drop_late_ = true;
  bool already_finished_ = false;  // restored from an epoch that ended a bounded input
  // Where each partition resumes: the end of the last batch processed (not merely fetched).
  std::map<PartitionId, PartitionPosition> positions_;
  std::vector<StateRef> state_refs_;  // where the last committed epoch keeps each key group
  // The rounds of an epoch planned before a restart and not yet replayed, and the batches of
  // the first of them received so far.
  std::deque<std::vector<BatchCut>> replay_;
  std::vector<RawBatch> replaying_;
};

}  // namespace sluice
