// ResultBuilder: turns aggregate rows (or projected rows) into an OutputBatch: HAVING, the
// SELECT list, a deterministic order (ORDER BY, else window start then group keys), LIMIT.
// Used by the driver thread at each trigger.
#pragma once

#include <optional>
#include <vector>

#include "common/arena.h"
#include "common/time_format.h"
#include "exec/aggregate_state.h"
#include "plan/query.h"
#include "sink/sink.h"

namespace sluice {

class ResultBuilder {
 public:
  explicit ResultBuilder(const BoundQuery& query);

  // Column names and types of the visible output.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<Type>& types() const { return types_; }

  // HAVING as a filter for AggregateState::Take, which then makes a row only for the groups
  // HAVING keeps (empty without HAVING). Each filter has its own scratch space: tasks may each
  // use one at once.
  RowFilter HavingFilter() const;
  // Sorts rows HAVING kept in natural order (window start, then group keys). Const: tasks may
  // call it at once on their own rows.
  void SortKept(std::vector<AggregateRow>& rows) const { SortNatural(rows); }
  // Whether a precedes b in natural order (no two rows of one trigger are equal in it).
  bool NaturalLess(const AggregateRow& a, const AggregateRow& b) const;
  // Fills out.rows and out.keys from rows HAVING kept, in natural order (SortKept): the SELECT
  // list, ORDER BY, LIMIT. Project and Finish in one.
  void FromSorted(std::vector<AggregateRow>& rows, OutputBatch& out);

  // Rows projected for the output: the SELECT list of each, and its deduplication key.
  struct Projected {
    explicit Projected(size_t n) : rows(n), keys(n) {}
    std::vector<std::vector<OwnedValue>> rows;
    std::vector<std::string> keys;
  };
  // Projects rows [begin, end) into the same places of `projected` (made for all rows). Const:
  // tasks may call it at once on ranges of their own, each with its own arena.
  void Project(const std::vector<AggregateRow>& rows, size_t begin, size_t end,
               Projected& projected, Arena& arena) const;
  // Fills out.rows and out.keys from rows projected in natural order: ORDER BY, LIMIT.
  void Finish(Projected& projected, OutputBatch& out) const;
  // Appends already projected rows (non-aggregating queries), honouring LIMIT over the run.
  // With `formatted` (every row as the sink's RowFormatter wrote it, moved into out), `rows`
  // holds only the first of them, as values.
  void AppendProjected(std::vector<std::vector<OwnedValue>>&& rows, FormattedRows* formatted,
                       OutputBatch& out);
  void AppendProjected(std::vector<std::vector<OwnedValue>>&& rows, OutputBatch& out) {
    AppendProjected(std::move(rows), nullptr, out);
  }
  // Rows a projection has emitted so far (LIMIT counts over the whole stream, restarts too).
  int64_t emitted() const { return emitted_; }
  void set_emitted(int64_t n) { emitted_ = n; }

 private:
  // Sorts rows in natural order.
  void SortNatural(std::vector<AggregateRow>& rows) const;

  const BoundQuery& query_;
  const size_t natural_;  // the natural order's columns: the window's, then the group keys
  std::vector<std::string> names_;
  std::vector<Type> types_;
  Arena arena_;
  int64_t emitted_ = 0;  // rows emitted so far, for LIMIT on an append-only stream
};

}  // namespace sluice
