#include "sql/expr_binder.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "common/ascii.h"
#include "sql/expr_util.h"
#include "sql/like_pattern.h"

namespace sluice {
namespace {

#define BIND_OR_RETURN(lhs, expr)                       \
  auto lhs##_result = (expr);                           \
  if (!lhs##_result.ok()) return lhs##_result.status(); \
  ExprPtr lhs = std::move(lhs##_result).value()

bool IsNumeric(Type t) { return t == Type::kInt64 || t == Type::kDouble; }

// The type both sides of a comparison (or IN) are cast to, as Spark does: numbers widen to
// DOUBLE, a string meets the other side's type. nullopt when they cannot be compared.
std::optional<Type> ComparisonType(Type a, Type b) {
  if (a == b) return a;
  if (a == Type::kNull) return b;
  if (b == Type::kNull) return a;
  if (IsNumeric(a) && IsNumeric(b)) return Type::kDouble;
  if (a == Type::kString) return b;
  if (b == Type::kString) return a;
  return std::nullopt;
}

// The type of a value that may come from either branch (CASE, coalesce): numbers widen, and a
// string with anything else is a string.
std::optional<Type> ResultType(Type a, Type b) {
  if (a == b) return a;
  if (a == Type::kNull) return b;
  if (b == Type::kNull) return a;
  if (IsNumeric(a) && IsNumeric(b)) return Type::kDouble;
  if (a == Type::kString || b == Type::kString) return Type::kString;
  return std::nullopt;
}

struct ScalarFunction {
  std::string_view name;
  Function function;
  int min_args;
  int max_args;  // -1: any number
};

constexpr ScalarFunction kScalarFunctions[] = {
    {"lower", Function::kLower, 1, 1},
    {"lcase", Function::kLower, 1, 1},
    {"upper", Function::kUpper, 1, 1},
    {"ucase", Function::kUpper, 1, 1},
    {"length", Function::kLength, 1, 1},
    {"char_length", Function::kLength, 1, 1},
    {"character_length", Function::kLength, 1, 1},
    {"contains", Function::kContains, 2, 2},
    {"startswith", Function::kStartsWith, 2, 2},
    {"starts_with", Function::kStartsWith, 2, 2},
    {"endswith", Function::kEndsWith, 2, 2},
    {"ends_with", Function::kEndsWith, 2, 2},
    {"concat", Function::kConcat, 1, -1},
    {"substring", Function::kSubstring, 2, 3},
    {"substr", Function::kSubstring, 2, 3},
    {"trim", Function::kTrim, 1, 1},
    {"abs", Function::kAbs, 1, 1},
    {"coalesce", Function::kCoalesce, 1, -1},
};

constexpr std::string_view kAggregateNames[] = {"count", "sum", "min", "max", "avg", "mean"};

std::vector<std::string_view> AllFunctionNames() {
  std::vector<std::string_view> names;
  for (const ScalarFunction& f : kScalarFunctions) names.push_back(f.name);
  for (std::string_view n : kAggregateNames) names.push_back(n);
  for (std::string_view n : {"window", "tumble", "hop"}) names.push_back(n);
  return names;
}

// How a person wrote a name: window.start rather than AstToSql's "start".
std::string Display(const Ast& a) {
  if (a.kind != AstKind::kColumn) return AstToSql(a);
  std::string name;
  for (const std::string& p : a.parts) name += (name.empty() ? "" : ".") + p;
  return name;
}

std::string Plural(int n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

bool ExprBinder::IsAggregateName(std::string_view name) {
  for (std::string_view n : kAggregateNames)
    if (EqualsIgnoreCase(n, name)) return true;
  return false;
}

bool ExprBinder::IsWindowFunctionName(std::string_view name) {
  for (std::string_view n : {"window", "tumble", "hop", "session", "session_window"})
    if (EqualsIgnoreCase(n, name)) return true;
  return false;
}

bool ExprBinder::ContainsAggregate(const Ast& a) const {
  if (a.kind == AstKind::kCall && IsAggregateName(a.name)) return true;
  for (const AstPtr& c : a.children)
    if (ContainsAggregate(*c)) return true;
  return false;
}

int ExprBinder::FindField(const Ast& column) const {
  if (column.kind != AstKind::kColumn) return -1;
  std::string_view name;
  if (column.parts.size() == 1) {
    name = column.parts[0];
  } else if (column.parts.size() == 2 &&
             (column.parts[0] == table_ || column.parts[0] == table_alias_)) {
    name = column.parts[1];
  } else {
    return -1;
  }
  const Field* f = schema_.Find(name);
  return f == nullptr ? -1 : static_cast<int>(f - schema_.fields.data());
}

int ExprBinder::WindowBound(const Ast& a) const {
  auto bound = [](std::string_view s) {
    return EqualsIgnoreCase(s, "start") ? 0 : EqualsIgnoreCase(s, "end") ? 1 : -1;
  };
  if (a.kind == AstKind::kColumn) {
    if (a.parts.size() == 2 && EqualsIgnoreCase(a.parts[0], "window") &&
        schema_.Find(a.parts[0]) == nullptr) {
      return bound(a.parts[1]);
    }
    if (a.parts.size() == 1 && FindField(a) < 0) {
      if (EqualsIgnoreCase(a.parts[0], "window_start")) return 0;
      if (EqualsIgnoreCase(a.parts[0], "window_end")) return 1;
    }
    return -1;
  }
  if (a.kind == AstKind::kCall) {
    for (std::string_view prefix : {"tumble_", "hop_", "window_"}) {
      if (a.name.size() > prefix.size() &&
          EqualsIgnoreCase(std::string_view(a.name).substr(0, prefix.size()), prefix)) {
        return bound(std::string_view(a.name).substr(prefix.size()));
      }
    }
  }
  return -1;
}

Status ExprBinder::UnknownColumn(const Ast& column) const {
  std::string name;
  for (const std::string& p : column.parts) name += (name.empty() ? "" : ".") + p;
  if (column.parts.size() == 1 && EqualsIgnoreCase(column.parts[0], "window")) {
    return Error(column, "'window' is not a column", "select window.start and window.end");
  }
  if (column.parts.size() == 2 && EqualsIgnoreCase(column.parts[0], "window")) {
    return Error(column, "unknown window field '" + column.parts[1] + "'",
                 "a window has start and end: window.start");
  }
  std::vector<std::string_view> names;
  std::string list;
  for (const Field& f : schema_.fields) {
    names.push_back(f.name);
    list += (list.empty() ? "" : ", ") + f.name;
  }
  std::string_view close = ClosestMatch(column.parts.back(), names);
  if (column.parts.size() == 2 && schema_.Find(column.parts[1]) != nullptr) {
    return Error(column, "unknown column '" + name + "'",
                 "the stream is '" + table_ + "': write " + column.parts[1]);
  }
  return Error(
      column, "unknown column '" + name + "'",
      close.empty() ? "columns are " + list : "did you mean '" + std::string(close) + "'?");
}

Result<ExprPtr> ExprBinder::Bind(const Ast& a, Scope scope) {
  if (scope == Scope::kAggregate) {
    if (a.kind == AstKind::kCall && IsAggregateName(a.name)) return BindAggregateCall(a);
    if (int bound = WindowBound(a); bound >= 0) {
      if (!query_.window) {
        return Error(a, "'" + Display(a) + "' needs a window in GROUP BY",
                     "GROUP BY window(timestamp, '10 seconds'), ...");
      }
      return MakeColumn(bound, Type::kTimestamp);
    }
    bool window_inside = false;
    std::function<void(const Ast&)> scan = [&](const Ast& n) {
      if (WindowBound(n) >= 0) window_inside = true;
      for (const AstPtr& c : n.children) scan(*c);
    };
    scan(a);
    if (!window_inside && !ContainsAggregate(a)) {
      // A group key used again (matched by structure after binding), a constant, or an error.
      BIND_OR_RETURN(bound, Bind(a, Scope::kInput));
      for (size_t k = 0; k < query_.group_keys.size(); ++k) {
        if (ExprEquals(*bound, *query_.group_keys[k])) {
          return MakeColumn(query_.key_slot(static_cast<int>(k)), query_.group_keys[k]->type);
        }
      }
      if (!ContainsColumn(*bound)) return bound;
      if (a.kind == AstKind::kColumn) {
        std::string text = AstToSql(a);
        return Error(a,
                     "expression '" + text +
                         "' is neither present in the group by, nor is it an aggregate function",
                     "add '" + text +
                         "' to GROUP BY, or use it inside an aggregate such as count(" + text +
                         ") or max(" + text + ")");
      }
      // Not a key as a whole: bind its parts, which may be keys.
    }
  } else {
    if (a.kind == AstKind::kCall && IsAggregateName(a.name)) {
      if (clause_ == "WHERE") {
        return Error(a, "aggregate functions are not allowed in WHERE",
                     "filter groups with HAVING");
      }
      if (clause_ == "aggregate") return Error(a, "nested aggregate functions are not allowed");
      return Error(a, "aggregate functions are not allowed in " + std::string(clause_));
    }
    if (WindowBound(a) >= 0) {
      return Error(a, "'" + Display(a) + "' is only known after grouping",
                   "use it in SELECT, HAVING or ORDER BY of a query that groups by window(...)");
    }
  }

  switch (a.kind) {
    case AstKind::kColumn: {
      int f = FindField(a);
      if (f < 0) return UnknownColumn(a);
      MarkUsed(f);
      return MakeColumn(f, schema_.fields[static_cast<size_t>(f)].type);
    }
    case AstKind::kLiteral:
      return MakeLiteral(a.literal, a.literal.type);
    case AstKind::kInterval:
      return Error(a, "not supported: INTERVAL outside window(...)",
                   "use intervals for window sizes");
    case AstKind::kStar:
      return Error(a, "'*' is only allowed as SELECT * or count(*)");
    case AstKind::kNot: {
      BIND_OR_RETURN(child, Bind(*a.children[0], scope));
      auto checked = ExpectBoolean(*a.children[0], std::move(child));
      if (!checked.ok()) return checked.status();
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kNot;
      e->type = Type::kBool;
      e->args.push_back(std::move(checked).value());
      return e;
    }
    case AstKind::kNegate: {
      BIND_OR_RETURN(child, Bind(*a.children[0], scope));
      auto checked = ExpectNumeric(*a.children[0], std::move(child));
      if (!checked.ok()) return checked.status();
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kNegate;
      e->args.push_back(std::move(checked).value());
      if (e->args[0]->type == Type::kNull) e->args[0]->type = Type::kInt64;
      e->type = e->args[0]->type;
      return e;
    }
    case AstKind::kBinary:
      return BindBinary(a, scope);
    case AstKind::kIsNull: {
      BIND_OR_RETURN(child, Bind(*a.children[0], scope));
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::kIsNull;
      e->type = Type::kBool;
      e->negated = a.negated;
      e->args.push_back(std::move(child));
      return e;
    }
    case AstKind::kIn:
      return BindIn(a, scope);
    case AstKind::kLike:
      return BindLike(a, scope);
    case AstKind::kCase:
      return BindCase(a, scope);
    case AstKind::kCast:
      return BindCast(a, scope);
    case AstKind::kCall:
      return BindCall(a, scope);
  }
  return Error(a, "unsupported expression");
}

Result<ExprPtr> ExprBinder::ExpectBoolean(const Ast& a, ExprPtr e) {
  if (e->type == Type::kNull) return CastTo(std::move(e), Type::kBool);
  if (e->type == Type::kBool) return e;
  return Error(a,
               "'" + AstToSql(a) + "' is " + std::string(SqlTypeName(e->type)) +
                   ", but a condition must be BOOLEAN",
               "compare it with something, e.g. " + AstToSql(a) + " = 'value'");
}

Result<ExprPtr> ExprBinder::ExpectNumeric(const Ast& a, ExprPtr e) {
  if (IsNumeric(e->type) || e->type == Type::kNull) return e;
  if (e->type == Type::kString)
    return CastTo(std::move(e), Type::kDouble);  // as Spark: '5' + 1 = 6.0
  return Error(a, "'" + AstToSql(a) + "' is " + std::string(SqlTypeName(e->type)) +
                      ", but a number is needed here");
}

Result<ExprPtr> ExprBinder::BindBinary(const Ast& a, Scope scope) {
  BIND_OR_RETURN(l, Bind(*a.children[0], scope));
  BIND_OR_RETURN(r, Bind(*a.children[1], scope));
  auto e = std::make_unique<Expr>();
  switch (a.op) {
    case BinaryOp::kAnd:
    case BinaryOp::kOr: {
      auto lb = ExpectBoolean(*a.children[0], std::move(l));
      if (!lb.ok()) return lb.status();
      auto rb = ExpectBoolean(*a.children[1], std::move(r));
      if (!rb.ok()) return rb.status();
      e->kind = a.op == BinaryOp::kAnd ? ExprKind::kAnd : ExprKind::kOr;
      e->type = Type::kBool;
      e->args.push_back(std::move(lb).value());
      e->args.push_back(std::move(rb).value());
      return e;
    }
    case BinaryOp::kEq:
      return BindCompare(a, CompareOp::kEq, std::move(l), std::move(r));
    case BinaryOp::kNe:
      return BindCompare(a, CompareOp::kNe, std::move(l), std::move(r));
    case BinaryOp::kLt:
      return BindCompare(a, CompareOp::kLt, std::move(l), std::move(r));
    case BinaryOp::kLe:
      return BindCompare(a, CompareOp::kLe, std::move(l), std::move(r));
    case BinaryOp::kGt:
      return BindCompare(a, CompareOp::kGt, std::move(l), std::move(r));
    case BinaryOp::kGe:
      return BindCompare(a, CompareOp::kGe, std::move(l), std::move(r));
    case BinaryOp::kConcat:
      e->kind = ExprKind::kFunction;
      e->function = Function::kConcat;
      e->type = Type::kString;
      e->args.push_back(CastTo(std::move(l), Type::kString));
      e->args.push_back(CastTo(std::move(r), Type::kString));
      return e;
    default:
      break;
  }
  auto ln = ExpectNumeric(*a.children[0], std::move(l));
  if (!ln.ok()) return ln.status();
  auto rn = ExpectNumeric(*a.children[1], std::move(r));
  if (!rn.ok()) return rn.status();
  l = std::move(ln).value();
  r = std::move(rn).value();
  e->kind = ExprKind::kArith;
  // Spark: / always divides as DOUBLE; otherwise BIGINT unless a side is DOUBLE.
  Type t = (a.op == BinaryOp::kDiv || l->type == Type::kDouble || r->type == Type::kDouble)
               ? Type::kDouble
               : Type::kInt64;
  e->type = t;
  e->arith_op = a.op == BinaryOp::kAdd   ? ArithOp::kAdd
                : a.op == BinaryOp::kSub ? ArithOp::kSub
                : a.op == BinaryOp::kMul ? ArithOp::kMul
                : a.op == BinaryOp::kDiv ? ArithOp::kDiv
                                         : ArithOp::kMod;
  e->args.push_back(CastTo(std::move(l), t));
  e->args.push_back(CastTo(std::move(r), t));
  return e;
}

Result<ExprPtr> ExprBinder::BindCompare(const Ast& a, CompareOp op, ExprPtr l, ExprPtr r) {
  std::optional<Type> t = ComparisonType(l->type, r->type);
  if (!t) {
    std::string hint;
    if (l->type == Type::kTimestamp || r->type == Type::kTimestamp) {
      hint = "compare a TIMESTAMP with a time string, e.g. window.start >= '2026-01-27 18:29:50'";
    }
    return Error(a,
                 "cannot compare " + std::string(SqlTypeName(l->type)) + " with " +
                     std::string(SqlTypeName(r->type)),
                 hint);
  }
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::kCompare;
  e->compare_op = op;
  e->type = Type::kBool;
  e->args.push_back(CastTo(std::move(l), *t));
  e->args.push_back(CastTo(std::move(r), *t));
  return e;
}

Result<ExprPtr> ExprBinder::BindIn(const Ast& a, Scope scope) {
  std::vector<ExprPtr> items;
  Type common = Type::kNull;
  for (size_t i = 0; i < a.children.size(); ++i) {
    BIND_OR_RETURN(item, Bind(*a.children[i], scope));
    std::optional<Type> t = ComparisonType(common, item->type);
    if (!t) {
      return Error(*a.children[i], "cannot compare " + std::string(SqlTypeName(common)) + " with " +
                                       std::string(SqlTypeName(item->type)) + " in IN");
    }
    // A string value against numbers: the numbers decide (status IN (500, 503)).
    common = *t;
    items.push_back(std::move(item));
  }
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::kIn;
  e->type = Type::kBool;
  e->negated = a.negated;
  for (ExprPtr& item : items) e->args.push_back(CastTo(std::move(item), common));
  return e;
}

Result<ExprPtr> ExprBinder::BindLike(const Ast& a, Scope scope) {
  BIND_OR_RETURN(value, Bind(*a.children[0], scope));
  const Ast& pattern = *a.children[1];
  if (pattern.kind != AstKind::kLiteral ||
      (pattern.literal.type != Type::kString && pattern.literal.type != Type::kNull)) {
    return Error(pattern, "the LIKE pattern must be a string constant",
                 "e.g. content LIKE '%crash%'");
  }
  if (pattern.literal.type == Type::kNull) return MakeLiteral(OwnedValue(), Type::kBool);
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::kLike;
  e->type = Type::kBool;
  e->negated = a.negated;
  e->case_insensitive = a.case_insensitive;
  e->literal = pattern.literal;
  value = CastTo(std::move(value), Type::kString);
  // lower(x) LIKE 'crash' is x ILIKE 'crash' when the pattern has no upper-case letter (lower()
  // folds ASCII only, like our ILIKE): no lowered copy of x per record. Likewise for upper().
  if (value->kind == ExprKind::kFunction &&
      (value->function == Function::kLower || value->function == Function::kUpper)) {
    const std::string& p = e->literal.s;
    bool lower = value->function == Function::kLower;
    bool folds_away = e->case_insensitive || std::none_of(p.begin(), p.end(), [&](char c) {
                        return lower ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z');
                      });
    if (folds_away) {
      ExprPtr inner = std::move(value->args[0]);
      value = std::move(inner);
      e->case_insensitive = true;
    }
  }
  e->args.push_back(std::move(value));
  PrepareLike(*e);
  return e;
}

Result<ExprPtr> ExprBinder::BindCase(const Ast& a, Scope scope) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::kCase;
  e->has_else = a.has_else;
  Type result = Type::kNull;
  for (size_t i = 0; i < a.children.size(); ++i) {
    BIND_OR_RETURN(part, Bind(*a.children[i], scope));
    bool is_condition = i % 2 == 0 && !(a.has_else && i + 1 == a.children.size());
    if (is_condition) {
      auto checked = ExpectBoolean(*a.children[i], std::move(part));
      if (!checked.ok()) return checked.status();
      part = std::move(checked).value();
    } else {
      std::optional<Type> t = ResultType(result, part->type);
      if (!t) {
        return Error(*a.children[i],
                     "CASE branches mix " + std::string(SqlTypeName(result)) + " and " +
                         std::string(SqlTypeName(part->type)),
                     "CAST the branches to one type");
      }
      result = *t;
    }
    e->args.push_back(std::move(part));
  }
  for (size_t i = 0; i < e->args.size(); ++i) {
    bool is_condition = i % 2 == 0 && !(a.has_else && i + 1 == e->args.size());
    if (!is_condition) e->args[i] = CastTo(std::move(e->args[i]), result);
  }
  e->type = result;
  return e;
}

Result<ExprPtr> ExprBinder::BindCast(const Ast& a, Scope scope) {
  BIND_OR_RETURN(value, Bind(*a.children[0], scope));
  Type from = value->type;
  Type to = a.cast_type;
  if ((to == Type::kTimestamp && from == Type::kBool) ||
      (to == Type::kBool && from == Type::kTimestamp)) {
    return Error(
        a, "cannot cast " + std::string(SqlTypeName(from)) + " to " + std::string(SqlTypeName(to)));
  }
  if (from == to) return value;
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::kCast;
  e->type = to;
  e->args.push_back(std::move(value));
  return e;
}

Result<ExprPtr> ExprBinder::BindCall(const Ast& a, Scope scope) {
  if (IsWindowFunctionName(a.name)) {
    return Error(a, std::string(a.name) + "(...) can only be used in GROUP BY",
                 "GROUP BY window(timestamp, '10 seconds') and select window.start, window.end");
  }
  const ScalarFunction* fn = nullptr;
  for (const ScalarFunction& f : kScalarFunctions)
    if (EqualsIgnoreCase(f.name, a.name)) fn = &f;
  if (fn == nullptr) {
    std::string_view close = ClosestMatch(a.name, AllFunctionNames());
    return SqlError(
        sql_, a.name_span, "unknown function '" + a.name + "'",
        close.empty()
            ? "functions are lower, upper, length, contains, startswith, endswith, concat, "
              "substring, trim, abs, coalesce, count, sum, min, max, avg"
            : "did you mean " + std::string(close) + "?");
  }
  int n = static_cast<int>(a.children.size());
  if (a.star_arg || n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args)) {
    std::string expected = fn->min_args == fn->max_args ? Plural(fn->min_args, "argument")
                           : fn->max_args < 0 ? "at least " + Plural(fn->min_args, "argument")
                                              : std::to_string(fn->min_args) + " or " +
                                                    Plural(fn->max_args, "argument");
    return Error(a, std::string(fn->name) + " takes " + expected + ", got " +
                        (a.star_arg ? std::string("*") : std::to_string(n)));
  }
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::kFunction;
  e->function = fn->function;
  for (const AstPtr& c : a.children) {
    BIND_OR_RETURN(arg, Bind(*c, scope));
    e->args.push_back(std::move(arg));
  }
  switch (fn->function) {
    case Function::kLower:
    case Function::kUpper:
    case Function::kTrim:
    case Function::kConcat:
      for (ExprPtr& arg : e->args) arg = CastTo(std::move(arg), Type::kString);
      e->type = Type::kString;
      return e;
    case Function::kLength:
      e->args[0] = CastTo(std::move(e->args[0]), Type::kString);
      e->type = Type::kInt64;
      return e;
    case Function::kContains:
    case Function::kStartsWith:
    case Function::kEndsWith: {
      for (ExprPtr& arg : e->args) arg = CastTo(std::move(arg), Type::kString);
      e->type = Type::kBool;
      // contains(lower(x), 'crash') is x ILIKE '%crash%', which needs no lowered copy of x.
      Expr& s = *e->args[0];
      const Expr& sub = *e->args[1];
      if (fn->function == Function::kContains && s.kind == ExprKind::kFunction &&
          s.function == Function::kLower && sub.kind == ExprKind::kLiteral &&
          sub.literal.type == Type::kString &&
          std::none_of(sub.literal.s.begin(), sub.literal.s.end(),
                       [](char c) { return c >= 'A' && c <= 'Z'; })) {
        auto like = std::make_unique<Expr>();
        like->kind = ExprKind::kLike;
        like->type = Type::kBool;
        like->case_insensitive = true;
        like->literal.type = Type::kString;
        like->literal.s = "%" + EscapeLikeLiteral(sub.literal.s) + "%";
        like->args.push_back(std::move(s.args[0]));
        PrepareLike(*like);
        return like;
      }
      return e;
    }
    case Function::kSubstring:
      e->args[0] = CastTo(std::move(e->args[0]), Type::kString);
      for (size_t i = 1; i < e->args.size(); ++i) {
        if (e->args[i]->type == Type::kDouble || e->args[i]->type == Type::kString ||
            e->args[i]->type == Type::kNull) {
          e->args[i] = CastTo(std::move(e->args[i]), Type::kInt64);
        } else if (e->args[i]->type != Type::kInt64) {
          return Error(*a.children[i], "substring positions must be numbers");
        }
      }
      e->type = Type::kString;
      return e;
    case Function::kAbs: {
      auto checked = ExpectNumeric(*a.children[0], std::move(e->args[0]));
      if (!checked.ok()) return checked.status();
      e->args[0] = std::move(checked).value();
      if (e->args[0]->type == Type::kNull) e->args[0] = CastTo(std::move(e->args[0]), Type::kInt64);
      e->type = e->args[0]->type;
      return e;
    }
    case Function::kCoalesce: {
      Type result = Type::kNull;
      for (size_t i = 0; i < e->args.size(); ++i) {
        std::optional<Type> t = ResultType(result, e->args[i]->type);
        if (!t)
          return Error(*a.children[i], "coalesce arguments mix types", "CAST them to one type");
        result = *t;
      }
      for (ExprPtr& arg : e->args) arg = CastTo(std::move(arg), result);
      e->type = result;
      return e;
    }
  }
  return e;
}

Result<ExprPtr> ExprBinder::BindAggregateCall(const Ast& a) {
  std::string name = LowerAscii(a.name);
  if (name == "mean") name = "avg";
  for (const AstPtr& c : a.children) {
    if (ContainsAggregate(*c)) {
      std::function<const Ast*(const Ast&)> find = [&](const Ast& n) -> const Ast* {
        if (n.kind == AstKind::kCall && IsAggregateName(n.name)) return &n;
        for (const AstPtr& k : n.children)
          if (const Ast* f = find(*k)) return f;
        return nullptr;
      };
      return Error(*find(*c), "nested aggregate functions are not allowed",
                   "aggregate the record's columns directly");
    }
  }
  AggCall call;
  std::string_view saved_clause = clause_;
  clause_ = "aggregate";
  if (name == "count") {
    if (a.star_arg || (a.children.size() == 1 && a.children[0]->kind == AstKind::kLiteral &&
                       a.children[0]->literal.type != Type::kNull)) {
      call.kind = AggKind::kCountStar;
    } else if (a.children.size() == 1) {
      call.kind = AggKind::kCount;
      BIND_OR_RETURN(arg, Bind(*a.children[0], Scope::kInput));
      call.arg = std::move(arg);
    } else {
      clause_ = saved_clause;
      return Error(a, "count takes one argument or *, got " + std::to_string(a.children.size()));
    }
    call.result_type = Type::kInt64;
  } else {
    if (a.star_arg || a.children.size() != 1) {
      clause_ = saved_clause;
      return Error(a, name + " takes 1 argument", "e.g. " + name + "(x); only count accepts *");
    }
    BIND_OR_RETURN(arg, Bind(*a.children[0], Scope::kInput));
    if (name == "sum" || name == "avg") {
      auto checked = ExpectNumeric(*a.children[0], std::move(arg));
      if (!checked.ok()) {
        clause_ = saved_clause;
        return checked.status();
      }
      arg = std::move(checked).value();
      if (arg->type == Type::kNull) arg = CastTo(std::move(arg), Type::kDouble);
      call.kind = name == "sum" ? AggKind::kSum : AggKind::kAvg;
      call.result_type = name == "avg" ? Type::kDouble : arg->type;
    } else {
      if (arg->type == Type::kNull) arg = CastTo(std::move(arg), Type::kInt64);
      call.kind = name == "min" ? AggKind::kMin : AggKind::kMax;
      call.result_type = arg->type;
    }
    call.arg = std::move(arg);
  }
  clause_ = saved_clause;
  call.text = name + "(" +
              (a.star_arg           ? std::string("*")
               : a.children.empty() ? std::string()
                                    : AstToSql(*a.children[0])) +
              ")";
  if (call.kind == AggKind::kCountStar) call.text = "count(*)";
  // The same aggregate in SELECT and HAVING is computed once.
  for (size_t i = 0; i < query_.aggregates.size(); ++i) {
    const AggCall& other = query_.aggregates[i];
    bool same_arg =
        (!other.arg && !call.arg) || (other.arg && call.arg && ExprEquals(*other.arg, *call.arg));
    if (other.kind == call.kind && same_arg)
      return MakeColumn(query_.agg_slot(static_cast<int>(i)), other.result_type);
  }
  query_.aggregates.push_back(std::move(call));
  const AggCall& added = query_.aggregates.back();
  return MakeColumn(query_.agg_slot(static_cast<int>(query_.aggregates.size()) - 1),
                    added.result_type);
}

}  // namespace sluice
