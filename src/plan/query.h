// BoundQuery: a SQL query after name resolution and type checking; the contract between the
// SQL front end (sql/binder) and the planner and engine. Owned by whoever bound it; read-only
// afterwards and shared by all worker threads.
//
// Two row layouts:
//  - the input row: one slot per field the query reads from the record (`input_fields`);
//    `where`, `group_keys` and aggregate arguments read it; for a query without aggregation
//    `select` reads it too.
//  - the aggregate row, for an aggregating query: [window_start, window_end] when windowed
//    (both TIMESTAMP), then one slot per group key, then one slot per aggregate.
//    `having`, `select` and `order_by` read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/expr.h"

namespace sluice {

struct Field {
  std::string name;  // JSON key in the record
  Type type;         // kInt64, kDouble, kString or kBool (how the record must carry it)
};

// The record layout the queries are written against, name -> type.
struct Schema {
  std::vector<Field> fields;
  const Field* Find(std::string_view name) const {
    for (const auto& f : fields)
      if (f.name == name) return &f;
    return nullptr;
  }
};

// Spark's window(ts, size[, slide[, start]]): windows [start, start + size_ms) for every start
// that is a multiple of slide_ms (plus offset_ms) and contains the event time.
// The lab's record: {"timestamp": <epoch ms>, "status": "500", "severity": "High",
// "source_ip": "10.0.0.29", "user_id": "user_1038", "content": "app crash detected"}.
inline Schema LabSchema() {
  return Schema{{{"timestamp", Type::kInt64},
                 {"status", Type::kString},
                 {"severity", Type::kString},
                 {"source_ip", Type::kString},
                 {"user_id", Type::kString},
                 {"content", Type::kString}}};
}

struct WindowSpec {
  int64_t size_ms = 0;
  int64_t slide_ms = 0;  // == size_ms for a tumbling window
  int64_t offset_ms = 0;
  bool tumbling() const { return size_ms == slide_ms; }
};

enum class AggKind : uint8_t { kCountStar, kCount, kSum, kMin, kMax, kAvg };

struct AggCall {
  AggKind kind = AggKind::kCountStar;
  ExprPtr arg;  // null for count(*); reads the input row
  Type result_type =
      Type::kInt64;  // count: BIGINT; sum: BIGINT or DOUBLE; avg: DOUBLE; min/max: arg's
  std::string text;  // as written, e.g. "count(*)", for EXPLAIN and default names
};

struct OutputColumn {
  std::string name;  // alias, or a name derived from the expression as Spark does
  ExprPtr expr;
};

struct SortKey {
  int column = 0;  // index into `select`
  bool descending = false;
};

struct BoundQuery {
  std::vector<Field> input_fields;  // slot i of the input row is input_fields[i]
  int event_time_slot = -1;         // input slot of the event-time field, or -1 if not windowed
  std::string source_table;         // the FROM name, as written (informational)

  ExprPtr where;  // nullable; input row; BOOLEAN

  bool aggregating = false;  // GROUP BY or an aggregate in SELECT/HAVING
  std::optional<WindowSpec> window;
  std::vector<ExprPtr> group_keys;  // input row
  std::vector<std::string> group_key_names;
  std::vector<AggCall> aggregates;  // input row

  ExprPtr having;                    // nullable; aggregate row; BOOLEAN
  std::vector<OutputColumn> select;  // aggregate row if aggregating, else input row
  std::vector<SortKey> order_by;
  size_t hidden_columns = 0;  // the last N select columns exist only for ORDER BY; not output
  std::optional<int64_t> limit;

  // Slot helpers for the aggregate row.
  int window_slots() const { return window ? 2 : 0; }
  int key_slot(int k) const { return window_slots() + k; }
  int agg_slot(int a) const { return window_slots() + static_cast<int>(group_keys.size()) + a; }
  int aggregate_row_width() const { return agg_slot(static_cast<int>(aggregates.size())); }
};

}  // namespace sluice
