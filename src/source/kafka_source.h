// The Kafka source: kafka://HOST:PORT[,...]/TOPIC. With a group id (--group-id, -X group.id or
// ?group.id=) it is a consumer in that group: processes with the same group id split the
// partitions (cooperative-sticky rebalancing). Without one it reads every partition itself
// (plain assignment: no group join, which costs a new group 3 s on the broker).
// Each RawBatch holds records of one partition in offset order, cut at offsets that are
// multiples of kMaxBatchRecords (and, when the input pauses, at what has arrived), so a bounded
// read gives the same batches whatever the timing.
//
// Offsets are not committed yet (checkpoints come later): every run starts at the starting
// offsets (earliest | latest), whatever the group committed before. Within one process a
// partition that is revoked and assigned again resumes where this process stopped.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "kafka/kafka_options.h"
#include "source/source.h"

namespace sluice {

// available_now: read what each partition holds when the run starts (its high watermark then),
// and report Finished() once every assigned partition got there (Spark's Trigger.AvailableNow).
// Fails within about 5 s with InvalidArgument (CLI exit 2) on a bad URL or property, an
// unreachable broker or a missing topic.
[[nodiscard]] Result<std::unique_ptr<Source>> MakeKafkaSource(std::string_view url,
                                                              const KafkaClientOptions& options,
                                                              bool available_now);

}  // namespace sluice
