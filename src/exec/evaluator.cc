#include "exec/evaluator.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "common/ascii.h"
#include "common/time_format.h"
#include "exec/like.h"
#include "format/json_writer.h"

namespace sluice {
namespace {

inline bool IsNumber(Type t) { return t == Type::kInt64 || t == Type::kDouble; }
inline double AsDouble(const Value& v) {
  return v.type == Type::kDouble ? v.d : static_cast<double>(v.i);
}

int CompareDoubles(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) ? (std::isnan(b) ? 0 : 1) : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view TrimAsciiSpace(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCaseAscii(std::string_view a, std::string_view lower) {
  return a.size() == lower.size() && EqualsFoldedAscii(a.data(), lower.data(), a.size());
}

// Spark's string to number: surrounding spaces allowed; an integer cast accepts "1.9" as 1.
Value StringToInt(std::string_view s) {
  s = TrimAsciiSpace(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int64_t i = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), i);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty()) return Value::Int(i);
  double d = 0;
  auto rd = std::from_chars(s.data(), s.data() + s.size(), d);
  if (rd.ec != std::errc() || rd.ptr != s.data() + s.size() || std::isnan(d) || std::isinf(d))
    return Value::Null();
  if (d >= 9.2233720368547758e18 || d < -9.2233720368547758e18) return Value::Null();
  return Value::Int(static_cast<int64_t>(d));
}

Value StringToDouble(std::string_view s) {
  s = TrimAsciiSpace(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double d = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty()) return Value::Null();
  return Value::Double(d);
}

Value StringToBool(std::string_view s) {
  s = TrimAsciiSpace(s);
  for (std::string_view t : {"true", "t", "yes", "y", "1"})
    if (EqualsIgnoreCaseAscii(s, t)) return Value::Bool(true);
  for (std::string_view f : {"false", "f", "no", "n", "0"})
    if (EqualsIgnoreCaseAscii(s, f)) return Value::Bool(false);
  return Value::Null();
}

Value DoubleToInt(double d) {
  if (std::isnan(d) || d >= 9.2233720368547758e18 || d < -9.2233720368547758e18)
    return Value::Null();
  return Value::Int(static_cast<int64_t>(d));
}

// Spark's spelling of a double ("1.0", "1.0E10", "NaN"), the same as the console and JSON show.
std::string_view DoubleToString(double d, Arena& arena) {
  thread_local std::string buffer;  // reused: no allocation once warm
  buffer.clear();
  AppendDouble(buffer, d);
  return arena.Copy(buffer);
}

// ASCII-only case mapping; returns the input itself when nothing changes (the common case for
// lower() over lower-case data), so no copy is made.
std::string_view MapAscii(std::string_view s, bool to_upper, Arena& arena) {
  const char lo = to_upper ? 'a' : 'A';
  size_t i = 0;
  while (i < s.size() && !(s[i] >= lo && s[i] <= lo + 25)) ++i;
  if (i == s.size()) return s;
  char* out = arena.Allocate(s.size());
  std::memcpy(out, s.data(), s.size());
  for (; i < s.size(); ++i)
    if (out[i] >= lo && out[i] <= lo + 25) out[i] = static_cast<char>(out[i] ^ 0x20);
  return {out, s.size()};
}

int64_t CharCount(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Byte offset of character `chars` in s (s.size() if past the end).
size_t ByteOffsetOfChar(std::string_view s, int64_t chars) {
  size_t i = 0;
  while (i < s.size() && chars > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    --chars;
  }
  return i;
}

// Spark's substring(s, pos[, len]): 1-based; pos 0 acts as 1; a negative pos counts from the end.
std::string_view Substring(std::string_view s, int64_t pos, int64_t len) {
  int64_t n = CharCount(s);
  int64_t start = pos > 0 ? pos - 1 : pos < 0 ? n + pos : 0;
  int64_t end = len > std::numeric_limits<int64_t>::max() - std::max<int64_t>(start, 0)
                    ? std::numeric_limits<int64_t>::max()
                    : start + len;
  start = std::max<int64_t>(start, 0);
  if (start >= end || start >= n) return {};
  end = std::min(end, n);
  size_t b = ByteOffsetOfChar(s, start);
  size_t e = ByteOffsetOfChar(s, end);
  return s.substr(b, e - b);
}

Value EvaluateFunction(const Expr& e, const Value* row, Arena& arena) {
  switch (e.function) {
    case Function::kCoalesce:
      for (const ExprPtr& a : e.args) {
        Value v = Evaluate(*a, row, arena);
        if (!v.is_null()) return v;
      }
      return Value::Null();
    case Function::kConcat: {
      // Evaluate every argument first: NULL anywhere makes NULL; then one allocation.
      Value parts[8];
      const size_t n = e.args.size();
      if (n > 8) {
        std::string joined;
        for (const ExprPtr& a : e.args) {
          Value v = Evaluate(*a, row, arena);
          if (v.is_null()) return Value::Null();
          joined.append(v.s);
        }
        return Value::String(arena.Copy(joined));
      }
      size_t total = 0;
      for (size_t i = 0; i < n; ++i) {
        parts[i] = Evaluate(*e.args[i], row, arena);
        if (parts[i].is_null()) return Value::Null();
        total += parts[i].s.size();
      }
      char* out = arena.Allocate(total);
      size_t at = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!parts[i].s.empty()) std::memcpy(out + at, parts[i].s.data(), parts[i].s.size());
        at += parts[i].s.size();
      }
      return Value::String({out, total});
    }
    default:
      break;
  }
  Value a = Evaluate(*e.args[0], row, arena);
  if (a.is_null()) return Value::Null();
  switch (e.function) {
    case Function::kLower:
      return Value::String(MapAscii(a.s, false, arena));
    case Function::kUpper:
      return Value::String(MapAscii(a.s, true, arena));
    case Function::kLength:
      return Value::Int(CharCount(a.s));
    case Function::kTrim: {
      std::string_view s = a.s;
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      return Value::String(s);
    }
    case Function::kAbs:
      if (a.type == Type::kDouble) return Value::Double(std::fabs(a.d));
      return Value::Int(a.i < 0 ? static_cast<int64_t>(0 - static_cast<uint64_t>(a.i)) : a.i);
    case Function::kContains:
    case Function::kStartsWith:
    case Function::kEndsWith: {
      Value b = Evaluate(*e.args[1], row, arena);
      if (b.is_null()) return Value::Null();
      if (e.function == Function::kContains)
        return Value::Bool(a.s.find(b.s) != std::string_view::npos);
      if (a.s.size() < b.s.size()) return Value::Bool(false);
      if (e.function == Function::kStartsWith) return Value::Bool(a.s.substr(0, b.s.size()) == b.s);
      return Value::Bool(a.s.substr(a.s.size() - b.s.size()) == b.s);
    }
    case Function::kSubstring: {
      Value pos = Evaluate(*e.args[1], row, arena);
      if (pos.is_null()) return Value::Null();
      int64_t len = std::numeric_limits<int64_t>::max();
      if (e.args.size() > 2) {
        Value l = Evaluate(*e.args[2], row, arena);
        if (l.is_null()) return Value::Null();
        len = l.i;
      }
      return Value::String(Substring(a.s, pos.i, len));
    }
    default:
      return Value::Null();
  }
}

