// Evaluator: computes a bound Expr over one row of Values. Stateless and re-entrant: worker
// threads evaluate the same (immutable) tree at once, each with its own Arena.
//
// Strings in the result borrow from the row, from the Expr's literals, or from `arena` (for
// computed strings such as lower() with upper-case input, concat(), casts to STRING); they stay
// valid until the row's buffer is released or arena.Reset(), whichever comes first.
#pragma once

#include "common/arena.h"
#include "common/value.h"
#include "plan/expr.h"

namespace sluice {

// SQL semantics: NULL in, NULL out (except AND/OR/IS NULL/CASE/coalesce); division or modulo by
// zero is NULL; integer + - * wrap around like Spark's non-ANSI mode; a cast that cannot convert
// (CAST('abc' AS BIGINT)) is NULL.
Value Evaluate(const Expr& e, const Value* row, Arena& arena);

// True only when the predicate is TRUE (FALSE and NULL reject), as WHERE and HAVING need.
bool EvaluatePredicate(const Expr& e, const Value* row, Arena& arena);

// Orders two non-NULL values of the same type (BIGINT and DOUBLE compare as numbers): <0, 0, >0.
// Strings compare by bytes (UTF-8 code point order); NaN is larger than any number and equals NaN.
// NULL sorts before every value (for ORDER BY).
int CompareValues(const Value& a, const Value& b);

// CAST(v AS to) with Spark's non-ANSI rules (see docs/sql.md); strings it makes live in arena.
Value CastValue(const Value& v, Type to, Arena& arena);

}  // namespace sluice
