#include "sql/binder.h"

#include "common/ascii.h"
#include "common/duration.h"
#include "sql/expr_binder.h"
#include "sql/expr_util.h"
#include "sql/parser.h"

namespace sluice {
namespace {

// The most windows one record may fall into (size / slide of a sliding window).
constexpr int64_t kMaxWindowsPerRecord = 10'000;

class StatementBinder {
 public:
  StatementBinder(std::string_view sql, const BindOptions& options)
      : sql_(sql), options_(options), exprs_(sql, options.schema, query_) {}

  Result<BoundQuery> Bind(const SelectStatement& s);

 private:
  Status BindGroupBy(const SelectStatement& s);
  Status BindWindow(const Ast& call);
  Result<int64_t> DurationArg(const Ast& arg, std::string_view what);
  Status BindSelect(const SelectStatement& s);
  Status BindOrderBy(const SelectStatement& s);
  void LayOutInputRow();
  Status CheckColumns(const Ast& a) const {
    if (a.kind == AstKind::kColumn && exprs_.WindowBound(a) < 0 && exprs_.FindField(a) < 0) {
      return exprs_.UnknownColumn(a);
    }
    for (const AstPtr& c : a.children) SLUICE_RETURN_IF_ERROR(CheckColumns(*c));
    return Status::Ok();
  }
  // The select item an ORDER BY/GROUP BY term names: by position (1-based) or by alias; or -1.
  int SelectItemFor(const Ast& a, const SelectStatement& s, bool* out_of_range) const;

