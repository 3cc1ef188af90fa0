// RunMonitor: what a running query reports about itself, for the web UI, /metrics and
// --progress. Owned by the run command and outlives the engine and the UiServer.
//
// Threads: the engine's driver thread is the only writer (Set*/Publish*); HTTP threads and the
// progress printer read. Every snapshot is an immutable object behind a shared_ptr: a writer
// builds the new object before taking the lock and only swaps a pointer under it, a reader only
// copies a pointer under it, so neither side ever waits for the other's allocation or JSON
// serialization. Readers must treat what they get as const and may keep it as long as they like.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/named_type.h"
#include "common/query_id.h"

namespace sluice {

// Wall time of each phase of one trigger, milliseconds, as the driver thread saw it (a phase
// run by the workers in parallel counts once). docs/monitoring.md defines each.
struct PhaseDurations {
  int64_t poll_ms = 0;          // in Source::Poll: reading and waiting for records; not busy time
  int64_t parse_filter_ms = 0;  // JSON field extraction + WHERE
  int64_t aggregate_ms = 0;     // updating aggregation state
  int64_t emit_ms = 0;          // firing windows, HAVING, ORDER BY/LIMIT
  int64_t sink_ms = 0;          // writing, preparing and committing the sinks
  int64_t checkpoint_ms = 0;    // writing offsets and state
  // Trigger execution ("triggerExecution", "batchDuration" in Spark): the busy time, parse +
  // aggregate + emit + sink + checkpoint; never the time spent waiting for records or the trigger.
  int64_t total_us = 0;  // in microseconds: sums and rates over sub-ms triggers
  int64_t total_ms() const { return total_us / 1000; }
  // From the end of the previous trigger to the end of this one: what the input rate divides by.
  int64_t interval_ms = 0;
};

// Offsets one source partition covered in one trigger: [start_offset, end_offset).
struct PartitionOffsets {
  PartitionId partition{0};
  int64_t start_offset = 0;
  int64_t end_offset = 0;
};

struct SourceProgress {
  std::string description;  // Source::Describe()
  std::vector<PartitionOffsets> offsets;
  int64_t num_input_rows = 0;
};

// The aggregation state after the trigger (Spark's stateOperators[0]).
struct StateProgress {
  int64_t rows_total = 0;                 // groups held (window x key)
  int64_t rows_updated = 0;               // groups created or changed in this trigger
  int64_t rows_removed = 0;               // groups evicted (their window fired and closed)
  int64_t rows_dropped_by_watermark = 0;  // input rows of this trigger that were late
  int64_t memory_bytes = 0;               // estimate of the state's heap use
};

// Cumulative counters since the run started. RunMonitor::PublishTrigger fills these itself from
// the per-trigger fields; the engine leaves them zero.
struct RunTotals {
  int64_t triggers = 0;
  int64_t input_rows = 0;
  int64_t late_rows = 0;
  int64_t malformed_rows = 0;
  int64_t output_rows = 0;
  int64_t busy_us = 0;             // sum of PhaseDurations::total_us
  int64_t state_rows_removed = 0;  // sum of StateProgress::rows_removed
  int64_t peak_state_rows = 0;     // most rows held, before a trigger's evictions
};

// One trigger (micro-batch), like Spark's StreamingQueryProgress.
struct TriggerProgress {
  int64_t batch_id = 0;
  // Wall clock (epoch ms) when the previous trigger ended, the start of this one's interval:
  // timestamp_ms + duration.interval_ms is this trigger's end.
  int64_t timestamp_ms = 0;
  int64_t num_input_rows = 0;
  // num_input_rows / duration.interval_ms (the arrival rate).
  double input_rows_per_second = 0;
  // num_input_rows / duration.total_us (how fast this trigger processed what it got).
  double processed_rows_per_second = 0;
  PhaseDurations duration;
  std::optional<int64_t> max_event_time_ms;  // newest event time seen so far; none yet: nullopt
  std::optional<int64_t> watermark_ms;       // global watermark after the trigger
  StateProgress state;
  int64_t late_rows = 0;       // records of this trigger behind the watermark
  int64_t malformed_rows = 0;  // records of this trigger that could not be parsed
  int64_t output_rows = 0;     // rows written to the sink by this trigger
  std::vector<SourceProgress> sources;
  std::string sink_description;
  RunTotals totals;  // filled by PublishTrigger

