// Helpers over bound expressions used by the binder: construction, structural equality, slot
// remapping, and the predicate reordering optimization.
#pragma once

#include <string_view>
#include <vector>

#include "plan/expr.h"

namespace sluice {

ExprPtr MakeColumn(int slot, Type type);
ExprPtr MakeLiteral(OwnedValue v, Type type);
// e itself if it already has type t; a typed NULL for a NULL literal; else CAST(e AS t).
ExprPtr CastTo(ExprPtr e, Type t);

// Same tree: kinds, types, slots, literals, operators, flags.
bool ExprEquals(const Expr& a, const Expr& b);
bool ContainsColumn(const Expr& e);

// Rewrites every kColumn slot s to map[s].
void RemapSlots(Expr& e, const std::vector<int>& map);

// A rough per-record cost: comparisons of columns and literals are cheap, LIKE and string
// functions are not. Only the order matters.
int EstimateCost(const Expr& e);

// Flattens nested AND (and OR) chains and sorts each chain's operands by EstimateCost, cheapest
// first (stable), so that a cheap test can reject a record before a LIKE runs. Safe because
// expressions have no side effects and never fail: the three-valued AND/OR are commutative.
void ReorderConjuncts(Expr& e);

// SQL name of a type: BIGINT, DOUBLE, STRING, BOOLEAN, TIMESTAMP (NULL for the type of NULL).
std::string_view SqlTypeName(Type t);

}  // namespace sluice
