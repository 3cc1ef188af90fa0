// Sink: where result rows go (console, JSON lines, Kafka). Owned and called by the engine's
// driver thread only, one Write per trigger, in batch order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/value.h"

namespace sluice {

enum class OutputMode : uint8_t { kAppend, kUpdate, kComplete };
std::string_view OutputModeName(OutputMode m);

struct OutputBatch {
  int64_t batch_id = 0;
  OutputMode mode = OutputMode::kAppend;
  std::vector<std::string> column_names;
  std::vector<Type> column_types;
  std::vector<std::vector<OwnedValue>> rows;
  // Per row, a key that is the same whenever the same result row is emitted again (window start
  // and group key values), so a consumer can deduplicate a replay. Empty without aggregation.
  std::vector<std::string> keys;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Called once per trigger that has output to report (the console also prints empty batches).
  virtual Status Write(const OutputBatch& batch) = 0;
  // Called once at the end of the run; makes everything written durable/visible.
  virtual Status Close() { return Status::Ok(); }
  virtual std::string Describe() const = 0;
};

}  // namespace sluice
