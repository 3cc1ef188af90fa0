// EpochRecord: what one committed epoch of a query holds (the manifest of a checkpoint):
// the input positions the engine has processed, the watermark state, the run's counters, what
// each sink committed, and where the state of every state partition is stored. Plain data,
// written and read by CheckpointStore (checkpoint/checkpoint_store.h) in a versioned,
// little-endian encoding documented in docs/fault-tolerance.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/named_type.h"
#include "common/position.h"

namespace sluice {

// One partition's contribution to the watermark: the largest event time it delivered.
struct PartitionWatermark {
  PartitionId partition{0};
  int64_t max_event_ms = kMinTime;
};

// Where the serialized state of one state partition lives: a section of a state file.
struct StateRef {
  uint32_t state_partition = 0;
  int64_t file_epoch = 0;  // the state file state/<file_epoch>.state holds it
  uint64_t offset = 0;     // of the section's bytes in that file
  uint64_t length = 0;
  uint64_t checksum = 0;  // XXH3-64 of the section's bytes
  int64_t rows = 0;       // state rows, for inspection
};

struct EpochRecord {
  int64_t epoch = 0;            // the trigger (output batch id) this epoch committed
  int64_t committed_ms = 0;     // wall time of the commit
  bool input_finished = false;  // a bounded input was read to its end and every window closed

  std::vector<PartitionPosition> positions;
  // Source facts a restart needs besides positions (e.g. the generator's event-time origin).
  std::vector<std::pair<std::string, int64_t>> source_values;

  int64_t watermark_ms = kMinTime;
  int64_t max_event_ms = kMinTime;
  std::vector<PartitionWatermark> partition_watermarks;

  // Counters over the whole query, all restarts included.
  int64_t input_records = 0, malformed_records = 0, filtered_records = 0;
  int64_t late_records = 0, late_rows = 0, output_rows = 0, triggers = 0;
  int64_t projected_rows_emitted = 0;  // rows a projection has emitted (LIMIT over the stream)

  // Per sink ("output", "late", "dead-letter"): the opaque state its Prepare() returned.
  std::vector<std::pair<std::string, std::string>> sinks;

  uint32_t state_partitions = 0;
  std::vector<StateRef> state;

  const std::string* SinkState(std::string_view name) const {
    for (const auto& [n, s] : sinks)
      if (n == name) return &s;
    return nullptr;
  }
  int64_t SourceValue(std::string_view name, int64_t fallback) const {
    for (const auto& [n, v] : source_values)
      if (n == name) return v;
    return fallback;
  }

  void Encode(ByteWriter& w) const;
  // False when the bytes do not decode (damaged, or not written by this version).
  [[nodiscard]] bool Decode(ByteReader& r);
};

}  // namespace sluice
