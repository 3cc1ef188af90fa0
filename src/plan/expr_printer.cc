#include "plan/expr_printer.h"

namespace sluice {
namespace {

const char* CompareText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "<>";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "?";
}

const char* ArithText(ArithOp op) {
  switch (op) {
    case ArithOp::kAdd:
      return "+";
    case ArithOp::kSub:
      return "-";
    case ArithOp::kMul:
      return "*";
    case ArithOp::kDiv:
      return "/";
    case ArithOp::kMod:
      return "%";
  }
  return "?";
}

const char* FunctionText(Function f) {
  switch (f) {
    case Function::kLower:
      return "lower";
    case Function::kUpper:
      return "upper";
    case Function::kLength:
      return "length";
    case Function::kContains:
      return "contains";
    case Function::kStartsWith:
      return "startswith";
    case Function::kEndsWith:
      return "endswith";
    case Function::kConcat:
      return "concat";
    case Function::kSubstring:
      return "substring";
    case Function::kTrim:
      return "trim";
    case Function::kAbs:
      return "abs";
    case Function::kCoalesce:
      return "coalesce";
  }
  return "?";
}

std::string Literal(const OwnedValue& v) {
  switch (v.type) {
    case Type::kNull:
      return "NULL";
    case Type::kBool:
      return v.b ? "TRUE" : "FALSE";
    case Type::kDouble:
      return std::to_string(v.d);
    case Type::kString: {
      std::string s = "'";
      for (char c : v.s) {
        s += c;
        if (c == '\'') s += '\'';
      }
      return s + "'";
    }
    default:
      return std::to_string(v.i);
  }
}

}  // namespace

std::string ExprToSql(const Expr& e, const std::vector<std::string>& names) {
  auto arg = [&](size_t i) { return ExprToSql(*e.args[i], names); };
  auto join = [&](size_t from, const char* sep) {
    std::string s;
    for (size_t i = from; i < e.args.size(); ++i) {
      if (i > from) s += sep;
      s += arg(i);
    }
    return s;
  };
  switch (e.kind) {
    case ExprKind::kColumn:
      return e.slot >= 0 && static_cast<size_t>(e.slot) < names.size()
                 ? names[static_cast<size_t>(e.slot)]
                 : "#" + std::to_string(e.slot);
    case ExprKind::kLiteral:
      return Literal(e.literal);
    case ExprKind::kNot:
      return "NOT " + arg(0);
    case ExprKind::kNegate:
      return "-" + arg(0);
    case ExprKind::kAnd:
      return "(" + join(0, " AND ") + ")";
    case ExprKind::kOr:
      return "(" + join(0, " OR ") + ")";
    case ExprKind::kCompare:
      return arg(0) + " " + CompareText(e.compare_op) + " " + arg(1);
    case ExprKind::kArith:
      return "(" + arg(0) + " " + ArithText(e.arith_op) + " " + arg(1) + ")";
    case ExprKind::kIn:
      return arg(0) + (e.negated ? " NOT IN (" : " IN (") + join(1, ", ") + ")";
    case ExprKind::kLike:
      return arg(0) + (e.negated ? " NOT" : "") + (e.case_insensitive ? " ILIKE " : " LIKE ") +
             Literal(e.literal);
    case ExprKind::kIsNull:
      return arg(0) + (e.negated ? " IS NOT NULL" : " IS NULL");
    case ExprKind::kFunction:
      return std::string(FunctionText(e.function)) + "(" + join(0, ", ") + ")";
    case ExprKind::kCast:
      return "CAST(" + arg(0) + " AS " + std::string(TypeName(e.type)) + ")";
    case ExprKind::kCase: {
      std::string s = "CASE";
      const size_t pairs = (e.args.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; ++i) s += " WHEN " + arg(2 * i) + " THEN " + arg(2 * i + 1);
      if (e.has_else) s += " ELSE " + arg(e.args.size() - 1);
      return s + " END";
    }
  }
  return "?";
}

}  // namespace sluice
