#include "sql/parser.h"

#include <charconv>
#include <limits>

#include "common/duration.h"
#include "sql/lexer.h"

namespace sluice {
namespace {

// Words that end or structure a clause: never taken as a bare column name or implicit alias.
constexpr std::string_view kReserved[] = {
    "SELECT", "FROM",  "WHERE", "GROUP",  "BY",        "HAVING",   "ORDER", "LIMIT",   "AND",
    "OR",     "NOT",   "IN",    "IS",     "NULL",      "LIKE",     "ILIKE", "BETWEEN", "CASE",
    "WHEN",   "THEN",  "ELSE",  "END",    "AS",        "ASC",      "DESC",  "TRUE",    "FALSE",
    "CAST",   "JOIN",  "ON",    "UNION",  "DISTINCT",  "INTERVAL", "INNER", "LEFT",    "RIGHT",
    "FULL",   "CROSS", "OUTER", "EXCEPT", "INTERSECT", "WITH",     "OVER",  "EXISTS",  "RLIKE"};

// Keywords offered by "did you mean" when a word is out of place.
const std::vector<std::string_view>& KeywordCandidates() {
  static const std::vector<std::string_view> k = {
      "SELECT", "FROM", "WHERE", "GROUP BY", "GROUP", "BY",   "HAVING", "ORDER",   "LIMIT", "AND",
      "OR",     "NOT",  "IN",    "IS",       "NULL",  "LIKE", "ILIKE",  "BETWEEN", "CASE",  "WHEN",
      "THEN",   "ELSE", "END",   "AS",       "ASC",   "DESC", "CAST",   "INTERVAL"};
  return k;
}

bool IsReserved(const Token& t) {
  if (t.kind != TokenKind::kIdent) return false;
  for (std::string_view k : kReserved)
    if (t.Is(k)) return true;
  return false;
}

// Milliseconds of an INTERVAL unit word (SECOND, SECONDS, MINUTE, ...), or 0.
int64_t IntervalUnitMs(const Token& t) {
  if (t.kind != TokenKind::kIdent) return 0;
  struct U {
    std::string_view name;
    int64_t ms;
  };
  static constexpr U kUnits[] = {{"MILLISECOND", 1}, {"MILLISECONDS", 1}, {"SECOND", 1000},
                                 {"SECONDS", 1000},  {"MINUTE", 60000},   {"MINUTES", 60000},
                                 {"HOUR", 3600000},  {"HOURS", 3600000},  {"DAY", 86400000},
                                 {"DAYS", 86400000}};
  for (const U& u : kUnits)
    if (t.Is(u.name)) return u.ms;
  return 0;
}

class Parser {
 public:
  Parser(std::string_view sql, std::vector<Token> tokens) : sql_(sql), tokens_(std::move(tokens)) {}

  Result<SelectStatement> Statement();
  Result<AstPtr> ExpressionOnly() {
    AstPtr e;
    SLUICE_ASSIGN_OR_RETURN(e, Expression());
    if (Peek().kind == TokenKind::kSemicolon) ++pos_;
    if (Peek().kind != TokenKind::kEnd) return Unexpected(Peek(), "the end of the expression");
    return e;
  }

 private:
  // Deeply nested or very long expressions would exhaust the stack of the recursive descent
  // (and of the binder and evaluator after it): refuse them with a message instead.
  static constexpr int kMaxNesting = 300;
  static constexpr uint32_t kMaxHeight = 1000;
  class NestingGuard {
   public:
    explicit NestingGuard(Parser& p) : p_(p) { ++p_.depth_; }
    ~NestingGuard() { --p_.depth_; }
    Status status() const {
      if (p_.depth_ <= kMaxNesting) return Status::Ok();
      return p_.Error(p_.Peek(),
                      "the expression is nested too deeply (parentheses, NOT, signs, function "
                      "calls or CASE inside one another, about 100 levels at most)",
                      "simplify the query");
    }