Value EvaluateArith(const Expr& e, const Value& l, const Value& r) {
  if (l.type == Type::kInt64 && r.type == Type::kInt64 && e.arith_op != ArithOp::kDiv) {
    // Unsigned arithmetic wraps without undefined behaviour, as Spark's non-ANSI mode does.
    auto a = static_cast<uint64_t>(l.i), b = static_cast<uint64_t>(r.i);
    switch (e.arith_op) {
      case ArithOp::kAdd:
        return Value::Int(static_cast<int64_t>(a + b));
      case ArithOp::kSub:
        return Value::Int(static_cast<int64_t>(a - b));
      case ArithOp::kMul:
        return Value::Int(static_cast<int64_t>(a * b));
      case ArithOp::kMod:
        if (r.i == 0) return Value::Null();
        if (r.i == -1) return Value::Int(0);  // INT64_MIN % -1 would trap
        return Value::Int(l.i % r.i);
      default:
        break;
    }
  }
  double a = AsDouble(l), b = AsDouble(r);
  switch (e.arith_op) {
    case ArithOp::kAdd:
      return Value::Double(a + b);
    case ArithOp::kSub:
      return Value::Double(a - b);
    case ArithOp::kMul:
      return Value::Double(a * b);
    case ArithOp::kDiv:
      return b == 0 ? Value::Null() : Value::Double(a / b);
    case ArithOp::kMod:
      return b == 0 ? Value::Null() : Value::Double(std::fmod(a, b));
  }
  return Value::Null();
}

