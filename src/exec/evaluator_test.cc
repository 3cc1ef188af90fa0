#include "exec/evaluator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "sql/binder.h"
#include "sql/schema_parser.h"

namespace sluice {
namespace {

// Binds `SELECT <expr> FROM t` over a small schema and evaluates it on one fixed record:
// s = 'Hello', i = 7, d = 2.5, b = true, num = ' 42 ', n = NULL (a STRING), z = 0.
class EvaluatorTest : public ::testing::Test {
 protected:
  Value Eval(std::string_view expr) {
    BindOptions options;
    options.schema =
        ParseSchema("s STRING, i BIGINT, d DOUBLE, b BOOLEAN, num STRING, n STRING, z BIGINT")
            .value();
    auto q = CompileQuery("SELECT " + std::string(expr) + " FROM t", options);
    EXPECT_TRUE(q.ok()) << q.status().message();
    if (!q.ok()) return Value::Null();
    query_ = std::move(q).value();
    std::map<std::string, Value> record = {
        {"s", Value::String("Hello")}, {"i", Value::Int(7)},           {"d", Value::Double(2.5)},
        {"b", Value::Bool(true)},      {"num", Value::String(" 42 ")}, {"n", Value::Null()},
        {"z", Value::Int(0)}};
    row_.clear();
    for (const Field& f : query_.input_fields) row_.push_back(record.at(f.name));
    return Evaluate(*query_.select[0].expr, row_.data(), arena_);
  }
  bool Pred(std::string_view expr) {
    Eval(expr);
    return EvaluatePredicate(*query_.select[0].expr, row_.data(), arena_);
  }
  std::string Str(std::string_view expr) {
    Value v = Eval(expr);
    EXPECT_EQ(v.type, Type::kString) << expr;
    return std::string(v.s);
  }
  int64_t Int(std::string_view expr) {
    Value v = Eval(expr);
    EXPECT_EQ(v.type, Type::kInt64) << expr;
    return v.i;
  }
  double Dbl(std::string_view expr) {
    Value v = Eval(expr);
    EXPECT_EQ(v.type, Type::kDouble) << expr;
    return v.d;
  }
  bool IsNull(std::string_view expr) { return Eval(expr).is_null(); }
  // TRUE, FALSE or NULL as 1, 0, -1.
  int Tri(std::string_view expr) {
    Value v = Eval(expr);
    if (v.is_null()) return -1;
    EXPECT_EQ(v.type, Type::kBool) << expr;
    return v.b ? 1 : 0;
  }

