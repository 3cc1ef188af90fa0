// PartitionPosition: where processing of one source partition stands, as kept in checkpoints
// and handed back to a source to resume from.
#pragma once

#include <cstdint>

#include "common/named_type.h"

namespace sluice {

// The next record to process in a partition. File sources also keep the byte offset of that
// record, so a restart seeks instead of counting lines.
struct PartitionPosition {
  PartitionId partition{0};
  Offset next_offset{0};
  int64_t next_byte = -1;  // file sources only; -1 otherwise
};

}  // namespace sluice
