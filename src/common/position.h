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

// Where one batch was cut: records [first, end) of a partition, `end` being where the partition
// resumes after it. A checkpoint's offsets log records an epoch's batches as cuts, in the order
// they were processed, so that a replay after a restart cuts and orders them the same way.
struct BatchCut {
  PartitionId partition{0};
  Offset first{0};
  Offset end{0};
  bool operator==(const BatchCut&) const = default;
};

}  // namespace sluice