bool ApplyCompare(CompareOp op, int c) {
  switch (op) {
    case CompareOp::kEq:
      return c == 0;
    case CompareOp::kNe:
      return c != 0;
    case CompareOp::kLt:
      return c < 0;
    case CompareOp::kLe:
      return c <= 0;
    case CompareOp::kGt:
      return c > 0;
    case CompareOp::kGe:
      return c >= 0;
  }
  return false;
}

}  // namespace

int CompareValues(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() ? (b.is_null() ? 0 : -1) : 1;
  if (a.type != b.type && IsNumber(a.type) && IsNumber(b.type))
    return CompareDoubles(AsDouble(a), AsDouble(b));
  switch (a.type) {
    case Type::kBool:
      return static_cast<int>(a.b) - static_cast<int>(b.b);
    case Type::kDouble:
      return CompareDoubles(a.d, b.d);
    case Type::kString: {
      int c = a.s.compare(b.s);
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    default:
      return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  }
}

Value CastValue(const Value& v, Type to, Arena& arena) {
  if (v.is_null() || v.type == to) return v;
  switch (to) {
    case Type::kString:
      switch (v.type) {
        case Type::kBool:
          return Value::String(v.b ? "true" : "false");
        case Type::kInt64: {
          char buf[24];
          auto r = std::to_chars(buf, buf + sizeof buf, v.i);
          return Value::String(arena.Copy({buf, static_cast<size_t>(r.ptr - buf)}));
        }
        case Type::kDouble:
          return Value::String(DoubleToString(v.d, arena));
        case Type::kTimestamp: {
          thread_local std::string buffer;  // reused: no allocation once warm
          buffer.clear();
          AppendTimestamp(buffer, v.i, TimeZone::Utc());
          return Value::String(arena.Copy(buffer));
        }
        default:
          return Value::Null();
      }
    case Type::kInt64:
      switch (v.type) {
        case Type::kBool:
          return Value::Int(v.b ? 1 : 0);
        case Type::kDouble:
          return DoubleToInt(v.d);
        case Type::kString:
          return StringToInt(v.s);
        case Type::kTimestamp:  // Spark: seconds since the epoch, rounded down
          return Value::Int(v.i >= 0 ? v.i / 1000 : -((-v.i + 999) / 1000));
        default:
          return Value::Null();
      }
    case Type::kDouble:
      switch (v.type) {
        case Type::kBool:
          return Value::Double(v.b ? 1 : 0);
        case Type::kInt64:
          return Value::Double(static_cast<double>(v.i));
        case Type::kString:
          return StringToDouble(v.s);
        case Type::kTimestamp:
          return Value::Double(static_cast<double>(v.i) / 1000.0);
        default:
          return Value::Null();
      }
    case Type::kBool:
      switch (v.type) {
        case Type::kInt64:
          return Value::Bool(v.i != 0);
        case Type::kDouble:
          return Value::Bool(v.d != 0);
        case Type::kString:
          return StringToBool(v.s);
        default:
          return Value::Null();
      }
    case Type::kTimestamp:
      switch (v.type) {
        case Type::kInt64:
          return Value::Timestamp(v.i * 1000);  // Spark: seconds since the epoch
        case Type::kDouble:
          if (std::isnan(v.d) || std::fabs(v.d) > 9.2e15) return Value::Null();
          return Value::Timestamp(static_cast<int64_t>(std::floor(v.d * 1000.0)));
        case Type::kString: {
          std::string_view s = TrimAsciiSpace(v.s);
          // Only dates and times: a bare number is not a time string.
          if (s.empty() || s.find('-') == std::string_view::npos) return Value::Null();
          Result<int64_t> ms = ParseTimestampMs(s);
          return ms.ok() ? Value::Timestamp(*ms) : Value::Null();
        }
        default:
          return Value::Null();
      }
    case Type::kNull:
      return Value::Null();
  }
  return Value::Null();
}

Value Evaluate(const Expr& e, const Value* row, Arena& arena) {
  switch (e.kind) {
    case ExprKind::kColumn:
      return row[e.slot];
    case ExprKind::kLiteral:
      return e.literal.view();
    case ExprKind::kNot: {
      Value v = Evaluate(*e.args[0], row, arena);
      return v.is_null() ? v : Value::Bool(!v.b);
    }
    case ExprKind::kNegate: {
      Value v = Evaluate(*e.args[0], row, arena);
      if (v.type == Type::kDouble) return Value::Double(-v.d);
      if (v.type == Type::kInt64)
        return Value::Int(static_cast<int64_t>(0 - static_cast<uint64_t>(v.i)));
      return Value::Null();
    }
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      // Three-valued: a FALSE (for AND; TRUE for OR) decides, else any NULL makes NULL.
      const bool decisive = e.kind == ExprKind::kOr;
      bool saw_null = false;
      for (const ExprPtr& a : e.args) {
        Value v = Evaluate(*a, row, arena);
        if (v.is_null())
          saw_null = true;
        else if (v.b == decisive)
          return Value::Bool(decisive);
      }
      return saw_null ? Value::Null() : Value::Bool(!decisive);
    }
    case ExprKind::kCompare: {
      Value l = Evaluate(*e.args[0], row, arena);
      if (l.is_null()) return l;
      Value r = Evaluate(*e.args[1], row, arena);
      if (r.is_null()) return r;
      return Value::Bool(ApplyCompare(e.compare_op, CompareValues(l, r)));
    }
    case ExprKind::kArith: {
      Value l = Evaluate(*e.args[0], row, arena);
      if (l.is_null()) return l;
      Value r = Evaluate(*e.args[1], row, arena);
      if (r.is_null()) return r;
      return EvaluateArith(e, l, r);
    }
    case ExprKind::kIn: {
      Value x = Evaluate(*e.args[0], row, arena);
      if (x.is_null()) return x;
      bool saw_null = false;
      for (size_t i = 1; i < e.args.size(); ++i) {
        Value v = Evaluate(*e.args[i], row, arena);
        if (v.is_null())
          saw_null = true;
        else if (CompareValues(x, v) == 0)
          return Value::Bool(!e.negated);
      }
      return saw_null ? Value::Null() : Value::Bool(e.negated);
    }
    case ExprKind::kLike: {
      Value v = Evaluate(*e.args[0], row, arena);
      if (v.is_null()) return v;
      return Value::Bool(MatchLike(e, v.s) != e.negated);
    }
    case ExprKind::kIsNull: {
      Value v = Evaluate(*e.args[0], row, arena);
      return Value::Bool(v.is_null() != e.negated);
    }
    case ExprKind::kFunction:
      return EvaluateFunction(e, row, arena);
    case ExprKind::kCast:
      return CastValue(Evaluate(*e.args[0], row, arena), e.type, arena);
    case ExprKind::kCase: {
      const size_t pairs = (e.args.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; ++i) {
        Value c = Evaluate(*e.args[2 * i], row, arena);
        if (c.type == Type::kBool && c.b) return Evaluate(*e.args[2 * i + 1], row, arena);
      }
      return e.has_else ? Evaluate(*e.args.back(), row, arena) : Value::Null();
    }
  }
  return Value::Null();
}

