#include "sql/ast.h"

#include <charconv>

#include "common/ascii.h"

namespace sluice {

AstPtr CloneAst(const Ast& a) {
  auto c = std::make_unique<Ast>();
  c->kind = a.kind;
  c->span = a.span;
  c->parts = a.parts;
  c->name = a.name;
  c->name_span = a.name_span;
  c->literal = a.literal;
  c->interval_ms = a.interval_ms;
  c->op = a.op;
  c->cast_type = a.cast_type;
  c->negated = a.negated;
  c->case_insensitive = a.case_insensitive;
  c->star_arg = a.star_arg;
  c->has_else = a.has_else;
  for (const AstPtr& child : a.children) c->children.push_back(CloneAst(*child));
  return c;
}

namespace {

std::string_view OpText(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAnd:
      return "AND";
    case BinaryOp::kOr:
      return "OR";
    case BinaryOp::kEq:
      return "=";
    case BinaryOp::kNe:
      return "!=";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLe:
      return "<=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGe:
      return ">=";
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kConcat:
      return "||";
  }
  return "?";
}

std::string_view CastTypeText(Type t) {
  // The type names of values, except that a cast to the type of NULL is written VOID (Spark).
  return t == Type::kNull ? "VOID" : TypeName(t);
}

std::string LiteralText(const OwnedValue& v) {
  switch (v.type) {
    case Type::kNull:
      return "NULL";
    case Type::kBool:
      return v.b ? "true" : "false";
    case Type::kInt64:
    case Type::kTimestamp:
      return std::to_string(v.i);
    case Type::kDouble: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.d);
      return std::string(buf, r.ptr);
    }
    case Type::kString:
      return v.s;
  }
  return "";
}

}  // namespace

std::string AstToSql(const Ast& a) {
  auto child = [&](size_t i) { return AstToSql(*a.children[i]); };
  switch (a.kind) {
    case AstKind::kColumn:
      return a.parts.back();
    case AstKind::kLiteral:
      return LiteralText(a.literal);
    case AstKind::kInterval:
      return "INTERVAL '" + std::to_string(a.interval_ms) + " milliseconds'";
    case AstKind::kStar:
      return "*";
    case AstKind::kNot:
      return "(NOT " + child(0) + ")";
    case AstKind::kNegate:
      return "(- " + child(0) + ")";
    case AstKind::kBinary:
      return "(" + child(0) + " " + std::string(OpText(a.op)) + " " + child(1) + ")";
    case AstKind::kIsNull:
      return "(" + child(0) + (a.negated ? " IS NOT NULL)" : " IS NULL)");
    case AstKind::kIn: {
      std::string s = "(" + child(0) + (a.negated ? " NOT IN (" : " IN (");
      for (size_t i = 1; i < a.children.size(); ++i) s += (i > 1 ? ", " : "") + child(i);
      return s + "))";
    }
    case AstKind::kLike:
      return child(0) + (a.negated ? " NOT" : "") + (a.case_insensitive ? " ILIKE " : " LIKE ") +
             child(1);
    case AstKind::kCase: {
      std::string s = "CASE";
      size_t pairs = (a.children.size() - (a.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; ++i) s += " WHEN " + child(2 * i) + " THEN " + child(2 * i + 1);
      if (a.has_else) s += " ELSE " + child(a.children.size() - 1);
      return s + " END";
    }
    case AstKind::kCast:
      return "CAST(" + child(0) + " AS " + std::string(CastTypeText(a.cast_type)) + ")";
    case AstKind::kCall: {
      std::string name = LowerAscii(a.name);
      if (a.star_arg) return name + "(1)";  // Spark names count(*) "count(1)"
      std::string s = name + "(";
      for (size_t i = 0; i < a.children.size(); ++i) s += (i > 0 ? ", " : "") + child(i);
      return s + ")";
    }
  }
  return "?";
}

}  // namespace sluice