   private:
    Parser& p_;
  };
  Status CheckHeight(const Ast& a) const {
    if (a.height <= kMaxHeight) return Status::Ok();
    return Error(Peek(),
                 "the expression is too long (more than " + std::to_string(kMaxHeight) +
                     " operators in a chain such as a AND b AND ...)",
                 "split it, or use IN (...) for a list of values");
  }
  int depth_ = 0;

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool Accept(std::string_view keyword) {
    if (!Peek().Is(keyword)) return false;
    ++pos_;
    return true;
  }
  bool Accept(TokenKind kind) {
    if (Peek().kind != kind) return false;
    ++pos_;
    return true;
  }
  // Where to point for a token: the end of input is shown just after the last real token.
  SourceSpan SpanOf(const Token& t) const {
    if (t.kind != TokenKind::kEnd || pos_ == 0) return t.span;
    uint32_t end = tokens_[tokens_.size() >= 2 ? tokens_.size() - 2 : 0].span.end;
    return {end, end};
  }
  SourceSpan Through(SourceSpan begin) const {
    return {begin.begin, pos_ > 0 ? tokens_[pos_ - 1].span.end : begin.end};
  }

  Status Error(const Token& t, std::string_view what, std::string_view hint = {}) const {
    return SqlError(sql_, SpanOf(t), what, hint);
  }
  Status Unexpected(const Token& t, std::string_view expected) const;
  Status NotSupported(const Token& t, std::string_view what, std::string_view hint = {}) const {
    return Error(t, "not supported: " + std::string(what), hint);
  }
  Status Expect(TokenKind kind, std::string_view description) {
    if (Accept(kind)) return Status::Ok();
    return Unexpected(Peek(), description);
  }
  Status ExpectKeyword(std::string_view keyword) {
    if (Accept(keyword)) return Status::Ok();
    return Unexpected(Peek(), keyword);
  }

  Result<AstPtr> Expression() { return Or(); }
  Result<AstPtr> Or();
  Result<AstPtr> And();
  Result<AstPtr> Not();
  Result<AstPtr> Predicate();
  Result<AstPtr> Additive();
  Result<AstPtr> Multiplicative();
  Result<AstPtr> Unary();
  Result<AstPtr> Primary();
  Result<AstPtr> Call(const Token& name);
  Result<AstPtr> CaseExpr(const Token& case_token);
  Result<AstPtr> CastExpr(const Token& cast_token);
  Result<AstPtr> IntervalExpr(const Token& interval_token);
  Status ClauseRejections();