  std::string_view sql_;
  const BindOptions& options_;
  BoundQuery query_;
  ExprBinder exprs_;
  Scope select_scope_ = Scope::kInput;
};

// Output name of a select item without alias: Spark's, except window.start/end, which Spark
// calls "start"/"end" and sluice calls window_start/window_end to be readable on their own.
std::string OutputName(const Ast& a, const ExprBinder& exprs) {
  if (int bound = exprs.WindowBound(a); bound >= 0)
    return bound == 0 ? "window_start" : "window_end";
  return AstToSql(a);
}

Result<BoundQuery> StatementBinder::Bind(const SelectStatement& s) {
  query_.source_table = s.table;
  exprs_.SetTable(s.table, s.table_alias);

  bool has_aggregate = s.having != nullptr;
  for (const SelectItem& item : s.items) has_aggregate |= exprs_.ContainsAggregate(*item.expr);
  for (const OrderItem& item : s.order_by) has_aggregate |= exprs_.ContainsAggregate(*item.expr);
  query_.aggregating = has_aggregate || !s.group_by.empty();
  select_scope_ = query_.aggregating ? Scope::kAggregate : Scope::kInput;

  // Unknown names in SELECT and WHERE are reported first, in reading order, although GROUP BY
  // is bound before them.
  for (const SelectItem& item : s.items) SLUICE_RETURN_IF_ERROR(CheckColumns(*item.expr));
  if (s.where) SLUICE_RETURN_IF_ERROR(CheckColumns(*s.where));
  SLUICE_RETURN_IF_ERROR(BindGroupBy(s));

  if (s.where) {
    exprs_.SetClause("WHERE");
    SLUICE_ASSIGN_OR_RETURN(query_.where, exprs_.Bind(*s.where, Scope::kInput));
    if (query_.where->type != Type::kBool && query_.where->type != Type::kNull) {
      return SqlError(
          sql_, s.where->span,
          "WHERE needs a BOOLEAN condition, got " + std::string(SqlTypeName(query_.where->type)),
          "compare it, e.g. WHERE severity = 'High'");
    }
    ReorderConjuncts(*query_.where);
  }

  SLUICE_RETURN_IF_ERROR(BindSelect(s));

  if (s.having) {
    exprs_.SetClause("HAVING");
    SLUICE_ASSIGN_OR_RETURN(query_.having, exprs_.Bind(*s.having, Scope::kAggregate));
    if (query_.having->type != Type::kBool && query_.having->type != Type::kNull) {
      return SqlError(
          sql_, s.having->span,
          "HAVING needs a BOOLEAN condition, got " + std::string(SqlTypeName(query_.having->type)),
          "e.g. HAVING count(*) > 2");
    }
    ReorderConjuncts(*query_.having);
  }

  SLUICE_RETURN_IF_ERROR(BindOrderBy(s));
  query_.limit = s.limit;
  LayOutInputRow();
  return std::move(query_);
}

int StatementBinder::SelectItemFor(const Ast& a, const SelectStatement& s,
                                   bool* out_of_range) const {
  *out_of_range = false;
  if (a.kind == AstKind::kLiteral && a.literal.type == Type::kInt64) {
    if (a.literal.i < 1 || a.literal.i > static_cast<int64_t>(s.items.size()) ||
        s.items[static_cast<size_t>(a.literal.i - 1)].expr->kind == AstKind::kStar) {
      *out_of_range = true;
      return -1;
    }
    return static_cast<int>(a.literal.i - 1);
  }
  if (a.kind == AstKind::kColumn && a.parts.size() == 1) {
    for (size_t i = 0; i < s.items.size(); ++i)
      if (!s.items[i].alias.empty() && s.items[i].alias == a.parts[0]) return static_cast<int>(i);
  }
  return -1;
}

Status StatementBinder::BindGroupBy(const SelectStatement& s) {
  exprs_.SetClause("GROUP BY");
  // Windows first: group keys' slots come after the window's two.
  for (const AstPtr& key : s.group_by) {
    if (key->kind == AstKind::kCall && ExprBinder::IsWindowFunctionName(key->name)) {
      if (query_.window) return exprs_.Error(*key, "only one window is allowed in GROUP BY");
      SLUICE_RETURN_IF_ERROR(BindWindow(*key));
    }
  }
  for (const AstPtr& key : s.group_by) {
    if (key->kind == AstKind::kCall && ExprBinder::IsWindowFunctionName(key->name)) continue;
    const Ast* target = key.get();
    bool out_of_range = false;
    // Spark allows GROUP BY 1 and GROUP BY alias; a real field wins over an alias.
    int item = exprs_.FindField(*key) >= 0 ? -1 : SelectItemFor(*key, s, &out_of_range);
    if (out_of_range) {
      return exprs_.Error(
          *key,
          "GROUP BY position " + std::to_string(key->literal.i) + " is not in the select list",
          "positions count select items from 1");
    }
    if (item >= 0) {
      target = s.items[static_cast<size_t>(item)].expr.get();
      if (exprs_.ContainsAggregate(*target)) {
        return exprs_.Error(*key, "GROUP BY cannot use an aggregate ('" + AstToSql(*target) + "')");
      }
    }
    if (exprs_.WindowBound(*target) >= 0) {
      return exprs_.Error(*key, "group by the window itself",
                          "GROUP BY window(timestamp, '10 seconds')");
    }
    ExprPtr bound;
    SLUICE_ASSIGN_OR_RETURN(bound, exprs_.Bind(*target, Scope::kInput));
    query_.group_keys.push_back(std::move(bound));
    query_.group_key_names.push_back(AstToSql(*target));
  }
  return Status::Ok();
}

Result<int64_t> StatementBinder::DurationArg(const Ast& arg, std::string_view what) {
  if (arg.kind == AstKind::kInterval) return arg.interval_ms;
  if (arg.kind == AstKind::kLiteral && arg.literal.type == Type::kString) {
    Result<int64_t> ms = ParseDurationMs(arg.literal.s);
    if (!ms.ok()) {
      bool bare_number = arg.literal.s.find_first_not_of("0123456789. ") == std::string::npos;
      return SqlError(
          sql_, arg.span, "invalid " + std::string(what) + " '" + arg.literal.s + "'",
          bare_number
              ? "add a unit, e.g. '" + arg.literal.s + " seconds' or '" + arg.literal.s + "s'"
              : "write a duration such as '10 seconds', '500 milliseconds', '1 minute' or "
                "INTERVAL '10' SECOND");
    }
    return *ms;
  }
  return SqlError(sql_, arg.span, "the " + std::string(what) + " must be a duration",
                  "write '10 seconds' or INTERVAL '10' SECOND");
}

Status StatementBinder::BindWindow(const Ast& call) {
  const std::string name = LowerAscii(call.name);
  if (name == "session" || name == "session_window") {
    return exprs_.Error(call, "not supported: session windows",
                        "use window(timestamp, size[, slide])");
  }
  size_t n = call.children.size();
  // window(ts, size[, slide[, offset]]) (Spark), tumble(ts, size), hop(ts, slide, size) (Flink).
  bool ok_arity = name == "window" ? (n >= 2 && n <= 4) : name == "tumble" ? n == 2 : n == 3;
  if (!ok_arity || call.star_arg) {
    std::string_view usage = name == "window"
                                 ? "window(timestamp, '10 seconds'[, slide[, start offset]])"
                             : name == "tumble" ? "TUMBLE(timestamp, INTERVAL '10' SECOND)"
                                                : "HOP(timestamp, slide, size)";
    return exprs_.Error(call, "wrong number of arguments to " + name,
                        "write " + std::string(usage));
  }
  const Ast& ts = *call.children[0];
  const std::string& event_time = options_.event_time_field;
  const Field* field = options_.schema.Find(event_time);
  int idx = exprs_.FindField(ts);
  if (idx < 0 || options_.schema.fields[static_cast<size_t>(idx)].name != event_time) {
    std::string shown = ts.kind == AstKind::kColumn ? ts.parts.back() : AstToSql(ts);
    if (idx < 0 && ts.kind == AstKind::kColumn) return exprs_.UnknownColumn(ts);
    return exprs_.Error(
        ts, "the window's time column must be the event-time field '" + event_time + "'",
        "to use '" + shown + "' as event time, run with --event-time " + shown);
  }
  if (field->type != Type::kInt64) {
    return exprs_.Error(ts, "event-time field '" + event_time + "' is " +
                                std::string(SqlTypeName(field->type)) +
                                ", but it must be a BIGINT of epoch milliseconds");
  }
  WindowSpec w;
  if (name == "hop") {
    SLUICE_ASSIGN_OR_RETURN(w.slide_ms, DurationArg(*call.children[1], "window slide"));
    SLUICE_ASSIGN_OR_RETURN(w.size_ms, DurationArg(*call.children[2], "window size"));
  } else {
    SLUICE_ASSIGN_OR_RETURN(w.size_ms, DurationArg(*call.children[1], "window size"));
    w.slide_ms = w.size_ms;
    if (n >= 3) {
      SLUICE_ASSIGN_OR_RETURN(w.slide_ms, DurationArg(*call.children[2], "window slide"));
    }
    if (n >= 4) {
      SLUICE_ASSIGN_OR_RETURN(w.offset_ms, DurationArg(*call.children[3], "window start offset"));
    }
  }
  if (w.size_ms <= 0)
    return exprs_.Error(*call.children[name == "hop" ? 2 : 1], "the window size must be positive");
  if (w.slide_ms <= 0)
    return exprs_.Error(*call.children[name == "hop" ? 1 : 2], "the window slide must be positive");
  if (w.slide_ms > w.size_ms) {
    return exprs_.Error(call,
                        "the window slide (" + FormatDurationMs(w.slide_ms) +
                            ") is longer than its size (" + FormatDurationMs(w.size_ms) + ")",
                        "records between windows would be dropped; use a slide <= size");
  }
  // Each record goes into size/slide windows: bound it, so a typo cannot make one record into
  // billions of rows.
  if (w.size_ms / w.slide_ms > kMaxWindowsPerRecord) {
    return exprs_.Error(call,
                        "the window size (" + FormatDurationMs(w.size_ms) + ") is more than " +
                            std::to_string(kMaxWindowsPerRecord) + " times its slide (" +
                            FormatDurationMs(w.slide_ms) + ")",
                        "each record would fall into that many windows; use a longer slide");
  }
  if (w.offset_ms >= w.slide_ms) {
    return exprs_.Error(*call.children[3],
                        "the window start offset must be shorter than the slide");
  }
  query_.window = w;
  exprs_.MarkUsed(idx);
  return Status::Ok();
}

Status StatementBinder::BindSelect(const SelectStatement& s) {
  exprs_.SetClause("SELECT");
  for (const SelectItem& item : s.items) {
    if (item.expr->kind == AstKind::kStar) {
      if (query_.aggregating) {
        return exprs_.Error(*item.expr, "SELECT * cannot be used with GROUP BY or aggregates",
                            "list the grouped columns and the aggregates");
      }
      for (size_t f = 0; f < options_.schema.fields.size(); ++f) {
        const Field& field = options_.schema.fields[f];
        exprs_.MarkUsed(static_cast<int>(f));
        query_.select.push_back(
            OutputColumn{field.name, MakeColumn(static_cast<int>(f), field.type)});
      }
      continue;
    }
    OutputColumn column;
    SLUICE_ASSIGN_OR_RETURN(column.expr, exprs_.Bind(*item.expr, select_scope_));
    column.name = item.alias.empty() ? OutputName(*item.expr, exprs_) : item.alias;
    query_.select.push_back(std::move(column));
  }
  return Status::Ok();
}

Status StatementBinder::BindOrderBy(const SelectStatement& s) {
  exprs_.SetClause("ORDER BY");
  size_t visible = query_.select.size();
  for (const OrderItem& item : s.order_by) {
    SortKey key;
    key.descending = item.descending;
    bool out_of_range = false;
    int by_item = SelectItemFor(*item.expr, s, &out_of_range);
    if (out_of_range) {
      return exprs_.Error(*item.expr,
                          "ORDER BY position " + std::to_string(item.expr->literal.i) +
                              " is not in the select list",
                          "positions count select items from 1");
    }
    if (by_item >= 0 && s.items.size() == visible) {  // positions map 1:1 when there is no SELECT *
      key.column = by_item;
      query_.order_by.push_back(key);
      continue;
    }
    ExprPtr bound;
    SLUICE_ASSIGN_OR_RETURN(bound, exprs_.Bind(*item.expr, select_scope_));
    key.column = -1;
    for (size_t i = 0; i < query_.select.size(); ++i) {
      if (ExprEquals(*bound, *query_.select[i].expr)) {
        key.column = static_cast<int>(i);
        break;
      }
    }
    if (key.column < 0) {
      // Sorted by something not selected: computed as a hidden trailing column.
      key.column = static_cast<int>(query_.select.size());
      query_.select.push_back(OutputColumn{OutputName(*item.expr, exprs_), std::move(bound)});
      ++query_.hidden_columns;
    }
    query_.order_by.push_back(key);
  }
  return Status::Ok();
}

void StatementBinder::LayOutInputRow() {
  // Input slots are the fields read, in schema order; bound trees hold schema indexes until now.
  const std::vector<bool>& used = exprs_.used();
  std::vector<int> slot_of(used.size(), -1);
  for (size_t f = 0; f < used.size(); ++f) {
    if (!used[f]) continue;
    slot_of[f] = static_cast<int>(query_.input_fields.size());
    query_.input_fields.push_back(options_.schema.fields[f]);
  }
  if (query_.where) RemapSlots(*query_.where, slot_of);
  for (ExprPtr& key : query_.group_keys) RemapSlots(*key, slot_of);
  for (AggCall& agg : query_.aggregates)
    if (agg.arg) RemapSlots(*agg.arg, slot_of);
  if (!query_.aggregating)
    for (OutputColumn& c : query_.select) RemapSlots(*c.expr, slot_of);
  if (query_.window) {
    const Field* f = options_.schema.Find(options_.event_time_field);
    query_.event_time_slot = slot_of[static_cast<size_t>(f - options_.schema.fields.data())];
  }
}

}  // namespace

Result<BoundQuery> CompileQuery(std::string_view sql, const BindOptions& options) {
  Result<SelectStatement> parsed = ParseSelect(sql);
  if (!parsed.ok()) return parsed.status();
  StatementBinder binder(sql, options);
  return binder.Bind(parsed.value());
}

}  // namespace sluice
