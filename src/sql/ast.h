// AST: a parsed SELECT statement before names are resolved. Produced by the parser, consumed by
// the binder and then dropped. Every node keeps its source span for error messages.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/value.h"
#include "sql/sql_error.h"

namespace sluice {

enum class AstKind : uint8_t {
  kColumn,    // parts: ["content"], ["logs", "content"], ["window", "start"]
  kLiteral,   // literal (NULL, BOOLEAN, BIGINT, DOUBLE, STRING)
  kInterval,  // INTERVAL '10' SECOND: interval_ms
  kStar,      // the * of SELECT * (never inside an expression)
  kNot,       // children[0]
  kNegate,    // children[0]
  kBinary,    // op, children[0..1]
  kIsNull,    // children[0]; negated for IS NOT NULL
  kIn,        // children[0] IN (children[1..n)); negated
  kLike,      // children[0] LIKE children[1]; case_insensitive for ILIKE; negated
  kCase,      // searched CASE: WHEN children[2k] THEN children[2k+1] ..., ELSE last if has_else
  kCast,      // CAST(children[0] AS cast_type)
  kCall,      // name(children...), or name(*) when star_arg
};

enum class BinaryOp : uint8_t {
  kAnd,
  kOr,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kConcat
};

struct Ast {
  AstKind kind = AstKind::kLiteral;
  SourceSpan span;                 // the whole expression
  std::vector<std::string> parts;  // kColumn
  std::string name;                // kCall, as written
  SourceSpan name_span;            // kCall: the function name
  OwnedValue literal;              // kLiteral
  int64_t interval_ms = 0;         // kInterval
  BinaryOp op = BinaryOp::kAnd;    // kBinary
  Type cast_type = Type::kNull;    // kCast
  bool negated = false;
  bool case_insensitive = false;
  bool star_arg = false;  // count(*)
  bool has_else = false;
  std::vector<std::unique_ptr<Ast>> children;
  uint32_t height = 1;  // 1 + the tallest child: the parser refuses trees taller than it can check
};

using AstPtr = std::unique_ptr<Ast>;

AstPtr CloneAst(const Ast& a);

// Normalized SQL text of an expression, Spark-like, used for default output column names:
// lower-case function names, "(a + b)", "count(1)" for count(*), string literals unquoted.
std::string AstToSql(const Ast& a);

struct SelectItem {
  AstPtr expr;        // kStar for SELECT *
  std::string alias;  // empty if none
};

struct OrderItem {
  AstPtr expr;
  bool descending = false;
};

struct SelectStatement {
  std::vector<SelectItem> items;
  std::string table;
  SourceSpan table_span;
  std::string table_alias;
  AstPtr where;
  std::vector<AstPtr> group_by;
  AstPtr having;
  std::vector<OrderItem> order_by;
  std::optional<int64_t> limit;
};

}  // namespace sluice
