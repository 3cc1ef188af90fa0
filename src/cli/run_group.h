// Group mode of `sluice run` (--group-id with a Kafka source and --checkpoint): this process is
// one member of a query that several processes run together (exec/group_engine.h).
#pragma once

#include <cstdint>
#include <string>

#include "cli/query_flags.h"
#include "kafka/kafka_options.h"
#include "monitor/run_monitor.h"

namespace sluice::cli {

struct GroupRunFlags {
  std::string sink;
  std::string checkpoint;
  int64_t idle_timeout_ms = 0;
  uint32_t state_partitions = 0;
  int exchange_partitions = 0;  // 0: as many as the input topic
  bool allow_state_loss = false;
  size_t console_rows = 20;
};

// Runs the query as a group member until it is stopped (SIGINT/SIGTERM) or, with
// --trigger available-now, until the input read at start is processed. Returns the exit code.
// Publishes progress, units, rebalances and the group's members to `monitor`.
int RunGroupMember(const PreparedQuery& pq, const QueryFlags& query,
                   const KafkaClientOptions& kafka, const GroupRunFlags& flags,
                   RunMonitor& monitor);

}  // namespace sluice::cli