  // max_event_time - watermark, when both are known.
  std::optional<int64_t> watermark_gap_ms() const {
    if (!max_event_time_ms || !watermark_ms) return std::nullopt;
    return *max_event_time_ms - *watermark_ms;
  }
};

// One operator of the physical plan. `children` are the ids of the operators feeding it.
struct PlanNode {
  int id = 0;
  std::string name;    // "Scan", "Filter", "HashAggregate", ...
  std::string detail;  // "lower(content) LIKE '%crash%'", ...
  std::vector<int> children;
  int stage = 0;  // pipeline (stage) the operator runs in, for grouping in the UI
};

// Live counters of one operator, cumulative since the run started.
struct OperatorMetrics {
  int node_id = 0;  // PlanNode::id
  int64_t rows_in = 0;
  int64_t rows_out = 0;
  int64_t time_ns = 0;
};

// Set once before the first trigger.
struct QueryInfo {
  std::string id;      // stable for a checkpoint (survives restarts); see NewQueryId()
  std::string run_id;  // new for every start
  std::string name;
  std::string sql;
  std::string output_mode;  // "append", "update", "complete"
  int64_t trigger_interval_ms = 0;
  int64_t watermark_delay_ms = 0;
  std::string source_description;
  std::string sink_description;
  int num_workers = 1;
  int64_t started_ms = 0;  // wall clock, epoch ms
  std::vector<PlanNode> plan;
};

// What the engine knows of one source partition after a trigger.
struct PartitionStatus {
  PartitionId partition{0};
  double records_per_second = 0;  // records of the last trigger / its interval
  int64_t records_total = 0;      // records processed by this run (a restart counts from 0)
  int64_t next_offset = 0;        // after the last record processed
  int64_t end_offset = -1;        // -1 when the source does not know it
  std::optional<int64_t> watermark_ms;
  std::optional<int64_t> max_event_time_ms;
  bool idle = false;  // no records for the idle timeout: excluded from the global watermark
  int64_t lag() const {
    return end_offset < 0 ? -1 : std::max<int64_t>(0, end_offset - next_offset);
  }
};

// One window that has state and has not fired yet.
struct WindowStatus {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t groups = 0;       // result rows (keys) in the window so far
  int64_t input_rows = 0;   // input rows aggregated into it so far
  int64_t fires_at_ms = 0;  // the watermark it waits for (= end_ms in append mode)
};

struct WindowsSnapshot {
  std::optional<int64_t> watermark_ms;
  int64_t open_windows = 0;           // may exceed windows.size() when truncated
  std::vector<WindowStatus> windows;  // oldest first, at most kMaxWindows
};

// The latest output rows, already formatted as the console sink shows them.
struct ResultsSnapshot {
  int64_t batch_id = 0;
  std::string output_mode;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // at most kMaxResultRows
  int64_t total_rows = 0;                      // rows in the batch before truncation
};

struct WorkerStatus {
  int id = 0;
  double busy_share = 0;  // busy time / trigger wall time over the last trigger, 0..1
  int64_t records_last_trigger = 0;
  int64_t records_total = 0;
};

// Group mode (several processes, one query): what this member owns and what it knows of the
// group. Units are input partitions ("input") and exchange partitions ("shard").
struct GroupUnitStatus {
  std::string kind;  // "input" or "shard"
  int32_t partition = 0;
  int64_t epoch = 0;         // the unit's next epoch
  int64_t next_offset = -1;  // input: next record; shard: next message of the repartition topic
  int64_t end_offset = -1;   // input: the partition's high watermark (lag = end - next), or -1
  std::optional<int64_t> watermark_ms;  // shard: its watermark; input: its max event time
  int64_t state_rows = 0;               // shard
};

struct RebalanceRecord {
  int64_t at_ms = 0;       // wall clock
  std::string change;      // "assigned input 3", "revoked shard 1"
  int64_t restore_ms = 0;  // assigned: reading the unit's checkpoint (state, position)
};

struct GroupMemberStatus {
  std::string member_id;  // HOST-PID
  std::string host;
  int64_t updated_ms = 0;               // when the member last wrote its status (a dead one stops)
  std::vector<std::string> partitions;  // "input 3 epoch 12 next 4943 end 4943", "shard 1 ..."
  bool self = false;
};

struct GroupSnapshot {
  std::string group_id;
  std::string exchange_topic;               // empty without aggregation
  std::vector<GroupMemberStatus> members;   // from DIR/members/, refreshed every 2 s
  std::vector<GroupUnitStatus> units;       // this member's
  std::vector<RebalanceRecord> rebalances;  // this member's, newest last, at most 100
};

enum class RunState : uint8_t { kStarting, kRunning, kFinished, kFailed };
std::string_view RunStateName(RunState s);

class RunMonitor {
 public:
  static constexpr size_t kHistorySize = 300;
  static constexpr size_t kMaxResultRows = 200;
  static constexpr size_t kMaxWindows = 500;

