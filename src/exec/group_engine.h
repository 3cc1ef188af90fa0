// GroupEngine: one member of a query that several `sluice run` processes run together on Kafka
// (`--group-id G --checkpoint DIR`, docs/scaling.md). Kafka's consumer group assigns the
// partitions; their state lives in the shared checkpoint directory, so it moves with them.
//
// Two kinds of unit, each with its own checkpoint under DIR, locked while a process owns it:
//  - a *source unit* per input partition p (DIR/sources/p): its position, event-time progress
//    and epoch counter. It parses and filters its records and, per epoch, pre-aggregates them
//    by (window, group key) into one partial per exchange partition, which it produces to the
//    query's repartition topic (one message per exchange partition, heartbeats when idle).
//    Before producing epoch e it records in its checkpoint which offsets e covers, so a
//    process that takes p over after a crash produces exactly the same epoch again.
//    A query without aggregation writes its rows straight to its sink instead.
//  - a *shard* per exchange partition q (DIR/shards/q): the aggregation state of the group keys
//    that hash to q, the highest epoch merged from each input partition (replays are dropped),
//    each input partition's watermark, its position in the repartition topic and its sink.
//    It merges partials, closes windows when the watermark passes (the minimum over all input
//    partitions that are not idle, as in one process) and writes the rows it finalizes.
//
// Owned by the CLI; Run() blocks the calling thread, which is also where rebalance callbacks
// run (inside the source's Poll), so units need no lock.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_store.h"
#include "exec/aggregate_state.h"
#include "exec/batch_processor.h"
#include "exec/engine.h"
#include "exec/result_builder.h"
#include "kafka/producer.h"
#include "monitor/run_monitor.h"
#include "source/kafka_source.h"

namespace sluice {

struct GroupEngineOptions {
  EngineOptions engine;           // mode, threads, watermark, trigger, idle timeout, ...
  std::string checkpoint_dir;     // shared by every process of the query
  QueryIdentity identity;         // the query's (checked by every unit's checkpoint)
  int input_partitions = 0;       // of the input topic
  int exchange_partitions = 0;    // of the repartition topic (0 for a query without aggregation)
  bool available_now = false;     // read to the end offsets, close every window, exit
  bool allow_state_loss = false;  // go on when a partition's checkpoint cannot be found
  // The input topic is keyed by a group key (--partitioned-by): each key's records are in one
  // partition, so a source unit keeps its keys' state itself and there is no exchange.
  bool aligned = false;
  // Makes the sink of one unit ("q3" for shard 3, "p5" for source unit 5).
  std::function<Result<std::unique_ptr<Sink>>(const std::string& unit)> make_sink;
};

// Totals of this process's units, for the end-of-run summary.
struct GroupCounters {
  int64_t input_records = 0, malformed_records = 0, late_rows = 0, late_groups = 0;
  int64_t output_rows = 0, messages_merged = 0, replays_dropped = 0, exchange_bytes = 0;
};

class GroupEngine final : public PartitionOwner {
 public:
  GroupEngine(const BoundQuery& query, GroupEngineOptions options);
  ~GroupEngine() override;

  // The source (created after the engine, since it calls back into it) and the producer of the
  // repartition topic (null for a query without aggregation). Neither is owned.
  void Attach(Source* source, KafkaProducer* exchange) {
    source_ = source;
    exchange_ = exchange;
  }

  Result<int64_t> OnAssigned(int stream, int32_t partition, std::string_view group_commit) override;
  Status OnRevoked(int stream, int32_t partition) override;

  // Publishes each trigger's progress and this member's units and rebalances (not owned).
  void SetMonitor(RunMonitor* monitor, std::string group_id, std::string exchange_topic) {
    monitor_ = monitor;
    group_id_ = std::move(group_id);
    exchange_topic_ = std::move(exchange_topic);
  }

  [[nodiscard]] Status Run();
  // HOST-PID: names this process's file in DIR/members/.
  const std::string& member_id() const { return member_id_; }
  void Stop() { stop_.store(true); }
  const GroupCounters& counters() const { return counters_; }

 private:
  struct SourceUnit;
  struct Shard;

  Result<int64_t> Assign(int stream, int32_t partition, std::string_view group_commit);
  Status ProcessInput(std::vector<RawBatch>& batches);
  Status ProcessExchange(const RawBatch& batch);
  // Folds one parsed batch into its unit: progress, counters, and partials (or rows).
  void Absorb(SourceUnit& u, const RawBatch& b, const ParsedBatch& pb, int64_t now);
  // Ends the current epoch of a source unit: records its extent, produces its partials.
  Status EndSourceEpoch(SourceUnit& u, bool replaying);
  Status SendHeartbeat(SourceUnit& u);
  // Writes that a source unit's bounded read is done (an empty epoch marked finished).
  Status CommitFinished(SourceUnit& u);
  Status Produce(SourceUnit& u, int32_t q, const std::string* partial);
  Status EmitShard(Shard& s, bool force_commit);
  Status CommitShard(Shard& s);
  // A unit that writes its own rows (a projection, or an aligned aggregation): emits, then
  // commits its position, state and sink together.
  Status CommitLocal(SourceUnit& u);
  // Ends a source unit's epoch the way its plan does: produced to the exchange, or written.
  Status CloseEpoch(SourceUnit& u) {
    return exchanging() ? EndSourceEpoch(u, false) : CommitLocal(u);
  }
  // After an epoch is out: its counters join the unit's totals and the next epoch starts.
  static void StartNextEpoch(SourceUnit& u);
  // A source unit's write-ahead record: epoch `u.epoch` covers [start, end).
  EpochRecord SourceRecord(const SourceUnit& u, int64_t start, int64_t end,
                           int64_t max_event) const;
  // Reads the state sections `refs` point at into `state` (a restored unit's state).
  static Status LoadState(const CheckpointStore& store, const std::vector<StateRef>& refs,
                          AggregateState& state);
  // This member's units in DIR/members/HOST-PID.member, for every member's Workers page.
  void WriteMemberFile(const std::vector<GroupUnitStatus>& units, int64_t now);
  bool exchanging() const { return query_.aggregating && !options_.aligned; }
  int64_t ShardWatermark(const Shard& s) const;
  bool AllShardsFinished() const;
  Result<std::unique_ptr<CheckpointStore>> OpenUnit(const std::string& kind, int32_t id);
  int64_t NowMs() const { return clock_.NowMs(); }
  void Publish(int64_t trigger_wall_ms, int64_t busy_ns);
  void NoteRebalance(std::string change, int64_t restore_ms);

  const BoundQuery& query_;
  GroupEngineOptions options_;
  const Clock& clock_;
  Source* source_ = nullptr;
  KafkaProducer* exchange_ = nullptr;
  std::atomic<bool> stop_{false};
  ThreadPool pool_;
  std::vector<std::unique_ptr<BatchProcessor>> processors_;
  std::vector<ParsedBatch> parsed_;
  ResultBuilder results_;
  std::map<int32_t, std::unique_ptr<SourceUnit>> sources_;
  std::map<int32_t, std::unique_ptr<Shard>> shards_;
  GroupCounters counters_;
  GroupCounters published_;  // at the previous trigger, for per-trigger figures
  std::string scratch_;
  RunMonitor* monitor_ = nullptr;
  std::string group_id_, exchange_topic_;
  std::vector<RebalanceRecord> rebalances_;
  int64_t trigger_id_ = 0;
  std::string host_;
  std::string member_id_;  // HOST-PID
  int64_t member_file_written_ms_ = 0;
};

}  // namespace sluice
