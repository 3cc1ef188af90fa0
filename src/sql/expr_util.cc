#include "sql/expr_util.h"

#include <algorithm>

namespace sluice {

ExprPtr MakeColumn(int slot, Type type) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::kColumn;
  e->slot = slot;
  e->type = type;
  return e;
}

ExprPtr MakeLiteral(OwnedValue v, Type type) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::kLiteral;
  e->literal = std::move(v);
  e->type = type;
  return e;
}

ExprPtr CastTo(ExprPtr e, Type t) {
  if (e->type == t) return e;
  if (e->kind == ExprKind::kLiteral && e->literal.type == Type::kNull) {
    e->type = t;
    return e;
  }
  auto c = std::make_unique<Expr>();
  c->kind = ExprKind::kCast;
  c->type = t;
  c->args.push_back(std::move(e));
  return c;
}

namespace {

bool SameLiteral(const OwnedValue& a, const OwnedValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return a.b == b.b;
    case Type::kDouble:
      return a.d == b.d;
    case Type::kString:
      return a.s == b.s;
    default:
      return a.i == b.i;
  }
}

}  // namespace

bool ExprEquals(const Expr& a, const Expr& b) {
  if (a.kind != b.kind || a.type != b.type || a.args.size() != b.args.size()) return false;
  switch (a.kind) {
    case ExprKind::kColumn:
      if (a.slot != b.slot) return false;
      break;
    case ExprKind::kLiteral:
    case ExprKind::kLike:
      if (!SameLiteral(a.literal, b.literal)) return false;
      break;
    default:
      break;
  }
  if (a.compare_op != b.compare_op || a.arith_op != b.arith_op || a.function != b.function ||
      a.negated != b.negated || a.case_insensitive != b.case_insensitive ||
      a.has_else != b.has_else) {
    return false;
  }
  for (size_t i = 0; i < a.args.size(); ++i)
    if (!ExprEquals(*a.args[i], *b.args[i])) return false;
  return true;
}

bool ContainsColumn(const Expr& e) {
  if (e.kind == ExprKind::kColumn) return true;
  return std::any_of(e.args.begin(), e.args.end(),
                     [](const ExprPtr& a) { return ContainsColumn(*a); });
}

void RemapSlots(Expr& e, const std::vector<int>& map) {
  if (e.kind == ExprKind::kColumn) e.slot = map[static_cast<size_t>(e.slot)];
  for (ExprPtr& a : e.args) RemapSlots(*a, map);
}

int EstimateCost(const Expr& e) {
  int children = 0;
  for (const ExprPtr& a : e.args) children += EstimateCost(*a);
  switch (e.kind) {
    case ExprKind::kColumn:
    case ExprKind::kLiteral:
      return 0;
    case ExprKind::kCompare:
    case ExprKind::kIsNull:
    case ExprKind::kNot:
    case ExprKind::kNegate:
    case ExprKind::kArith:
    case ExprKind::kAnd:
    case ExprKind::kOr:
      return 1 + children;
    case ExprKind::kIn:
      return 1 + static_cast<int>(e.args.size()) / 2 + children;
    case ExprKind::kCast:
      return (e.args[0]->type == Type::kString ? 5 : 2) + children;
    case ExprKind::kCase:
      return 3 + children;
    case ExprKind::kLike:
      switch (e.like_shape) {
        case LikeShape::kAny:
          return 1 + children;
        case LikeShape::kExact:
        case LikeShape::kPrefix:
        case LikeShape::kSuffix:
          return 3 + children;
        case LikeShape::kContains:
          return (e.case_insensitive ? 8 : 6) + children;
        case LikeShape::kGeneral:
          return 15 + children;
      }
      return 15 + children;
    case ExprKind::kFunction:
      return 10 + children;
  }
  return 10 + children;
}

void ReorderConjuncts(Expr& e) {
  for (ExprPtr& a : e.args) ReorderConjuncts(*a);
  if (e.kind != ExprKind::kAnd && e.kind != ExprKind::kOr) return;
  std::vector<ExprPtr> flat;
  for (ExprPtr& a : e.args) {
    if (a->kind == e.kind) {
      for (ExprPtr& inner : a->args) flat.push_back(std::move(inner));
    } else {
      flat.push_back(std::move(a));
    }
  }
  std::stable_sort(flat.begin(), flat.end(), [](const ExprPtr& x, const ExprPtr& y) {
    return EstimateCost(*x) < EstimateCost(*y);
  });
  e.args = std::move(flat);
}

std::string_view SqlTypeName(Type t) { return TypeName(t); }

}  // namespace sluice
