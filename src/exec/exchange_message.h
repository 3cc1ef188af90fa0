// ExchangeMessage: what one process tells the owner of an exchange partition about one input
// partition, through the query's repartition topic (Kafka Streams' repartition topic, carrying
// partial aggregates instead of records). One message per (input partition, epoch, exchange
// partition), so a message is merged whole or not at all and a replayed epoch is recognised by
// its number.
//
// Wire format (little-endian, common/bytes.h): "SLX1", i32 input partition, i64 epoch, i64 the
// partition's largest event time after the epoch, u8 flags (1 idle, 2 finished, 4 carries data),
// i64 first offset, i64 end offset of the epoch's records, then (with data) the partial
// aggregate state of the exchange partition's keys (AggregateState::Serialize).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

struct ExchangeMessage {
  int32_t input_partition = 0;
  int64_t epoch = 0;         // the input partition's epoch; a heartbeat repeats the last one
  int64_t max_event_ms = 0;  // kMinTime when the partition never had a record
  bool idle = false;         // no record for --idle-timeout: does not hold the watermark back
  bool finished = false;     // a bounded read reached its end: watermark +infinity
  bool has_data = false;     // false: a heartbeat carrying only the watermark
  int64_t first_offset = 0, end_offset = 0;
  std::string_view partial;  // serialized AggregateState; points into the decoded bytes

  void Encode(std::string& out) const;
  // False when the bytes are not an exchange message (damaged, or another format).
  [[nodiscard]] bool Decode(std::string_view bytes);
};

}  // namespace sluice
