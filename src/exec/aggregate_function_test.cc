#include "exec/aggregate_function.h"

#include <gtest/gtest.h>

#include <bit>
#include <memory>
#include <string>
#include <vector>

namespace sluice {
namespace {

// One aggregate and the input it is tested on.
struct Case {
  const char* name;
  AggKind kind;
  Type arg_type;  // kNull for count(*)
  Type result_type;
  std::vector<Value> input;
};

AggCall CallOf(const Case& c) {
  AggCall call;
  call.kind = c.kind;
  call.result_type = c.result_type;
  if (c.arg_type != Type::kNull) {
    call.arg = std::make_unique<Expr>();
    call.arg->kind = ExprKind::kColumn;
    call.arg->slot = 0;
    call.arg->type = c.arg_type;
  }
  return call;
}

std::string Text(const OwnedValue& v) {
  switch (v.type) {
    case Type::kNull:
      return "NULL";
    case Type::kBool:
      return v.b ? "true" : "false";
    case Type::kInt64:
      return "i" + std::to_string(v.i);
    case Type::kTimestamp:
      return "t" + std::to_string(v.i);
    case Type::kDouble:
      return "d" + std::to_string(std::bit_cast<uint64_t>(v.d));
    case Type::kString:
      return "'" + v.s + "'";
  }
  return "?";
}

// Everything an accumulator holds, so two states compare field by field.
std::string StateText(const Accumulator& a) {
  return std::to_string(a.count) + "/" + std::to_string(a.isum) + "/" +
         std::to_string(std::bit_cast<uint64_t>(a.dsum)) + "/" +
         (a.count > 0 ? Text(a.extreme) : std::string("-"));
}

Accumulator Over(const AggregateFunction& f, const std::vector<Value>& in, size_t from, size_t to) {
  Accumulator acc;
  f.initialize(acc);
  for (size_t i = from; i < to; ++i) f.update(acc, in[i]);
  return acc;
}

// Doubles are multiples of 1/16 well inside 2^53, so every order of addition is exact and a
// combined sum equals the sum of the whole input bit for bit.
std::vector<Case> Cases() {
  const std::vector<Value> ints = {Value::Int(5),  Value::Null(),         Value::Int(-7),
                                   Value::Int(42), Value::Int(-7),        Value::Null(),
                                   Value::Int(0),  Value::Int(INT64_MAX), Value::Int(3)};
  const std::vector<Value> doubles = {Value::Double(1.5), Value::Double(-0.0625), Value::Null(),
                                      Value::Double(1e6), Value::Double(-2.25),   Value::Double(7),
                                      Value::Null(),      Value::Double(0.125)};
  const std::vector<Value> strings = {
      Value::String("m"), Value::String(""),         Value::Null(),     Value::String("zz"),
      Value::String("a"), Value::String("\xC3\xA9"), Value::String("m")};
  const std::vector<Value> times = {Value::Timestamp(1'768'142'570'000), Value::Null(),
                                    Value::Timestamp(-5), Value::Timestamp(1'768'142'580'001)};
  const std::vector<Value> bools = {Value::Bool(true), Value::Null(), Value::Bool(false)};
  const std::vector<Value> nulls = {Value::Null(), Value::Null(), Value::Null()};
  return {
      {"count(*)", AggKind::kCountStar, Type::kNull, Type::kInt64, ints},
      {"count(x)", AggKind::kCount, Type::kInt64, Type::kInt64, ints},
      {"count(string)", AggKind::kCount, Type::kString, Type::kInt64, strings},
      {"count(null)", AggKind::kCount, Type::kInt64, Type::kInt64, nulls},
      {"sum(bigint)", AggKind::kSum, Type::kInt64, Type::kInt64, ints},
      {"sum(double)", AggKind::kSum, Type::kDouble, Type::kDouble, doubles},
      {"sum(null)", AggKind::kSum, Type::kDouble, Type::kDouble, nulls},
      {"avg(bigint)", AggKind::kAvg, Type::kInt64, Type::kDouble, ints},
      {"avg(double)", AggKind::kAvg, Type::kDouble, Type::kDouble, doubles},
      {"min(bigint)", AggKind::kMin, Type::kInt64, Type::kInt64, ints},
      {"max(bigint)", AggKind::kMax, Type::kInt64, Type::kInt64, ints},
      {"min(double)", AggKind::kMin, Type::kDouble, Type::kDouble, doubles},
      {"max(double)", AggKind::kMax, Type::kDouble, Type::kDouble, doubles},
      {"min(string)", AggKind::kMin, Type::kString, Type::kString, strings},
      {"max(string)", AggKind::kMax, Type::kString, Type::kString, strings},
      {"min(timestamp)", AggKind::kMin, Type::kTimestamp, Type::kTimestamp, times},
      {"max(timestamp)", AggKind::kMax, Type::kTimestamp, Type::kTimestamp, times},
      {"min(boolean)", AggKind::kMin, Type::kBool, Type::kBool, bools},
      {"max(boolean)", AggKind::kMax, Type::kBool, Type::kBool, bools},
      {"min(null)", AggKind::kMin, Type::kInt64, Type::kInt64, nulls},
  };
}

TEST(AggregateFunctionTest, CombiningPartsOfASplitInputEqualsTheWholeInput) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    const AggregateFunction& f = AggregateFunctionFor(c.kind);
    const AggCall call = CallOf(c);
    const size_t n = c.input.size();
    const Accumulator whole = Over(f, c.input, 0, n);
    for (size_t split = 0; split <= n; ++split) {
      Accumulator left = Over(f, c.input, 0, split);
      const Accumulator right = Over(f, c.input, split, n);
      f.combine(left, right);
      EXPECT_EQ(StateText(left), StateText(whole)) << "split at " << split;
      EXPECT_EQ(Text(f.finalize(call, left)), Text(f.finalize(call, whole)))
          << "split at " << split;
    }
  }
}

