// Reading a whole topic back, partition by partition: `sluice dev-kafka dump`, a debugging aid
// and the independent reference of the Kafka end-to-end tests. Uses plain partition assignment
// (no consumer group, nothing committed).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "common/status.h"
#include "kafka/kafka_options.h"

namespace sluice {

struct TopicDumpStats {
  int partitions = 0;
  int64_t records = 0;
  int64_t bytes = 0;
  double seconds = 0;
};

// What precedes each message value on its line, in this order.
struct DumpColumns {
  bool partition = false;  // "PARTITION\tOFFSET\t"
  // The message key as a JSON value, then a tab: null for a message without a key, else a JSON
  // string ("user_1038"; bytes that are not UTF-8 become U+FFFD). It never holds a raw tab.
  bool key = false;
};

// Writes every message value of `topic` as one line to `out` (partition 0 from its earliest
// offset to its high watermark at the start, then partition 1, ...), prefixed as `columns` says.
// out == nullptr only counts (a consumption benchmark).
[[nodiscard]] Status DumpTopic(const std::string& bootstrap, const std::string& topic,
                               const KafkaProperties& properties, DumpColumns columns,
                               std::FILE* out, TopicDumpStats* stats);

}  // namespace sluice
