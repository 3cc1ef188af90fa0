// Value: one scalar of a row, as the expression evaluator and the sinks see it.
// Strings are borrowed (string_view): whoever builds a Value keeps the bytes alive for as long
// as the Value is used (the JSON parser's buffer for one record, an Arena, or a literal's owner).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

enum class Type : uint8_t { kNull, kBool, kInt64, kDouble, kString, kTimestamp };

// SQL name of a type, for messages and EXPLAIN: BIGINT, DOUBLE, STRING, BOOLEAN, TIMESTAMP.
std::string_view TypeName(Type t);

struct Value {
  Type type = Type::kNull;
  union {
    bool b;
    int64_t i;  // kInt64, and kTimestamp as epoch milliseconds
    double d;
  };
  std::string_view s;

  Value() : i(0) {}
  static Value Null() { return Value(); }
  static Value Bool(bool v) {
    Value x;
    x.type = Type::kBool;
    x.b = v;
    return x;
  }
  static Value Int(int64_t v) {
    Value x;
    x.type = Type::kInt64;
    x.i = v;
    return x;
  }
  static Value Double(double v) {
    Value x;
    x.type = Type::kDouble;
    x.d = v;
    return x;
  }
  static Value Timestamp(int64_t ms) {
    Value x;
    x.type = Type::kTimestamp;
    x.i = ms;
    return x;
  }
  static Value String(std::string_view v) {
    Value x;
    x.type = Type::kString;
    x.s = v;
    return x;
  }

  bool is_null() const { return type == Type::kNull; }
};

// A Value that owns its string: for literals, group keys and aggregate results kept in state.
struct OwnedValue {
  Type type = Type::kNull;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string s;

  OwnedValue() = default;
  explicit OwnedValue(const Value& v) : type(v.type), s(v.s) {
    if (type == Type::kBool)
      b = v.b;
    else if (type == Type::kDouble)
      d = v.d;
    else
      i = v.i;
  }
  Value view() const {
    Value v;
    v.type = type;
    if (type == Type::kBool)
      v.b = b;
    else if (type == Type::kDouble)
      v.d = d;
    else
      v.i = i;
    v.s = s;
    return v;
  }
};

// The values of `row` into `out` (cleared first), for what reads a row as values (the evaluator,
// a RowFormatter); they point into `row`.
inline void ViewRow(const std::vector<OwnedValue>& row, std::vector<Value>& out) {
  out.clear();
  for (const OwnedValue& v : row) out.push_back(v.view());
}

}  // namespace sluice
