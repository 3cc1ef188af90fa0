// The Kafka source: kafka://HOST:PORT[,...]/TOPIC. With a group id (--group-id, -X group.id or
// ?group.id=) it is a consumer in that group: processes with the same group id split the
// partitions (cooperative-sticky rebalancing). Without one it reads every partition itself
// (plain assignment: no group join, which costs a new group 3 s on the broker).
// Each RawBatch holds records of one partition in offset order, cut at offsets that are
// multiples of kMaxBatchRecords (and, when the input pauses, at what has arrived), so a bounded
// read gives the same batches whatever the timing.
//
// Where reading starts: with a checkpoint, at the offsets the checkpoint processed (partitions
// it does not know, e.g. added since, start at the earliest offset, as in Spark); otherwise at
// the starting offsets (earliest | latest). The group's committed offsets are never read: after
// each epoch the processed offsets are committed to the group (with the epoch in the commit
// metadata) for lag monitoring only, as Flink does. Within one process a partition that is
// revoked and assigned again resumes where this process stopped.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kafka/kafka_options.h"
#include "source/source.h"

namespace sluice {

// available_now: read what each partition holds when the run starts (its high watermark then),
// and report Finished() once every assigned partition got there (Spark's Trigger.AvailableNow).
// Fails within about 5 s with InvalidArgument (CLI exit 2) on a bad URL or property, an
// unreachable broker or a missing topic.
// Group mode (several processes, one query): the engine owns each partition's state, so the
// source asks it, when librdkafka assigns a partition, where reading starts, and tells it before
// a partition is taken away. Called on the driver thread, inside Poll (rebalance callbacks run
// there), before any record of a newly assigned partition is handed out.
inline constexpr int64_t kOwnerEarliest = -2;

class PartitionOwner {
 public:
  virtual ~PartitionOwner() = default;
  // stream 0: the input topic; 1: the exchange topic. `group_commit` is the metadata of the
  // offset the consumer group last committed for an input partition ("" if none), e.g.
  // "sluice epoch 12". Returns the offset to start at, -1 for the starting offsets
  // (--starting-offsets) or kOwnerEarliest. An error stops the run.
  [[nodiscard]] virtual Result<int64_t> OnAssigned(int stream, int32_t partition,
                                                   std::string_view group_commit) = 0;
  // Batches of the partition that were fetched but not handed out are dropped.
  [[nodiscard]] virtual Status OnRevoked(int stream, int32_t partition) = 0;

 protected:
  PartitionOwner() = default;
};

struct KafkaGroupHooks {
  std::string exchange_topic;       // also subscribed (stream 1), if not empty
  PartitionOwner* owner = nullptr;  // not owned
};

// `start`: the checkpoint's positions when resuming (nullptr for a new query).
[[nodiscard]] Result<std::unique_ptr<Source>> MakeKafkaSource(
    std::string_view url, const KafkaClientOptions& options, bool available_now,
    const std::vector<PartitionPosition>* start = nullptr, KafkaGroupHooks hooks = {});

}  // namespace sluice
