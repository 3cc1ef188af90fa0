#include "sql/parser.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

std::string Sql(std::string_view expr) {
  auto r = ParseExpression(expr);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? AstToSql(*r.value()) : "";
}

std::string ErrorOf(std::string_view sql) {
  auto r = ParseSelect(sql);
  EXPECT_FALSE(r.ok()) << sql;
  return r.ok() ? "" : r.status().message();
}

TEST(Parser, MultiplicationBindsTighterThanAddition) {
  EXPECT_EQ(Sql("a + b * c - d"), "((a + (b * c)) - d)");
}

TEST(Parser, AndBindsTighterThanOr) {
  EXPECT_EQ(Sql("a = 1 OR b = 2 AND c = 3"), "((a = 1) OR ((b = 2) AND (c = 3)))");
}

TEST(Parser, NotAppliesToAWholeComparison) {
  EXPECT_EQ(Sql("NOT a = 1 AND b"), "((NOT (a = 1)) AND b)");
}

TEST(Parser, UnaryMinusFoldsIntoLiterals) {
  auto r = ParseExpression("-5");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()->kind, AstKind::kLiteral);
  EXPECT_EQ(r.value()->literal.i, -5);
  EXPECT_EQ(Sql("-a"), "(- a)");
}

TEST(Parser, PredicatesParse) {
  EXPECT_EQ(Sql("a IS NOT NULL"), "(a IS NOT NULL)");
  EXPECT_EQ(Sql("a NOT IN (1, 2)"), "(a NOT IN (1, 2))");
  EXPECT_EQ(Sql("a NOT LIKE '%x%'"), "a NOT LIKE %x%");
  EXPECT_EQ(Sql("a ILIKE 'x'"), "a ILIKE x");
  EXPECT_EQ(Sql("a BETWEEN 1 AND 2 AND b"), "(((a >= 1) AND (a <= 2)) AND b)");
  EXPECT_EQ(Sql("a NOT BETWEEN 1 AND 2"), "(NOT ((a >= 1) AND (a <= 2)))");
}

TEST(Parser, CaseCastAndCalls) {
  EXPECT_EQ(Sql("CASE WHEN a THEN 1 ELSE 2 END"), "CASE WHEN a THEN 1 ELSE 2 END");
  EXPECT_EQ(Sql("CASE a WHEN 1 THEN 'x' END"), "CASE WHEN (a = 1) THEN x END");
  EXPECT_EQ(Sql("cast(a as int)"), "CAST(a AS BIGINT)");
  EXPECT_EQ(Sql("LOWER(content)"), "lower(content)");
  EXPECT_EQ(Sql("COUNT(*)"), "count(1)");
  EXPECT_EQ(Sql("window.end"), "end");
}

TEST(Parser, IntervalSpellings) {
  for (std::string_view s : {"INTERVAL '10' SECOND", "INTERVAL 10 SECONDS", "interval '10 seconds'",
                             "INTERVAL '10' seconds"}) {
    auto r = ParseExpression(s);
    ASSERT_TRUE(r.ok()) << s << ": " << r.status().message();
    EXPECT_EQ(r.value()->kind, AstKind::kInterval);
    EXPECT_EQ(r.value()->interval_ms, 10000) << s;
  }
  auto m = ParseExpression("INTERVAL '1' MINUTE");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.value()->interval_ms, 60000);
}

TEST(Parser, StatementClauses) {
  auto r = ParseSelect(
      "select a as x, count(*) c from logs l where a > 1 group by a having count(*) > 2 "
      "order by c desc, 1 limit 5;");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const SelectStatement& s = r.value();
  ASSERT_EQ(s.items.size(), 2u);
  EXPECT_EQ(s.items[0].alias, "x");
  EXPECT_EQ(s.items[1].alias, "c");
  EXPECT_EQ(s.table, "logs");
  EXPECT_EQ(s.table_alias, "l");
  EXPECT_NE(s.where, nullptr);
  EXPECT_EQ(s.group_by.size(), 1u);
  EXPECT_NE(s.having, nullptr);
  ASSERT_EQ(s.order_by.size(), 2u);
  EXPECT_TRUE(s.order_by[0].descending);
  EXPECT_FALSE(s.order_by[1].descending);
  EXPECT_EQ(s.limit, 5);
}

TEST(Parser, TrailingCommentAfterSemicolon) {
  EXPECT_TRUE(ParseSelect("SELECT a FROM logs;   -- done").ok());
  EXPECT_TRUE(ParseSelect("/* head */ SELECT a FROM logs /* tail */").ok());
}

