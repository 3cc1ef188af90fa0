// Sink: where result rows go (console, JSON lines, Kafka). Owned and called by the engine's
// driver thread only.
//
// The epoch protocol (docs/fault-tolerance.md), Spark's commit protocol made explicit:
//   Recover(state)   once, before anything is written, with what the sink's Prepare returned
//                    for the last committed epoch ("" for a new query); only with --checkpoint
//   Write(batch)*    the rows of the current epoch (any number of calls)
//   Prepare(epoch)   make the epoch's rows durable (not necessarily visible); returns the state
//                    the checkpoint keeps for Recover
//   Commit(epoch)    after the checkpoint of the epoch is durable: make the rows visible
//   Close()          once, at the end
// Without --checkpoint the engine still calls Prepare/Commit at each trigger, so rows become
// visible the same way; Recover is never called and nothing is fsynced.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/value.h"
#include "format/row_formatter.h"

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
  // Rows for a sink that made a RowFormatter: every row as the worker threads formatted it (a
  // projection's in the parallel step, an aggregation's at the trigger). `rows` then holds
  // only the first few as values (for the monitor's result table).
  bool preformatted = false;
  FormattedRows formatted;

  size_t num_rows() const { return preformatted ? formatted.size() : rows.size(); }
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Called per trigger that has output to report (the console also prints empty batches), and
  // per round for the late and dead-letter sinks.
  [[nodiscard]] virtual Status Write(const OutputBatch& batch) = 0;
  [[nodiscard]] virtual Status Recover(std::string_view /*committed_state*/) {
    return Status::Ok();
  }
  [[nodiscard]] virtual Result<std::string> Prepare(int64_t /*epoch*/) { return std::string(); }
  [[nodiscard]] virtual Status Commit(int64_t /*epoch*/) { return Status::Ok(); }
  // Called once at the end of the run; flushes what was written.
  [[nodiscard]] virtual Status Close() { return Status::Ok(); }
  // How this sink wants output rows formatted (called once per query, before any Write): the
  // engine's workers then run it and Write gets batches with `preformatted` set.
  // nullptr (the default): rows come as values. Late and dead-letter rows always come as values.
  virtual std::unique_ptr<RowFormatter> MakeRowFormatter(
      const std::vector<std::string>& /*column_names*/) const {
    return nullptr;
  }
  virtual std::string Describe() const = 0;
};

}  // namespace sluice