  BoundQuery query_;
  std::vector<Value> row_;
  Arena arena_;
};

TEST_F(EvaluatorTest, ThreeValuedLogic) {
  EXPECT_EQ(Tri("NULL AND false"), 0);
  EXPECT_EQ(Tri("NULL AND true"), -1);
  EXPECT_EQ(Tri("NULL OR true"), 1);
  EXPECT_EQ(Tri("NULL OR false"), -1);
  EXPECT_EQ(Tri("NOT (n = 'x')"), -1);
  EXPECT_EQ(Tri("b AND i > 3"), 1);
  EXPECT_EQ(Tri("n IS NULL"), 1);
  EXPECT_EQ(Tri("s IS NOT NULL"), 1);
}

TEST_F(EvaluatorTest, PredicateRejectsNullAndFalse) {
  EXPECT_FALSE(Pred("n = 'x'"));
  EXPECT_FALSE(Pred("NOT (n = 'x')"));
  EXPECT_FALSE(Pred("i < 3"));
  EXPECT_TRUE(Pred("i > 3 AND s = 'Hello'"));
  EXPECT_TRUE(Pred("n = 'x' OR i = 7"));
  EXPECT_FALSE(Pred("n = 'x' AND i = 7"));
}

TEST_F(EvaluatorTest, InPredicateFastPathKeepsNullSemantics) {
  EXPECT_TRUE(Pred("s IN ('Critical', 'Hello')"));
  EXPECT_FALSE(Pred("s IN ('High', 'Critical')"));
  EXPECT_TRUE(Pred("s NOT IN ('High', 'Critical')"));
  EXPECT_FALSE(Pred("s NOT IN ('High', NULL)"));  // NULL, not TRUE
  EXPECT_FALSE(Pred("n IN ('High', 'Critical')"));
  EXPECT_FALSE(Pred("n NOT IN ('High')"));
}

TEST_F(EvaluatorTest, ComparisonsPromoteNumbers) {
  EXPECT_EQ(Tri("i = 7.0"), 1);
  EXPECT_EQ(Tri("d < i"), 1);
  EXPECT_EQ(Tri("i >= 7"), 1);
  EXPECT_EQ(Tri("i <> 7"), 0);
  EXPECT_EQ(Tri("i != 8"), 1);
  EXPECT_EQ(Tri("s < 'World'"), 1);
}

TEST_F(EvaluatorTest, StringComparedWithNumberIsCastToTheNumber) {
  EXPECT_EQ(Tri("num = 42"), 1);  // ' 42 ' parses with spaces, as Spark does
  EXPECT_EQ(Tri("num > 41.5"), 1);
  EXPECT_EQ(Tri("s = 1"), -1);  // 'Hello' is not a number: NULL
  EXPECT_EQ(Tri("'500' = 500"), 1);
  EXPECT_EQ(Tri("num IN (1, 42)"), 1);
}

TEST_F(EvaluatorTest, ArithmeticTypesAndNulls) {
  EXPECT_EQ(Int("i + 3"), 10);
  EXPECT_EQ(Int("i * 2 - 1"), 13);
  EXPECT_DOUBLE_EQ(Dbl("i / 2"), 3.5);  // / is always DOUBLE, as in Spark
  EXPECT_EQ(Int("i % 4"), 3);
  EXPECT_EQ(Int("-i % 4"), -3);
  EXPECT_DOUBLE_EQ(Dbl("d * 2"), 5.0);
  EXPECT_DOUBLE_EQ(Dbl("d % 2"), 0.5);
  EXPECT_TRUE(IsNull("i / z"));
  EXPECT_TRUE(IsNull("i % z"));
  EXPECT_TRUE(IsNull("d / 0"));
  EXPECT_TRUE(IsNull("i + NULL"));
  EXPECT_DOUBLE_EQ(Dbl("num + 1"), 43.0);  // a string in arithmetic is a DOUBLE
  EXPECT_EQ(Int("9223372036854775807 + 1"), std::numeric_limits<int64_t>::min());  // wraps
  EXPECT_EQ(Int("-i"), -7);
  EXPECT_EQ(Int("abs(-i)"), 7);
}

TEST_F(EvaluatorTest, InWithNulls) {
  EXPECT_EQ(Tri("i IN (1, 7)"), 1);
  EXPECT_EQ(Tri("i IN (1, 2)"), 0);
  EXPECT_EQ(Tri("i IN (1, NULL)"), -1);
  EXPECT_EQ(Tri("i IN (7, NULL)"), 1);
  EXPECT_EQ(Tri("i NOT IN (1, NULL)"), -1);
  EXPECT_EQ(Tri("i NOT IN (1, 2)"), 1);
  EXPECT_EQ(Tri("n IN ('a')"), -1);
}

TEST_F(EvaluatorTest, LikeAndIlike) {
  EXPECT_EQ(Tri("s LIKE 'H%'"), 1);
  EXPECT_EQ(Tri("s LIKE 'h%'"), 0);
  EXPECT_EQ(Tri("s ILIKE 'h%'"), 1);
  EXPECT_EQ(Tri("s NOT LIKE '%ell%'"), 0);
  EXPECT_EQ(Tri("s LIKE 'H_llo'"), 1);
  EXPECT_EQ(Tri("lower(s) LIKE '%hell%'"), 1);
  EXPECT_EQ(Tri("n LIKE '%'"), -1);
  EXPECT_EQ(Tri("s LIKE NULL"), -1);
  EXPECT_EQ(Tri("upper(s) LIKE 'HEL%'"), 1);
}

TEST_F(EvaluatorTest, CaseInsensitiveContains) {
  EXPECT_EQ(Tri("contains(lower(s), 'ell')"), 1);
  EXPECT_EQ(Tri("contains(s, 'ell')"), 1);
  EXPECT_EQ(Tri("contains(s, 'ELL')"), 0);
  EXPECT_EQ(Tri("startswith(s, 'He')"), 1);
  EXPECT_EQ(Tri("endswith(s, 'lo')"), 1);
}

TEST_F(EvaluatorTest, StringFunctions) {
  EXPECT_EQ(Str("lower(s)"), "hello");
  EXPECT_EQ(Str("upper(s)"), "HELLO");
  EXPECT_EQ(Str("upper('é')"), "é");  // ASCII letters only
  EXPECT_EQ(Int("length('日本')"), 2);
  EXPECT_EQ(Str("concat(s, '-', i)"), "Hello-7");
  EXPECT_EQ(Str("s || '!'"), "Hello!");
  EXPECT_TRUE(IsNull("concat(s, n)"));
  EXPECT_EQ(Str("substring(s, 2, 3)"), "ell");
  EXPECT_EQ(Str("substring(s, 2)"), "ello");
  EXPECT_EQ(Str("substring(s, 0, 2)"), "He");
  EXPECT_EQ(Str("substring(s, -3)"), "llo");
  EXPECT_EQ(Str("substring(s, 9)"), "");
  EXPECT_EQ(Str("substr('日本語', 2, 1)"), "本");
  EXPECT_EQ(Str("trim('  a b  ')"), "a b");
  EXPECT_EQ(Str("coalesce(n, s)"), "Hello");
  EXPECT_EQ(Str("coalesce(n, i)"), "7");
}

TEST_F(EvaluatorTest, LowerOfLowerCaseInputMakesNoCopy) {
  Value v = Eval("lower(num)");
  EXPECT_EQ(v.s.data(), row_[0].s.data());
}

TEST_F(EvaluatorTest, CastRules) {
  EXPECT_EQ(Int("CAST(num AS BIGINT)"), 42);
  EXPECT_EQ(Int("CAST('1.9' AS INT)"), 1);
  EXPECT_TRUE(IsNull("CAST(s AS BIGINT)"));
  EXPECT_DOUBLE_EQ(Dbl("CAST('2.5' AS DOUBLE)"), 2.5);
  EXPECT_EQ(Int("CAST(d AS BIGINT)"), 2);
  EXPECT_EQ(Str("CAST(i AS STRING)"), "7");
  EXPECT_EQ(Str("CAST(d AS STRING)"), "2.5");
  EXPECT_EQ(Str("CAST(2.0 AS STRING)"), "2.0");
  EXPECT_EQ(Str("CAST(b AS STRING)"), "true");
  EXPECT_EQ(Tri("CAST('yes' AS BOOLEAN)"), 1);
  EXPECT_EQ(Tri("CAST('0' AS BOOLEAN)"), 0);
  EXPECT_EQ(Tri("CAST('maybe' AS BOOLEAN)"), -1);
  EXPECT_EQ(Int("CAST(true AS INT)"), 1);
  Value ts = Eval("CAST('2026-01-27 18:29:50' AS TIMESTAMP)");
  EXPECT_EQ(ts.type, Type::kTimestamp);
  EXPECT_EQ(ts.i, 1769538590000);
  EXPECT_EQ(Str("CAST(CAST('2026-01-27 18:29:50' AS TIMESTAMP) AS STRING)"), "2026-01-27 18:29:50");
  EXPECT_EQ(Int("CAST(CAST('2026-01-27 18:29:50' AS TIMESTAMP) AS BIGINT)"), 1769538590);
  EXPECT_TRUE(IsNull("CAST(NULL AS BIGINT)"));
}

TEST_F(EvaluatorTest, CaseExpression) {
  EXPECT_EQ(Str("CASE WHEN i > 5 THEN 'big' ELSE 'small' END"), "big");
  EXPECT_EQ(Str("CASE WHEN i > 10 THEN 'big' ELSE 'small' END"), "small");
  EXPECT_TRUE(IsNull("CASE WHEN i > 10 THEN 'big' END"));
  EXPECT_EQ(Str("CASE WHEN n = 'x' THEN 'a' ELSE 'b' END"), "b");  // NULL condition is not TRUE
  EXPECT_EQ(Str("CASE i WHEN 7 THEN 'seven' WHEN 8 THEN 'eight' END"), "seven");
  EXPECT_DOUBLE_EQ(Dbl("CASE WHEN b THEN i ELSE d END"), 7.0);  // branches widen to DOUBLE
}

TEST_F(EvaluatorTest, BetweenIsInclusive) {
  EXPECT_EQ(Tri("i BETWEEN 7 AND 8"), 1);
  EXPECT_EQ(Tri("i BETWEEN 8 AND 9"), 0);
  EXPECT_EQ(Tri("i NOT BETWEEN 8 AND 9"), 1);
}

TEST(CompareValues, OrdersNullsFirstAndNaNLast) {
  EXPECT_LT(CompareValues(Value::Null(), Value::Int(1)), 0);
  EXPECT_GT(CompareValues(Value::Double(std::nan("")), Value::Double(1e300)), 0);
  EXPECT_EQ(CompareValues(Value::Int(2), Value::Double(2.0)), 0);
  EXPECT_LT(CompareValues(Value::String("a"), Value::String("b")), 0);
}

}  // namespace
}  // namespace sluice
