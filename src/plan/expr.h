// Expr: a bound, typed expression tree, produced by the SQL binder and evaluated by exec/.
// Column references are slots into a row of Values whose layout the owner says (BoundQuery says
// which row each expression reads). Owned by the BoundQuery that holds it; immutable once bound,
// so worker threads evaluate the same tree concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/value.h"

namespace sluice {

enum class ExprKind : uint8_t {
  kColumn,   // slot
  kLiteral,  // literal
  kNot,      // args[0]
  kNegate,   // args[0]
  kAnd,      // args[0..n): SQL three-valued logic
  kOr,
  kCompare,   // op, args[0], args[1]
  kArith,     // op, args[0], args[1]
  kIn,        // args[0] IN (args[1..n)); negated for NOT IN
  kLike,      // args[0] LIKE pattern (literal); case_insensitive for ILIKE; negated for NOT LIKE
  kIsNull,    // args[0] IS NULL; negated for IS NOT NULL
  kFunction,  // function(args...)
  kCast,      // CAST(args[0] AS type)
  kCase,      // CASE WHEN args[0] THEN args[1] ... [ELSE args[n-1]] END; has_else
};

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
enum class ArithOp : uint8_t { kAdd, kSub, kMul, kDiv, kMod };
// Scalar functions. Strings are UTF-8; lower/upper fold ASCII letters only.
enum class Function : uint8_t {
  kLower,
  kUpper,
  kLength,
  kContains,
  kStartsWith,
  kEndsWith,
  kConcat,
  kSubstring,
  kTrim,
  kAbs,
  kCoalesce,
};

// kLike: the pattern's shape, worked out once by the binder (sql/like_pattern.h) so matching a
// record needs no setup. kGeneral (also the default for hand-built trees) runs the full matcher
// on `literal`; the other shapes compare `like_needle` directly.
enum class LikeShape : uint8_t { kGeneral, kExact, kPrefix, kSuffix, kContains, kAny };

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  Type type = Type::kNull;  // result type, decided by the binder
  int slot = -1;            // kColumn
  OwnedValue literal;       // kLiteral; kLike: the pattern
  CompareOp compare_op = CompareOp::kEq;
  ArithOp arith_op = ArithOp::kAdd;
  Function function = Function::kLower;
  bool negated = false;                        // kIn, kLike, kIsNull
  bool case_insensitive = false;               // kLike (ILIKE)
  bool has_else = false;                       // kCase
  LikeShape like_shape = LikeShape::kGeneral;  // kLike
  std::string like_needle;  // kLike, shape != kGeneral: the literal part, ASCII-lowercased if
                            // case_insensitive
  std::vector<std::unique_ptr<Expr>> args;
};

using ExprPtr = std::unique_ptr<Expr>;

}  // namespace sluice
