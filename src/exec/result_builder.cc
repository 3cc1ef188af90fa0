#include "exec/result_builder.h"

#include <algorithm>
#include <numeric>

#include "exec/evaluator.h"
#include "format/json_writer.h"

namespace sluice {

ResultBuilder::ResultBuilder(const BoundQuery& query)
    : query_(query), natural_(static_cast<size_t>(query.window_slots()) + query.group_keys.size()) {
  const size_t visible = query.select.size() - query.hidden_columns;
  for (size_t i = 0; i < visible; ++i) {
    names_.push_back(query.select[i].name);
    types_.push_back(query.select[i].expr->type);
  }
}

void ResultBuilder::FromAggregates(std::vector<AggregateRow>& rows, OutputBatch& out) {
  KeepAndSort(rows, arena_);
  FromSorted(rows, out);
}

void ResultBuilder::KeepAndSort(std::vector<AggregateRow>& rows, Arena& arena) const {
  // HAVING first: the groups it drops (most of them, for Q2) are neither sorted nor projected.
  if (query_.having) {
    std::vector<Value> view;
    size_t kept = 0;
    for (AggregateRow& r : rows) {
      view.clear();
      for (const auto& v : r) view.push_back(v.view());
      arena.Reset();
      if (!EvaluatePredicate(*query_.having, view.data(), arena)) continue;
      if (&rows[kept] != &r) rows[kept] = std::move(r);
      ++kept;
    }
    rows.resize(kept);
  }
  // Natural order first, so ties under ORDER BY stay deterministic.
  std::sort(rows.begin(), rows.end(),
            [this](const AggregateRow& a, const AggregateRow& b) { return NaturalLess(a, b); });
}

bool ResultBuilder::NaturalLess(const AggregateRow& a, const AggregateRow& b) const {
  for (size_t i = 0; i < natural_; ++i) {
    const int c = CompareValues(a[i].view(), b[i].view());
    if (c != 0) return c < 0;
  }
  return false;
}

void ResultBuilder::FromSorted(std::vector<AggregateRow>& rows, OutputBatch& out) {
  std::vector<Value> view;
  std::vector<std::vector<OwnedValue>> projected;
  std::vector<std::string> keys;
  projected.reserve(rows.size());
  keys.reserve(rows.size());
  for (const AggregateRow& r : rows) {
    view.clear();
    for (const auto& v : r) view.push_back(v.view());
    arena_.Reset();
    std::vector<OwnedValue> o;
    o.reserve(query_.select.size());
    for (const auto& col : query_.select) {
      o.emplace_back(Evaluate(*col.expr, view.data(), arena_));
    }
    projected.push_back(std::move(o));
    // The deduplication key: window start and group key values, as JSON.
    std::string key;
    for (size_t i = 0; i < natural_; ++i) {
      if (query_.window && i == 1) continue;  // the window end adds nothing to its start
      if (!key.empty()) key.push_back('|');
      AppendJsonValue(key, view[i], TimeZone::Utc());
    }
    keys.push_back(std::move(key));
  }
  std::vector<size_t> order(projected.size());
  std::iota(order.begin(), order.end(), 0);
  if (!query_.order_by.empty()) {
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      for (const SortKey& k : query_.order_by) {
        const auto col = static_cast<size_t>(k.column);
        int c = CompareValues(projected[x][col].view(), projected[y][col].view());
        if (k.descending) c = -c;
        if (c != 0) return c < 0;
      }
      return false;
    });
  }
  size_t limit = order.size();
  if (query_.limit)
    limit = std::min(limit, static_cast<size_t>(std::max<int64_t>(0, *query_.limit)));
  const size_t visible = names_.size();
  for (size_t i = 0; i < limit; ++i) {
    auto& row = projected[order[i]];
    row.resize(visible);
    out.rows.push_back(std::move(row));
    out.keys.push_back(std::move(keys[order[i]]));
  }
}

void ResultBuilder::AppendProjected(std::vector<std::vector<OwnedValue>>&& rows,
                                    FormattedRows* formatted, OutputBatch& out) {
  if (formatted != nullptr) {
    size_t n = formatted->size();
    if (query_.limit)
      n = std::min(n, static_cast<size_t>(std::max<int64_t>(0, *query_.limit - emitted_)));
    formatted->Truncate(n);
    out.preformatted = true;
    out.formatted = std::move(*formatted);
    emitted_ += static_cast<int64_t>(n);
    for (auto& r : rows) {
      if (out.rows.size() >= n) break;
      r.resize(names_.size());
      out.rows.push_back(std::move(r));
    }
    return;
  }
  for (auto& r : rows) {
    if (query_.limit && emitted_ >= *query_.limit) break;
    r.resize(names_.size());
    out.rows.push_back(std::move(r));
    out.keys.emplace_back();
    ++emitted_;
  }
}

}  // namespace sluice