  std::string_view sql_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

// 1 + the tallest child.
void UpdateHeight(Ast& a) {
  uint32_t h = 0;
  for (const auto& ch : a.children) h = std::max(h, ch->height);
  a.height = h + 1;
}

AstPtr MakeBinary(BinaryOp op, AstPtr l, AstPtr r) {
  auto a = std::make_unique<Ast>();
  a->kind = AstKind::kBinary;
  a->op = op;
  a->span = {l->span.begin, r->span.end};
  a->children.push_back(std::move(l));
  a->children.push_back(std::move(r));
  UpdateHeight(*a);
  return a;
}

AstPtr MakeUnary(AstKind kind, AstPtr child, SourceSpan span) {
  auto a = std::make_unique<Ast>();
  a->kind = kind;
  a->span = span;
  a->children.push_back(std::move(child));
  UpdateHeight(*a);
  return a;
}

Status Parser::Unexpected(const Token& t, std::string_view expected) const {
  if (t.kind == TokenKind::kEnd) {
    return Error(t, "unexpected end of input: expected " + std::string(expected));
  }
  std::string hint;
  if (t.kind == TokenKind::kIdent) {
    std::string_view close = ClosestMatch(t.text, KeywordCandidates());
    if (!close.empty() && !EqualsIgnoreCase(close, t.text))
      hint = "did you mean " + std::string(close) + "?";
  }
  return Error(t, "expected " + std::string(expected) + ", found '" + std::string(t.text) + "'",
               hint);
}

Result<AstPtr> Parser::Or() {
  NestingGuard guard(*this);
  SLUICE_RETURN_IF_ERROR(guard.status());
  AstPtr left;
  SLUICE_ASSIGN_OR_RETURN(left, And());
  while (Accept("OR")) {
    AstPtr right;
    SLUICE_ASSIGN_OR_RETURN(right, And());
    left = MakeBinary(BinaryOp::kOr, std::move(left), std::move(right));
    SLUICE_RETURN_IF_ERROR(CheckHeight(*left));
  }
  return left;
}

Result<AstPtr> Parser::And() {
  AstPtr left;
  SLUICE_ASSIGN_OR_RETURN(left, Not());
  while (Accept("AND")) {
    AstPtr right;
    SLUICE_ASSIGN_OR_RETURN(right, Not());
    left = MakeBinary(BinaryOp::kAnd, std::move(left), std::move(right));
    SLUICE_RETURN_IF_ERROR(CheckHeight(*left));
  }
  return left;
}

Result<AstPtr> Parser::Not() {
  NestingGuard guard(*this);
  SLUICE_RETURN_IF_ERROR(guard.status());
  if (Peek().Is("NOT")) {
    SourceSpan begin = Next().span;
    AstPtr child;
    SLUICE_ASSIGN_OR_RETURN(child, Not());
    SourceSpan span{begin.begin, child->span.end};
    return MakeUnary(AstKind::kNot, std::move(child), span);
  }
  return Predicate();
}

Result<AstPtr> Parser::Predicate() {
  AstPtr left;
  SLUICE_ASSIGN_OR_RETURN(left, Additive());
  while (true) {
    const Token& t = Peek();
    BinaryOp op;
    switch (t.kind) {
      case TokenKind::kEq:
        op = BinaryOp::kEq;
        break;
      case TokenKind::kNe:
        op = BinaryOp::kNe;
        break;
      case TokenKind::kLt:
        op = BinaryOp::kLt;
        break;
      case TokenKind::kLe:
        op = BinaryOp::kLe;
        break;
      case TokenKind::kGt:
        op = BinaryOp::kGt;
        break;
      case TokenKind::kGe:
        op = BinaryOp::kGe;
        break;
      default:
        op = BinaryOp::kAnd;
        break;  // not a comparison
    }
    if (op != BinaryOp::kAnd) {
      ++pos_;
      AstPtr right;
      SLUICE_ASSIGN_OR_RETURN(right, Additive());
      left = MakeBinary(op, std::move(left), std::move(right));
      SLUICE_RETURN_IF_ERROR(CheckHeight(*left));
      continue;
    }
    if (t.Is("IS")) {
      ++pos_;
      bool negated = Accept("NOT");
      if (!Accept("NULL"))
        return Unexpected(Peek(), negated ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
      auto a = MakeUnary(AstKind::kIsNull, std::move(left), {});
      a->span = Through(a->children[0]->span);
      a->negated = negated;
      left = std::move(a);
      continue;
    }
    // [NOT] IN / LIKE / ILIKE / BETWEEN
    size_t save = pos_;
    bool negated = Accept("NOT");
    const Token& k = Peek();
    if (k.Is("IN")) {
      ++pos_;
      if (Status st = Expect(TokenKind::kLParen, "'(' after IN"); !st.ok()) return st;
      if (Peek().Is("SELECT"))
        return NotSupported(Peek(), "subqueries", "list the values: x IN ('a', 'b')");
      auto a = MakeUnary(AstKind::kIn, std::move(left), {});
      a->negated = negated;
      do {
        AstPtr item;
        SLUICE_ASSIGN_OR_RETURN(item, Expression());
        a->children.push_back(std::move(item));
        UpdateHeight(*a);
      } while (Accept(TokenKind::kComma));
      if (Status st = Expect(TokenKind::kRParen, "',' or ')' in the IN list"); !st.ok()) return st;
      a->span = Through(a->children[0]->span);
      left = std::move(a);
      continue;
    }
    if (k.Is("LIKE") || k.Is("ILIKE")) {
      bool ci = k.Is("ILIKE");
      ++pos_;
      AstPtr pattern;
      SLUICE_ASSIGN_OR_RETURN(pattern, Additive());
      if (Peek().Is("ESCAPE"))
        return NotSupported(Peek(), "LIKE ... ESCAPE", "the escape character is \\, e.g. '50\\%'");
      auto a = MakeUnary(AstKind::kLike, std::move(left), {});
      a->children.push_back(std::move(pattern));
      UpdateHeight(*a);
      a->negated = negated;
      a->case_insensitive = ci;
      a->span = Through(a->children[0]->span);
      left = std::move(a);
      continue;
    }
    if (k.Is("RLIKE") || k.Is("REGEXP")) {
      return NotSupported(k, "regular expressions", "use LIKE with % and _");
    }
    if (k.Is("BETWEEN")) {
      ++pos_;
      // x BETWEEN a AND b is (x >= a AND x <= b); the bounds bind tighter than AND.
      AstPtr low, high;
      SLUICE_ASSIGN_OR_RETURN(low, Additive());
      if (Status st = ExpectKeyword("AND"); !st.ok()) return st;
      SLUICE_ASSIGN_OR_RETURN(high, Additive());
      SourceSpan whole = Through(left->span);
      AstPtr copy = CloneAst(*left);
      AstPtr both =
          MakeBinary(BinaryOp::kAnd, MakeBinary(BinaryOp::kGe, std::move(left), std::move(low)),
                     MakeBinary(BinaryOp::kLe, std::move(copy), std::move(high)));
      both->span = whole;
      left = negated ? MakeUnary(AstKind::kNot, std::move(both), whole) : std::move(both);
      continue;
    }
    pos_ = save;
    return left;
  }
}

Result<AstPtr> Parser::Additive() {
  AstPtr left;
  SLUICE_ASSIGN_OR_RETURN(left, Multiplicative());
  while (true) {
    BinaryOp op;
    if (Peek().kind == TokenKind::kPlus)
      op = BinaryOp::kAdd;
    else if (Peek().kind == TokenKind::kMinus)
      op = BinaryOp::kSub;
    else if (Peek().kind == TokenKind::kConcat)
      op = BinaryOp::kConcat;
    else
      return left;
    ++pos_;
    AstPtr right;
    SLUICE_ASSIGN_OR_RETURN(right, Multiplicative());
    left = MakeBinary(op, std::move(left), std::move(right));
    SLUICE_RETURN_IF_ERROR(CheckHeight(*left));
  }
}

Result<AstPtr> Parser::Multiplicative() {
  AstPtr left;
  SLUICE_ASSIGN_OR_RETURN(left, Unary());
  while (true) {
    BinaryOp op;
    if (Peek().kind == TokenKind::kStar)
      op = BinaryOp::kMul;
    else if (Peek().kind == TokenKind::kSlash)
      op = BinaryOp::kDiv;
    else if (Peek().kind == TokenKind::kPercent)
      op = BinaryOp::kMod;
    else
      return left;
    ++pos_;
    AstPtr right;
    SLUICE_ASSIGN_OR_RETURN(right, Unary());
    left = MakeBinary(op, std::move(left), std::move(right));
    SLUICE_RETURN_IF_ERROR(CheckHeight(*left));
  }
}

Result<AstPtr> Parser::Unary() {
  NestingGuard guard(*this);
  SLUICE_RETURN_IF_ERROR(guard.status());
  if (Peek().kind == TokenKind::kPlus) {
    ++pos_;
    return Unary();
  }
  if (Peek().kind != TokenKind::kMinus) return Primary();
  SourceSpan begin = Next().span;
  AstPtr child;
  SLUICE_ASSIGN_OR_RETURN(child, Unary());
  SourceSpan span{begin.begin, child->span.end};
  // Fold -literal so that -9223372036854775808 and LIMIT checks see a plain number.
  if (child->kind == AstKind::kLiteral && child->literal.type == Type::kInt64 &&
      child->literal.i != std::numeric_limits<int64_t>::min()) {
    child->literal.i = -child->literal.i;
    child->span = span;
    return child;
  }
  if (child->kind == AstKind::kLiteral && child->literal.type == Type::kDouble) {
    child->literal.d = -child->literal.d;
    child->span = span;
    return child;
  }
  return MakeUnary(AstKind::kNegate, std::move(child), span);
}

Result<AstPtr> Parser::Primary() {
  const Token& t = Next();
  auto literal = [&](OwnedValue v) {
    auto a = std::make_unique<Ast>();
    a->kind = AstKind::kLiteral;
    a->literal = std::move(v);
    a->span = t.span;
    return a;
  };
  switch (t.kind) {
    case TokenKind::kInteger: {
      OwnedValue v;
      int64_t i = 0;
      auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), i);
      if (r.ec == std::errc()) {
        v.type = Type::kInt64;
        v.i = i;
      } else {  // too large for BIGINT: keep it as a DOUBLE
        v.type = Type::kDouble;
        std::from_chars(t.text.data(), t.text.data() + t.text.size(), v.d);
      }
      return literal(std::move(v));
    }
    case TokenKind::kDecimal: {
      OwnedValue v;
      v.type = Type::kDouble;
      std::from_chars(t.text.data(), t.text.data() + t.text.size(), v.d);
      return literal(std::move(v));
    }
    case TokenKind::kString: {
      OwnedValue v;
      v.type = Type::kString;
      v.s = t.value;
      return literal(std::move(v));
    }
    case TokenKind::kLParen: {
      if (Peek().Is("SELECT"))
        return NotSupported(Peek(), "subqueries", "sluice runs one SELECT over one stream");
      AstPtr inner;
      SLUICE_ASSIGN_OR_RETURN(inner, Expression());
      if (Status st = Expect(TokenKind::kRParen, "')'"); !st.ok()) return st;
      inner->span = {t.span.begin, tokens_[pos_ - 1].span.end};
      return inner;
    }
    case TokenKind::kQuotedIdent:
    case TokenKind::kIdent: {
      if (t.kind == TokenKind::kIdent) {
        if (t.Is("NULL")) return literal(OwnedValue());
        if (t.Is("TRUE") || t.Is("FALSE")) {
          OwnedValue v;
          v.type = Type::kBool;
          v.b = t.Is("TRUE");
          return literal(std::move(v));
        }
        if (t.Is("CASE")) return CaseExpr(t);
        if (t.Is("CAST")) return CastExpr(t);
        if (t.Is("INTERVAL")) return IntervalExpr(t);
        if (t.Is("EXISTS")) return NotSupported(t, "subqueries (EXISTS)");
        if (IsReserved(t)) {
          --pos_;
          return Unexpected(t, "an expression");
        }
        if (Peek().kind == TokenKind::kLParen) return Call(t);
      }
      auto a = std::make_unique<Ast>();
      a->kind = AstKind::kColumn;
      a->parts.push_back(t.kind == TokenKind::kIdent ? std::string(t.text) : t.value);
      while (Peek().kind == TokenKind::kDot) {
        ++pos_;
        const Token& part = Next();
        // After a dot any word is a name: window.end is not the END keyword.
        if (part.kind == TokenKind::kIdent)
          a->parts.emplace_back(part.text);
        else if (part.kind == TokenKind::kQuotedIdent)
          a->parts.push_back(part.value);
        else {
          --pos_;
          return Unexpected(part, "a name after '.'");
        }
      }
      a->span = Through(t.span);
      return a;
    }
    default:
      --pos_;
      return Unexpected(t, "an expression");
  }
}

Result<AstPtr> Parser::Call(const Token& name) {
  auto a = std::make_unique<Ast>();
  a->kind = AstKind::kCall;
  a->name = std::string(name.text);
  a->name_span = name.span;
  ++pos_;  // (
  if (Peek().Is("DISTINCT")) {
    return NotSupported(Peek(), "DISTINCT inside aggregates",
                        "count distinct values with GROUP BY in a separate query");
  }
  if (Accept(TokenKind::kStar)) {
    a->star_arg = true;
  } else if (Peek().kind != TokenKind::kRParen) {
    do {
      AstPtr arg;
      SLUICE_ASSIGN_OR_RETURN(arg, Expression());
      a->children.push_back(std::move(arg));
      UpdateHeight(*a);
    } while (Accept(TokenKind::kComma));
  }
  if (Status st = Expect(TokenKind::kRParen, "',' or ')' after a function argument"); !st.ok())
    return st;
  a->span = Through(name.span);
  if (Peek().Is("OVER")) {
    return NotSupported(Peek(), "window functions (OVER)",
                        "for time windows, GROUP BY window(timestamp, '10 seconds')");
  }
  return a;
}

Result<AstPtr> Parser::CaseExpr(const Token& case_token) {
  auto a = std::make_unique<Ast>();
  a->kind = AstKind::kCase;
  // CASE x WHEN v THEN ... is desugared to CASE WHEN x = v THEN ...
  AstPtr operand;
  if (!Peek().Is("WHEN")) {
    SLUICE_ASSIGN_OR_RETURN(operand, Expression());
  }
  if (!Peek().Is("WHEN")) return Unexpected(Peek(), "WHEN");
  while (Accept("WHEN")) {
    AstPtr when, then;
    SLUICE_ASSIGN_OR_RETURN(when, Expression());
    if (operand) when = MakeBinary(BinaryOp::kEq, CloneAst(*operand), std::move(when));
    if (Status st = ExpectKeyword("THEN"); !st.ok()) return st;
    SLUICE_ASSIGN_OR_RETURN(then, Expression());
    a->children.push_back(std::move(when));
    a->children.push_back(std::move(then));
    UpdateHeight(*a);
  }
  if (Accept("ELSE")) {
    AstPtr otherwise;
    SLUICE_ASSIGN_OR_RETURN(otherwise, Expression());
    a->children.push_back(std::move(otherwise));
    UpdateHeight(*a);
    a->has_else = true;
  }
  if (Status st = ExpectKeyword("END"); !st.ok()) return st;
  a->span = Through(case_token.span);
  return a;
}

Result<AstPtr> Parser::CastExpr(const Token& cast_token) {
  if (Status st = Expect(TokenKind::kLParen, "'(' after CAST"); !st.ok()) return st;
  auto a = std::make_unique<Ast>();
  a->kind = AstKind::kCast;
  AstPtr value;
  SLUICE_ASSIGN_OR_RETURN(value, Expression());
  a->children.push_back(std::move(value));
  UpdateHeight(*a);
  if (Status st = ExpectKeyword("AS"); !st.ok()) return st;
  const Token& type = Next();
  std::optional<Type> parsed =
      type.kind == TokenKind::kIdent ? ParseTypeName(type.text) : std::nullopt;
  if (!parsed) {
    return Error(type, "unknown type '" + std::string(type.text) + "'",
                 "types are BIGINT, DOUBLE, STRING, BOOLEAN, TIMESTAMP");
  }
  // VARCHAR(20), DECIMAL(10, 2): the size does not matter here.
  if (Accept(TokenKind::kLParen)) {
    while (Peek().kind != TokenKind::kRParen && Peek().kind != TokenKind::kEnd) ++pos_;
    if (Status st = Expect(TokenKind::kRParen, "')'"); !st.ok()) return st;
  }
  a->cast_type = *parsed;
  if (Status st = Expect(TokenKind::kRParen, "')' to close CAST"); !st.ok()) return st;
  a->span = Through(cast_token.span);
  return a;
}

Result<AstPtr> Parser::IntervalExpr(const Token& interval_token) {
  // INTERVAL '10' SECOND, INTERVAL 10 SECONDS, INTERVAL '10 seconds'
  const Token& value = Next();
  if (value.kind != TokenKind::kString && value.kind != TokenKind::kInteger &&
      value.kind != TokenKind::kDecimal) {
    --pos_;
    return Unexpected(value, "a number or string after INTERVAL (INTERVAL '10' SECOND)");
  }
  std::string text = value.kind == TokenKind::kString ? value.value : std::string(value.text);
  if (int64_t unit_ms = IntervalUnitMs(Peek()); unit_ms != 0) {
    text += " " + std::string(Next().text);
  }
  Result<int64_t> ms = ParseDurationMs(text);
  if (!ms.ok()) {
    return SqlError(sql_, Through(interval_token.span), "invalid interval",
                    "write INTERVAL '10' SECOND, INTERVAL 10 SECONDS or INTERVAL '10 seconds'");
  }
  auto a = std::make_unique<Ast>();
  a->kind = AstKind::kInterval;
  a->interval_ms = *ms;
  a->span = Through(interval_token.span);
  return a;
}

// Clauses sluice does not run get a "not supported" message rather than a parse error.
Status Parser::ClauseRejections() {
  const Token& t = Peek();
  if (t.Is("JOIN") || t.Is("INNER") || t.Is("LEFT") || t.Is("RIGHT") || t.Is("FULL") ||
      t.Is("CROSS") || t.kind == TokenKind::kComma) {
    return NotSupported(t, "joins", "sluice runs one SELECT over one stream");
  }
  if (t.Is("UNION") || t.Is("INTERSECT") || t.Is("EXCEPT")) {
    return NotSupported(t, std::string(t.text) + " of queries", "run one query per stream");
  }
  if (t.Is("WINDOW"))
    return NotSupported(t, "the WINDOW clause", "GROUP BY window(timestamp, '10 seconds')");
  return Status::Ok();
}

Result<SelectStatement> Parser::Statement() {
  SelectStatement s;
  if (Peek().Is("WITH"))
    return NotSupported(Peek(), "WITH (common table expressions)", "write one SELECT");
  if (!Peek().Is("SELECT")) {
    if (Peek().kind == TokenKind::kIdent && ClosestMatch(Peek().text, {"SELECT"}).empty()) {
      return Error(Peek(), "expected SELECT, found '" + std::string(Peek().text) + "'",
                   "not supported: statements other than SELECT");
    }
    return Unexpected(Peek(), "SELECT");
  }
  ++pos_;
  if (Peek().Is("DISTINCT")) {
    return NotSupported(Peek(), "SELECT DISTINCT", "GROUP BY the selected columns instead");
  }
  Accept("ALL");
  do {
    SelectItem item;
    if (Peek().kind == TokenKind::kStar) {
      item.expr = std::make_unique<Ast>();
      item.expr->kind = AstKind::kStar;
      item.expr->span = Next().span;
    } else {
      SLUICE_ASSIGN_OR_RETURN(item.expr, Expression());
    }
    if (Accept("AS")) {
      const Token& alias = Next();
      if (alias.kind == TokenKind::kQuotedIdent)
        item.alias = alias.value;
      else if (alias.kind == TokenKind::kIdent && !IsReserved(alias))
        item.alias = std::string(alias.text);
      else {
        --pos_;
        return Unexpected(alias, "a name after AS");
      }
    } else if ((Peek().kind == TokenKind::kQuotedIdent ||
                (Peek().kind == TokenKind::kIdent && !IsReserved(Peek()))) &&
               (Peek(1).kind == TokenKind::kComma || Peek(1).Is("FROM"))) {
      // An alias without AS, only where nothing else can follow: a misspelled FROM stays an error.
      item.alias = Peek().kind == TokenKind::kQuotedIdent ? Peek().value : std::string(Peek().text);
      ++pos_;
    }
    s.items.push_back(std::move(item));
  } while (Accept(TokenKind::kComma));

  if (!Accept("FROM")) {
    if (Peek().kind == TokenKind::kEnd) {
      return SqlError(sql_, SpanOf(Peek()), "unexpected end of input: expected FROM",
                      "sluice reads one stream: SELECT ... FROM logs");
    }
    return Unexpected(Peek(), "',' or FROM after the select list");
  }
  const Token& table = Next();
  if (table.kind == TokenKind::kLParen) {
    return NotSupported(table, "subqueries in FROM", "sluice runs one SELECT over one stream");
  }
  if (table.kind != TokenKind::kIdent && table.kind != TokenKind::kQuotedIdent) {
    --pos_;
    return Unexpected(table, "a stream name after FROM");
  }
  if (IsReserved(table)) {
    --pos_;
    return Unexpected(table, "a stream name after FROM");
  }
  s.table = table.kind == TokenKind::kIdent ? std::string(table.text) : table.value;
  while (Accept(TokenKind::kDot)) s.table += "." + std::string(Next().text);
  s.table_span = Through(table.span);
  if (Accept("AS") || Peek().kind == TokenKind::kQuotedIdent ||
      (Peek().kind == TokenKind::kIdent && !IsReserved(Peek()) &&
       (Peek(1).kind == TokenKind::kEnd || Peek(1).kind == TokenKind::kSemicolon ||
        IsReserved(Peek(1))))) {
    const Token& alias = Next();
    if (alias.kind != TokenKind::kIdent && alias.kind != TokenKind::kQuotedIdent) {
      --pos_;
      return Unexpected(alias, "a name for the stream");
    }
    s.table_alias = alias.kind == TokenKind::kIdent ? std::string(alias.text) : alias.value;
  }
  if (Status st = ClauseRejections(); !st.ok()) return st;

  if (Accept("WHERE")) {
    SLUICE_ASSIGN_OR_RETURN(s.where, Expression());
  }
  if (Accept("GROUP")) {
    if (Status st = ExpectKeyword("BY"); !st.ok()) return st;
    do {
      AstPtr key;
      SLUICE_ASSIGN_OR_RETURN(key, Expression());
      s.group_by.push_back(std::move(key));
    } while (Accept(TokenKind::kComma));
  }
  if (Accept("HAVING")) {
    SLUICE_ASSIGN_OR_RETURN(s.having, Expression());
  }
  if (Accept("ORDER")) {
    if (Status st = ExpectKeyword("BY"); !st.ok()) return st;
    do {
      OrderItem item;
      SLUICE_ASSIGN_OR_RETURN(item.expr, Expression());
      if (Accept("DESC"))
        item.descending = true;
      else
        Accept("ASC");
      if (Peek().Is("NULLS"))
        return NotSupported(Peek(), "NULLS FIRST/LAST",
                            "NULLs sort first ascending, last descending");
      s.order_by.push_back(std::move(item));
    } while (Accept(TokenKind::kComma));
  }
  if (Accept("LIMIT")) {
    const Token& n = Next();
    int64_t limit = -1;
    if (n.kind == TokenKind::kInteger)
      std::from_chars(n.text.data(), n.text.data() + n.text.size(), limit);
    if (limit < 0) {
      --pos_;
      return Error(n, "LIMIT needs a whole number of rows", "e.g. LIMIT 10");
    }
    s.limit = limit;
  }
  if (Status st = ClauseRejections(); !st.ok()) return st;
  Accept(TokenKind::kSemicolon);
  if (Peek().kind != TokenKind::kEnd) {
    if (Peek().kind == TokenKind::kIdent && !s.where &&
        EqualsIgnoreCase(ClosestMatch(Peek().text, {"WHERE"}), "WHERE")) {
      return Error(Peek(), "unexpected '" + std::string(Peek().text) + "'", "did you mean WHERE?");
    }
    std::string_view close =
        Peek().kind == TokenKind::kIdent
            ? ClosestMatch(Peek().text, {"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT"})
            : std::string_view();
    return Error(Peek(), "unexpected '" + std::string(Peek().text) + "'",
                 close.empty() ? "a query ends after LIMIT or ';'"
                               : "did you mean " + std::string(close) + "?");
  }
  return s;
}

}  // namespace

Result<SelectStatement> ParseSelect(std::string_view sql) {
  auto tokens = Tokenize(sql);
  if (!tokens.ok()) return tokens.status();
  Parser p(sql, std::move(tokens).value());
  return p.Statement();
}

Result<AstPtr> ParseExpression(std::string_view sql) {
  auto tokens = Tokenize(sql);
  if (!tokens.ok()) return tokens.status();
  Parser p(sql, std::move(tokens).value());
  return p.ExpressionOnly();
}

std::optional<Type> ParseTypeName(std::string_view name) {
  struct T {
    std::string_view name;
    Type type;
  };
  static constexpr T kTypes[] = {
      {"BIGINT", Type::kInt64},   {"INT", Type::kInt64},          {"INTEGER", Type::kInt64},
      {"LONG", Type::kInt64},     {"SMALLINT", Type::kInt64},     {"TINYINT", Type::kInt64},
      {"DOUBLE", Type::kDouble},  {"FLOAT", Type::kDouble},       {"REAL", Type::kDouble},
      {"DECIMAL", Type::kDouble}, {"STRING", Type::kString},      {"VARCHAR", Type::kString},
      {"CHAR", Type::kString},    {"TEXT", Type::kString},        {"BOOLEAN", Type::kBool},
      {"BOOL", Type::kBool},      {"TIMESTAMP", Type::kTimestamp}};
  for (const T& t : kTypes)
    if (EqualsIgnoreCase(name, t.name)) return t.type;
  return std::nullopt;
}

}  // namespace sluice
