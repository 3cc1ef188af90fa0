// ExprBinder: resolves names in one expression AST and types it into an Expr, inserting the
// implicit casts Spark would (string vs number comparisons, int vs double), and registering
// aggregate calls with the BoundQuery. Used by the statement binder (binder.cc) only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "plan/query.h"
#include "sql/ast.h"

namespace sluice {

// Which row an expression reads: the record's fields, or the aggregate row (window bounds,
// group keys, aggregates) after grouping.
enum class Scope : uint8_t { kInput, kAggregate };

class ExprBinder {
 public:
  // `query` receives aggregates as they are found; its window and group_keys must be final
  // before anything is bound in Scope::kAggregate. Input-row columns are bound to schema
  // indexes; the statement binder remaps them to input slots at the end (see used()).
  ExprBinder(std::string_view sql, const Schema& schema, BoundQuery& query)
      : sql_(sql), schema_(schema), query_(query), used_(schema.fields.size(), false) {}

  void SetTable(std::string name, std::string alias) {
    table_ = std::move(name);
    table_alias_ = std::move(alias);
  }
  // The clause being bound, for messages ("WHERE", "GROUP BY", ...).
  void SetClause(std::string_view clause) { clause_ = clause; }

  [[nodiscard]] Result<ExprPtr> Bind(const Ast& a, Scope scope);

  // The schema index a column AST names, or -1 (window.start and friends are not fields).
  int FindField(const Ast& column) const;
  // An error for a column that names nothing, with a "did you mean" or the list of columns.
  Status UnknownColumn(const Ast& column) const;
  // 0 for window.start (window_start, tumble_start(...)), 1 for the end, -1 otherwise.
  int WindowBound(const Ast& a) const;

  static bool IsAggregateName(std::string_view name);
  static bool IsWindowFunctionName(std::string_view name);
  bool ContainsAggregate(const Ast& a) const;

  void MarkUsed(int field) { used_[static_cast<size_t>(field)] = true; }
  const std::vector<bool>& used() const { return used_; }
  Status Error(const Ast& a, std::string_view what, std::string_view hint = {}) const {
    return SqlError(sql_, a.span, what, hint);
  }

 private:
  Result<ExprPtr> BindAggregateCall(const Ast& a);
  Result<ExprPtr> BindBinary(const Ast& a, Scope scope);
  Result<ExprPtr> BindCompare(const Ast& a, CompareOp op, ExprPtr l, ExprPtr r);
  Result<ExprPtr> BindLike(const Ast& a, Scope scope);
  Result<ExprPtr> BindCall(const Ast& a, Scope scope);
  Result<ExprPtr> BindCase(const Ast& a, Scope scope);
  Result<ExprPtr> BindCast(const Ast& a, Scope scope);
  Result<ExprPtr> BindIn(const Ast& a, Scope scope);
  Result<ExprPtr> ExpectBoolean(const Ast& a, ExprPtr e);
  Result<ExprPtr> ExpectNumeric(const Ast& a, ExprPtr e);

  std::string_view sql_;
  const Schema& schema_;
  BoundQuery& query_;
  std::vector<bool> used_;
  std::string table_;
  std::string table_alias_;
  std::string_view clause_ = "SELECT";
};

}  // namespace sluice