  RunMonitor();
  RunMonitor(const RunMonitor&) = delete;
  RunMonitor& operator=(const RunMonitor&) = delete;

  // --- writers: the engine's driver thread ---
  void SetQueryInfo(QueryInfo info);
  void SetState(RunState state, std::string message = {});
  // When the run ended (wall clock, epoch ms): uptimes and averages stop there.
  void SetEndedMs(int64_t ended_ms);
  // Appends to the history and fills progress.totals. Call once per trigger, in batch order.
  void PublishTrigger(TriggerProgress progress);
  // Cumulative per-operator counters; ids not in the plan are ignored by readers.
  void SetOperatorMetrics(std::vector<OperatorMetrics> metrics);
  void SetPartitions(std::vector<PartitionStatus> partitions);
  // Truncated to the kMaxWindows oldest; open_windows keeps the real count.
  void SetWindows(std::vector<WindowStatus> windows, std::optional<int64_t> watermark_ms);
  // Truncates rows to kMaxResultRows; total_rows is set from the untruncated size if 0.
  void SetResults(ResultsSnapshot results);
  void SetWorkers(std::vector<WorkerStatus> workers);
  // Group mode: this member's units and rebalances (driver thread) and the group's members
  // (the thread that asks the coordinator); each call replaces its part.
  void SetGroupUnits(std::string group_id, std::string exchange_topic,
                     std::vector<GroupUnitStatus> units, std::vector<RebalanceRecord> rebalances);
  void SetGroupMembers(std::vector<GroupMemberStatus> members);

  // --- readers: any thread; each returns an immutable snapshot, never null ---
  std::shared_ptr<const QueryInfo> query() const;
  std::pair<RunState, std::string> state() const;
  // The run's end for averages over the run: SetEndedMs's time, or now_ms while it runs.
  int64_t EndOr(int64_t now_ms) const;
  std::shared_ptr<const TriggerProgress> latest() const;  // null before the first trigger
  // Oldest first, at most `max` (the newest ones).
  std::vector<std::shared_ptr<const TriggerProgress>> history(size_t max = kHistorySize) const;
  std::shared_ptr<const std::vector<OperatorMetrics>> operator_metrics() const;
  std::shared_ptr<const std::vector<PartitionStatus>> partitions() const;
  std::shared_ptr<const WindowsSnapshot> windows() const;
  std::shared_ptr<const ResultsSnapshot> results() const;
  std::shared_ptr<const std::vector<WorkerStatus>> workers() const;
  std::shared_ptr<const GroupSnapshot> group() const;  // null outside group mode
  RunTotals totals() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const QueryInfo> query_ ABSL_GUARDED_BY(mu_);
  RunState state_ ABSL_GUARDED_BY(mu_) = RunState::kStarting;
  std::string state_message_ ABSL_GUARDED_BY(mu_);
  int64_t ended_ms_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::shared_ptr<const TriggerProgress>> history_ ABSL_GUARDED_BY(mu_);
  RunTotals totals_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::vector<OperatorMetrics>> operators_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::vector<PartitionStatus>> partitions_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const WindowsSnapshot> windows_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ResultsSnapshot> results_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::vector<WorkerStatus>> workers_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const GroupSnapshot> group_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sluice
