#include "exec/result_builder.h"

#include <algorithm>
#include <memory>
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

RowFilter ResultBuilder::HavingFilter() const {
  if (!query_.having) return {};
  auto arena = std::make_shared<Arena>();
  return [this, arena](const Value* row) {
    arena->Reset();
    return EvaluatePredicate(*query_.having, row, *arena);
  };
}

namespace {

// The big-endian value of up to 8 bytes of s from `at`, zero-padded: comparing two of these
// compares the bytes as std::string_view::compare does (unsigned), a zero byte sorting first.
uint64_t BigEndianBytes(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    v <<= 8;
    if (at + i < s.size()) v |= static_cast<unsigned char>(s[at + i]);
  }
  return v;
}

// A prefix of v in two words that never orders two values against CompareValues: when v < w,
// (hi, lo) of v <= those of w (equal prefixes decide nothing). NULL, which sorts first, has the
// smallest. False for types without one here (doubles, booleans).
bool NaturalPrefix(const OwnedValue& v, uint64_t& hi, uint64_t& lo) {
  hi = 0;
  lo = 0;
  switch (v.type) {
    case Type::kNull:
      return true;
    case Type::kInt64:
    case Type::kTimestamp:
      hi = static_cast<uint64_t>(v.i) ^ (uint64_t{1} << 63);
      return true;
    case Type::kString:
      hi = BigEndianBytes(v.s, 0);
      lo = BigEndianBytes(v.s, 8);
      return true;
    default:
      return false;
  }
}

}  // namespace

void ResultBuilder::SortNatural(std::vector<AggregateRow>& rows) const {
  auto less = [this](const AggregateRow& a, const AggregateRow& b) { return NaturalLess(a, b); };
  // Each row's first natural columns as words, compared before the rows themselves: a sort then
  // reads one array rather than the rows' values all over the heap. With a window: its start,
  // which no two different starts share, then a prefix of the first group key (the end follows
  // from the start); without one, a prefix of the first group key.
  struct Item {
    uint64_t k[3];
    uint32_t row;
  };
  if (natural_ == 0 || rows.size() < 64 || rows.size() > UINT32_MAX) {
    std::sort(rows.begin(), rows.end(), less);
    return;
  }
  const size_t key_column = query_.window ? 2 : 0;
  std::vector<Item> items(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    Item& it = items[i];
    it.row = static_cast<uint32_t>(i);
    const AggregateRow& r = rows[i];
    uint64_t unused = 0;
    // A window start is never NULL, so its word is exact and the key's words may follow it.
    const bool ok =
        query_.window
            ? r[0].type == Type::kTimestamp && NaturalPrefix(r[0], it.k[0], unused) &&
                  (key_column >= natural_ || NaturalPrefix(r[key_column], it.k[1], it.k[2]))
            : NaturalPrefix(r[0], it.k[0], it.k[1]);
    if (!ok) {
      std::sort(rows.begin(), rows.end(), less);
      return;
    }
  }
  std::sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
    if (a.k[0] != b.k[0]) return a.k[0] < b.k[0];
    if (a.k[1] != b.k[1]) return a.k[1] < b.k[1];
    if (a.k[2] != b.k[2]) return a.k[2] < b.k[2];
    return NaturalLess(rows[a.row], rows[b.row]);
  });
  std::vector<AggregateRow> sorted;
  sorted.reserve(rows.size());
  for (const Item& it : items) sorted.push_back(std::move(rows[it.row]));
  rows.swap(sorted);
}

bool ResultBuilder::NaturalLess(const AggregateRow& a, const AggregateRow& b) const {
  for (size_t i = 0; i < natural_; ++i) {
    const int c = CompareValues(a[i].view(), b[i].view());
    if (c != 0) return c < 0;
  }
  return false;
}

void ResultBuilder::FromSorted(std::vector<AggregateRow>& rows, OutputBatch& out) {
  Projected projected(rows.size());
  Project(rows, 0, rows.size(), projected, arena_);
  Finish(projected, out);
}

void ResultBuilder::Project(const std::vector<AggregateRow>& rows, size_t begin, size_t end,
                            Projected& projected, Arena& arena) const {
  std::vector<Value> view;
  for (size_t r = begin; r < end; ++r) {
    ViewRow(rows[r], view);
    arena.Reset();
    std::vector<OwnedValue>& o = projected.rows[r];
    o.reserve(query_.select.size());
    for (const auto& col : query_.select) {
      o.emplace_back(Evaluate(*col.expr, view.data(), arena));
    }
    // The deduplication key: window start and group key values, as JSON.
    std::string& key = projected.keys[r];
    for (size_t i = 0; i < natural_; ++i) {
      if (query_.window && i == 1) continue;  // the window end adds nothing to its start
      if (!key.empty()) key.push_back('|');
      AppendJsonValue(key, view[i], TimeZone::Utc());
    }
  }
}

void ResultBuilder::Finish(Projected& p, OutputBatch& out) const {
  std::vector<std::vector<OwnedValue>>& projected = p.rows;
  std::vector<std::string>& keys = p.keys;
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