TEST(AggregateFunctionTest, CombiningThreePartsInEitherGroupingIsTheSame) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    const AggregateFunction& f = AggregateFunctionFor(c.kind);
    const size_t n = c.input.size();
    const size_t a = n / 3, b = 2 * n / 3;
    Accumulator left_first = Over(f, c.input, 0, a);  // (x + y) + z
    f.combine(left_first, Over(f, c.input, a, b));
    f.combine(left_first, Over(f, c.input, b, n));
    Accumulator right_first = Over(f, c.input, a, b);  // x + (y + z)
    f.combine(right_first, Over(f, c.input, b, n));
    Accumulator x = Over(f, c.input, 0, a);
    f.combine(x, right_first);
    EXPECT_EQ(StateText(left_first), StateText(x));
    EXPECT_EQ(StateText(x), StateText(Over(f, c.input, 0, n)));
  }
}

TEST(AggregateFunctionTest, FinalizedResultsAreTheSqlAnswers) {
  std::vector<std::string> got;
  for (const Case& c : Cases()) {
    const AggregateFunction& f = AggregateFunctionFor(c.kind);
    got.push_back(std::string(c.name) + "=" +
                  Text(f.finalize(CallOf(c), Over(f, c.input, 0, c.input.size()))));
  }
  const int64_t wrapped = static_cast<int64_t>(uint64_t{INT64_MAX} + 36);  // 5-7+42-7+0+3 = 36
  const std::vector<std::string> want = {
      "count(*)=i9",
      "count(x)=i7",
      "count(string)=i6",
      "count(null)=i0",
      "sum(bigint)=i" + std::to_string(wrapped),
      "sum(double)=d" + std::to_string(std::bit_cast<uint64_t>(1e6 + 6.3125)),
      "sum(null)=NULL",
      "avg(bigint)=d" + std::to_string(std::bit_cast<uint64_t>(static_cast<double>(wrapped) / 7)),
      "avg(double)=d" + std::to_string(std::bit_cast<uint64_t>((1e6 + 6.3125) / 6)),
      "min(bigint)=i-7",
      "max(bigint)=i" + std::to_string(INT64_MAX),
      "min(double)=d" + std::to_string(std::bit_cast<uint64_t>(-2.25)),
      "max(double)=d" + std::to_string(std::bit_cast<uint64_t>(1e6)),
      "min(string)=''",
      "max(string)='\xC3\xA9'",
      "min(timestamp)=t-5",
      "max(timestamp)=t1768142580001",
      "min(boolean)=false",
      "max(boolean)=true",
      "min(null)=NULL",
  };
  EXPECT_EQ(got, want);
}

TEST(AggregateFunctionTest, CombiningAnEmptyStateChangesNothing) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    const AggregateFunction& f = AggregateFunctionFor(c.kind);
    const Accumulator whole = Over(f, c.input, 0, c.input.size());
    Accumulator into = whole;
    f.combine(into, Over(f, c.input, 0, 0));
    EXPECT_EQ(StateText(into), StateText(whole));
    Accumulator empty = Over(f, c.input, 0, 0);
    f.combine(empty, whole);
    EXPECT_EQ(StateText(empty), StateText(whole));
  }
}

TEST(AggregateFunctionTest, SerializedStatesRoundTripAtEveryPrefixOfTheInput) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    const AggregateFunction& f = AggregateFunctionFor(c.kind);
    for (size_t k = 0; k <= c.input.size(); ++k) {
      const Accumulator acc = Over(f, c.input, 0, k);
      std::string bytes;
      ByteWriter w(bytes);
      f.serialize(acc, w);
      ByteReader r(bytes);
      Accumulator back;
      f.initialize(back);
      ASSERT_TRUE(f.deserialize(back, r));
      EXPECT_TRUE(r.at_end());
      EXPECT_EQ(StateText(back), StateText(acc));
      // The restored state goes on like the original.
      Accumulator more = back;
      Accumulator orig = acc;
      for (size_t i = k; i < c.input.size(); ++i) {
        f.update(more, c.input[i]);
        f.update(orig, c.input[i]);
      }
      EXPECT_EQ(StateText(more), StateText(orig));
    }
  }
}

TEST(AggregateFunctionTest, TruncatedSerializedStatesAreRefused) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    const AggregateFunction& f = AggregateFunctionFor(c.kind);
    std::string bytes;
    ByteWriter w(bytes);
    f.serialize(Over(f, c.input, 0, c.input.size()), w);
    for (size_t len = 0; len < bytes.size(); ++len) {
      ByteReader r(std::string_view(bytes).substr(0, len));
      Accumulator back;
      EXPECT_FALSE(f.deserialize(back, r)) << "prefix of " << len;
    }
  }
}

TEST(AggregateFunctionTest, NegativeCountIsRefused) {
  for (AggKind kind : {AggKind::kCountStar, AggKind::kCount, AggKind::kSum, AggKind::kAvg,
                       AggKind::kMin, AggKind::kMax}) {
    std::string bytes;
    ByteWriter w(bytes);
    w.I64(-1);
    w.I64(0);
    w.F64(0);
    ByteReader r(bytes);
    Accumulator acc;
    EXPECT_FALSE(AggregateFunctionFor(kind).deserialize(acc, r)) << static_cast<int>(kind);
  }
}

}  // namespace
}  // namespace sluice