TEST(Parser, MisspelledFromGetsDidYouMean) {
  std::string m = ErrorOf("SELECT a FORM logs");
  EXPECT_NE(m.find("at line 1, column 10"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean FROM?"), std::string::npos) << m;
  EXPECT_NE(m.find("         ^^^^"), std::string::npos) << m;
}

TEST(Parser, MisspelledSelectGetsDidYouMean) {
  std::string m = ErrorOf("SELEC a FROM logs");
  EXPECT_NE(m.find("did you mean SELECT?"), std::string::npos) << m;
}

TEST(Parser, MisspelledWhereGetsDidYouMean) {
  std::string m = ErrorOf("SELECT a FROM logs WHER a = 1");
  EXPECT_NE(m.find("did you mean WHERE?"), std::string::npos) << m;
}

TEST(Parser, ErrorsOnLaterLinesReportTheLine) {
  std::string m = ErrorOf("SELECT a\nFROM logs\nWHERE a = = 1");
  EXPECT_NE(m.find("at line 3, column 11"), std::string::npos) << m;
  EXPECT_NE(m.find("  WHERE a = = 1\n"), std::string::npos) << m;
}

TEST(Parser, UnexpectedEndOfInput) {
  std::string m = ErrorOf("SELECT a FROM logs WHERE");
  EXPECT_NE(m.find("unexpected end of input"), std::string::npos) << m;
  m = ErrorOf("SELECT a, b");
  EXPECT_NE(m.find("expected FROM"), std::string::npos) << m;
}

TEST(Parser, UnsupportedFeaturesSaySo) {
  EXPECT_NE(ErrorOf("SELECT a FROM logs JOIN users ON a = b").find("not supported: joins"),
            std::string::npos);
  EXPECT_NE(ErrorOf("SELECT a FROM logs, users").find("not supported: joins"), std::string::npos);
  EXPECT_NE(ErrorOf("SELECT a FROM (SELECT a FROM logs)").find("not supported: subqueries"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("SELECT a FROM logs WHERE a IN (SELECT b FROM t)").find("not supported: subqueries"),
      std::string::npos);
  EXPECT_NE(ErrorOf("SELECT a FROM logs UNION SELECT b FROM t").find("not supported: UNION"),
            std::string::npos);
  EXPECT_NE(ErrorOf("SELECT count(*) OVER (PARTITION BY a) FROM logs")
                .find("not supported: window functions"),
            std::string::npos);
  EXPECT_NE(ErrorOf("SELECT count(DISTINCT a) FROM logs").find("not supported: DISTINCT"),
            std::string::npos);
}

TEST(Parser, UnterminatedStringInStatement) {
  std::string m = ErrorOf("SELECT a FROM logs WHERE b = 'oops");
  EXPECT_NE(m.find("unterminated string at line 1, column 30"), std::string::npos) << m;
}

TEST(Parser, ImplicitAliasOnlyBeforeCommaOrFrom) {
  auto r = ParseSelect("SELECT a b, c FROM logs");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().items[0].alias, "b");
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Each of these crashed the parser, binder or evaluator with a stack overflow before.
TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  for (const std::string& sql :
       {"SELECT " + Repeat("(", 5000) + "1" + Repeat(")", 5000) + " FROM logs",
        "SELECT " + Repeat("lower(", 4000) + "'a'" + Repeat(")", 4000) + " FROM logs",
        "SELECT " + Repeat("CASE WHEN true THEN ", 4000) + "1" + Repeat(" END", 4000) +
            " FROM logs",
        "SELECT 1 FROM logs WHERE " + Repeat("NOT ", 14000) + "true",
        "SELECT " + Repeat("- ", 20000) + "1 FROM logs"}) {
    EXPECT_NE(ErrorOf(sql).find("nested too deeply"), std::string::npos) << sql.substr(0, 40);
  }
}

TEST(Parser, VeryLongChainsAreAnErrorNotACrash) {
  for (const std::string& sql : {"SELECT 1 FROM logs WHERE true" + Repeat(" AND true", 9000),
                                 "SELECT 1 FROM logs WHERE true" + Repeat(" OR true", 9000),
                                 "SELECT 1" + Repeat(" + 1", 9000) + " FROM logs",
                                 "SELECT 'a'" + Repeat(" || 'a'", 9000) + " FROM logs"}) {
    EXPECT_NE(ErrorOf(sql).find("too long"), std::string::npos) << sql.substr(0, 40);
  }
}

TEST(Parser, LongButReasonableExpressionsStillParse) {
  EXPECT_TRUE(ParseSelect("SELECT 1 FROM logs WHERE true" + Repeat(" AND true", 900)).ok());
  EXPECT_TRUE(ParseSelect("SELECT " + Repeat("(", 60) + "1" + Repeat(")", 60) + " FROM logs").ok());
  EXPECT_TRUE(ParseSelect("SELECT 1 FROM logs WHERE " + Repeat("NOT ", 50) + "true").ok());
}

}  // namespace
}  // namespace sluice
