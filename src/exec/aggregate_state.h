// AggregateState: the running aggregates of one state partition (a key group), per window and
// group key. The engine hashes every group key to one of a fixed number of key groups (chosen
// when the query starts and kept in its checkpoint, as Flink's key groups), and one task at a
// time updates a key group, so the state needs no lock; rows of a key always arrive in the same
// order whatever the number of threads, which keeps even floating-point sums identical across
// thread counts. A state can be serialized into a checkpoint and restored from it.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint/checkpoint_store.h"
#include "common/bytes.h"
#include "common/named_type.h"
#include "common/status.h"
#include "common/value.h"
#include "exec/aggregate_function.h"
#include "plan/query.h"
#include "sink/sink.h"

namespace sluice {

// The window start used for queries without a window.
inline constexpr int64_t kNoWindow = INT64_MIN;

struct GroupState {
  // The first aggregate's accumulator is held inline: a query of one aggregate (count(*)) then
  // costs no allocation per group, and closing a window frees none (tens of thousands of groups
  // at the end of a file read in one trigger).
  absl::InlinedVector<Accumulator, 1> accs;
  int64_t rows = 0;      // input rows folded in (for per-window input counts and late partials)
  bool dirty = false;    // updated since the last update-mode emission
  uint32_t trigger = 0;  // the state's trigger in which it was last updated (see TakeChanges)
};

// One window of the state, for the "open windows" view.
struct WindowSize {
  int64_t start = 0;
  int64_t groups = 0;      // result rows (keys) of the window
  int64_t input_rows = 0;  // input rows folded into them
  bool operator==(const WindowSize&) const = default;
};

// How a trigger changed the state (Spark's numRowsUpdated and numRowsRemoved).
struct StateChanges {
  int64_t updated = 0;  // groups created or changed
  int64_t removed = 0;  // groups evicted because their window closed
};

// A finished aggregate row: [window_start, window_end] + keys + aggregates (see query.h).
using AggregateRow = std::vector<OwnedValue>;
// Which finished rows a trigger emits (HAVING), asked with a row's columns as values (valid
// during the call only): a row is made only when it passes. Empty: all.
using RowFilter = std::function<bool(const Value* row)>;

class AggregateState {
 public:
  explicit AggregateState(const BoundQuery& query);

  // Adds one input row. `key` is the encoded group key; `args` points at the encoded aggregate
  // arguments (one value per aggregate that takes an argument, in order).
  void Accumulate(int64_t window_start, std::string_view key, const char* args);

  // Folds a group of `rows` input rows aggregated elsewhere (one Accumulator per aggregate, as
  // this query's functions keep them) with the functions' combine.
  void Combine(int64_t window_start, std::string_view key, const Accumulator* accs, int64_t rows);
  // Each appends the rows `keep` keeps (all when it is empty).
  // Appends rows of windows ending at or before `watermark` and erases them (append mode).
  void TakeClosed(int64_t watermark, std::vector<AggregateRow>& out, const RowFilter& keep = {});
  // Appends rows updated since the last call, then erases windows ending at or before
  // `watermark` (update mode).
  void TakeUpdated(int64_t watermark, std::vector<AggregateRow>& out, const RowFilter& keep = {});
  // Appends every row; nothing is erased (complete mode).
  void CollectAll(std::vector<AggregateRow>& out, const RowFilter& keep = {}) const;
  // What a trigger emits in `mode`: TakeClosed, TakeUpdated or CollectAll.
  void Take(OutputMode mode, int64_t watermark, std::vector<AggregateRow>& out,
            const RowFilter& keep = {});

  int64_t rows() const { return rows_; }
  int64_t bytes() const;  // an estimate, for the UI and EXPLAIN
  // Every window, oldest first, for the "open windows" view.
  std::vector<WindowSize> WindowSizes() const;
  // What changed since the previous call (or since the state was made or restored); the next
  // trigger starts counting from zero.
  StateChanges TakeChanges();

  // Folds a partial aggregate (e.g. from another process) into this state with the functions'
  // combine. Groups of windows that ended at or before `watermark` are late: dropped and counted
  // in *late_groups and, by their input rows, *late_rows.
  void MergeFrom(const AggregateState& partial, int64_t watermark, int64_t* late_groups,
                 int64_t* late_rows);
  void Clear();
  bool empty() const { return windows_.empty(); }

  // Appends the whole state in the checkpoint encoding (versioned by the checkpoint that holds
  // it; see docs/fault-tolerance.md): windows, their group keys and accumulators.
  void Serialize(ByteWriter& w) const;
  // The serialized state as the checkpoint stores it for state partition `partition`.
  StateBlob ToStateBlob(uint32_t partition) const;
  // Replaces the state with one written by Serialize for the same query; Corruption when the
  // bytes are damaged or do not fit the query.
  [[nodiscard]] Status Deserialize(std::string_view bytes);
  // True when the state changed since the last call to ClearChanged() (or ever).
  bool changed() const { return changed_; }
  void ClearChanged() { changed_ = false; }

 private:
  using Groups = absl::flat_hash_map<std::string, GroupState>;
  // Emit's space for a row's columns as values, reused from one group to the next.
  struct RowScratch {
    std::vector<Value> view;
    std::vector<OwnedValue> finals;  // the aggregates' results, which `view` points into
  };
  // Appends the row of group `key` of the window at `window_start` to `out` if `keep` keeps it
  // (the row is made only then).
  void Emit(int64_t window_start, const std::string& key, const GroupState& g,
            const RowFilter& keep, RowScratch& scratch, std::vector<AggregateRow>& out) const;
  // The groups of the window starting at `window_start`, created if it is new.
  Groups& WindowGroups(int64_t window_start);
  // The state of `key` in `groups`, created with initialized accumulators if it is new.
  GroupState& FindOrAddGroup(Groups& groups, std::string_view key);
  // Counts `g` as updated in this trigger, once.
  void CountUpdate(GroupState& g) {
    if (g.trigger == trigger_) return;
    g.trigger = trigger_;
    ++changes_.updated;
  }
  // Whether a window start read from a checkpoint is one this query can have.
  bool PlausibleWindowStart(int64_t start) const;

  const BoundQuery& query_;
  std::vector<const AggregateFunction*> functions_;  // one per aggregate of the query
  std::map<int64_t, Groups> windows_;  // ordered by window start, so closed windows come first
  int64_t rows_ = 0;
  int64_t key_bytes_ = 0;
  // The last window touched: consecutive rows usually share it.
  int64_t last_start_ = 0;
  Groups* last_groups_ = nullptr;
  bool changed_ = true;
  uint32_t trigger_ = 1;  // GroupState::trigger of groups updated in the current trigger
  StateChanges changes_;
};

}  // namespace sluice