bool EvaluatePredicate(const Expr& e, const Value* row, Arena& arena) {
  switch (e.kind) {
    // TRUE only if every conjunct is TRUE (any TRUE disjunct): no NULL bookkeeping needed.
    case ExprKind::kAnd:
      for (const ExprPtr& a : e.args)
        if (!EvaluatePredicate(*a, row, arena)) return false;
      return true;
    case ExprKind::kOr:
      for (const ExprPtr& a : e.args)
        if (EvaluatePredicate(*a, row, arena)) return true;
      return false;
    case ExprKind::kLike: {
      const Expr& arg = *e.args[0];
      Value v = arg.kind == ExprKind::kColumn ? row[arg.slot] : Evaluate(arg, row, arena);
      return !v.is_null() && MatchLike(e, v.s) != e.negated;
    }
    case ExprKind::kIn: {
      // severity IN ('High', 'Critical'): compare the bytes against the literals directly.
      const Expr& arg = *e.args[0];
      Value x = arg.kind == ExprKind::kColumn ? row[arg.slot] : Evaluate(arg, row, arena);
      if (x.type != Type::kString) break;
      bool saw_null = false;
      for (size_t i = 1; i < e.args.size(); ++i) {
        const Expr& item = *e.args[i];
        if (item.kind != ExprKind::kLiteral) {
          Value v = Evaluate(item, row, arena);
          if (v.is_null())
            saw_null = true;
          else if (v.s == x.s)
            return !e.negated;
        } else if (item.literal.type == Type::kNull) {
          saw_null = true;
        } else if (item.literal.type != Type::kString) {
          if (CompareValues(x, item.literal.view()) == 0) return !e.negated;
        } else if (std::string_view(item.literal.s) == x.s) {
          return !e.negated;
        }
      }
      return e.negated && !saw_null;
    }
    default:
      break;
  }
  {
    Value v = Evaluate(e, row, arena);
    return v.type == Type::kBool && v.b;
  }
}

}  // namespace sluice
