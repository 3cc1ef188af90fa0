#include "sql/binder.h"

#include <gtest/gtest.h>

#include "sql/schema_parser.h"

namespace sluice {
namespace {

// The lab's queries exactly as PRODUCT.md writes them.
constexpr std::string_view kQ1 =
    "SELECT source_ip, count(*) AS match_count FROM logs\n"
    "WHERE lower(content) LIKE '%vulnerability%' AND severity = 'High'\n"
    "GROUP BY source_ip ORDER BY match_count DESC;\n";

constexpr std::string_view kQ2 =
    "SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS "
    "crash_count\n"
    "FROM logs\n"
    "WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')\n"
    "GROUP BY window(timestamp, '10 seconds'), user_id\n"
    "HAVING count(*) > 2;          -- with a watermark of 10 to 30 seconds on the event time\n";

BoundQuery Compile(std::string_view sql, const BindOptions& options = {}) {
  auto r = CompileQuery(sql, options);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : BoundQuery{};
}

std::string ErrorOf(std::string_view sql, const BindOptions& options = {}) {
  auto r = CompileQuery(sql, options);
  EXPECT_FALSE(r.ok()) << sql;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

std::vector<std::string> FieldNames(const BoundQuery& q) {
  std::vector<std::string> names;
  for (const Field& f : q.input_fields) names.push_back(f.name);
  return names;
}

TEST(Binder, Q1BindsToFilterGroupAndSort) {
  BoundQuery q = Compile(kQ1);
  EXPECT_EQ(FieldNames(q), (std::vector<std::string>{"severity", "source_ip", "content"}));
  EXPECT_EQ(q.source_table, "logs");
  EXPECT_TRUE(q.aggregating);
  EXPECT_FALSE(q.window);
  EXPECT_EQ(q.event_time_slot, -1);
  ASSERT_EQ(q.group_keys.size(), 1u);
  EXPECT_EQ(q.group_keys[0]->kind, ExprKind::kColumn);
  EXPECT_EQ(q.group_keys[0]->slot, 1);
  EXPECT_EQ(q.group_key_names[0], "source_ip");
  ASSERT_EQ(q.aggregates.size(), 1u);
  EXPECT_EQ(q.aggregates[0].kind, AggKind::kCountStar);
  EXPECT_EQ(q.aggregates[0].text, "count(*)");
  ASSERT_EQ(q.select.size(), 2u);
  EXPECT_EQ(q.select[0].name, "source_ip");
  EXPECT_EQ(q.select[0].expr->slot, q.key_slot(0));
  EXPECT_EQ(q.select[1].name, "match_count");
  EXPECT_EQ(q.select[1].expr->slot, q.agg_slot(0));
  ASSERT_EQ(q.order_by.size(), 1u);
  EXPECT_EQ(q.order_by[0].column, 1);
  EXPECT_TRUE(q.order_by[0].descending);
  EXPECT_EQ(q.hidden_columns, 0u);
}

TEST(Binder, Q1FilterPutsTheCheapComparisonFirstAndDropsLower) {
  BoundQuery q = Compile(kQ1);
  ASSERT_EQ(q.where->kind, ExprKind::kAnd);
  ASSERT_EQ(q.where->args.size(), 2u);
  const Expr& first = *q.where->args[0];
  EXPECT_EQ(first.kind, ExprKind::kCompare);
  EXPECT_EQ(first.args[0]->slot, 0);  // severity
  const Expr& like = *q.where->args[1];
  EXPECT_EQ(like.kind, ExprKind::kLike);
  EXPECT_TRUE(like.case_insensitive);
  EXPECT_EQ(like.args[0]->kind, ExprKind::kColumn);  // lower() is gone
  EXPECT_EQ(like.args[0]->slot, 2);                  // content
  EXPECT_EQ(like.like_shape, LikeShape::kContains);
  EXPECT_EQ(like.like_needle, "vulnerability");
}

TEST(Binder, Q2BindsWindowKeysAggregatesAndHaving) {
  BoundQuery q = Compile(kQ2);
  EXPECT_EQ(FieldNames(q),
            (std::vector<std::string>{"timestamp", "severity", "user_id", "content"}));
  ASSERT_TRUE(q.window);
  EXPECT_EQ(q.window->size_ms, 10000);
  EXPECT_EQ(q.window->slide_ms, 10000);
  EXPECT_EQ(q.window->offset_ms, 0);
  EXPECT_EQ(q.event_time_slot, 0);
  ASSERT_EQ(q.group_keys.size(), 1u);
  EXPECT_EQ(q.group_keys[0]->slot, 2);  // user_id
  ASSERT_EQ(q.aggregates.size(), 1u);   // count(*) in SELECT and HAVING is one aggregate
  EXPECT_EQ(q.aggregate_row_width(), 4);
  ASSERT_EQ(q.select.size(), 4u);
  EXPECT_EQ(q.select[0].name, "window_start");
  EXPECT_EQ(q.select[0].expr->slot, 0);
  EXPECT_EQ(q.select[0].expr->type, Type::kTimestamp);
  EXPECT_EQ(q.select[1].name, "window_end");
  EXPECT_EQ(q.select[1].expr->slot, 1);
  EXPECT_EQ(q.select[2].name, "user_id");
  EXPECT_EQ(q.select[2].expr->slot, 2);
  EXPECT_EQ(q.select[3].name, "crash_count");
  EXPECT_EQ(q.select[3].expr->slot, 3);
  ASSERT_NE(q.having, nullptr);
  EXPECT_EQ(q.having->kind, ExprKind::kCompare);
  EXPECT_EQ(q.having->compare_op, CompareOp::kGt);
  EXPECT_EQ(q.having->args[0]->slot, 3);
  EXPECT_EQ(q.having->args[1]->literal.i, 2);
  // IN (cheap) before the LIKE.
  ASSERT_EQ(q.where->kind, ExprKind::kAnd);
  EXPECT_EQ(q.where->args[0]->kind, ExprKind::kIn);
  EXPECT_EQ(q.where->args[1]->kind, ExprKind::kLike);
  EXPECT_TRUE(q.where->args[1]->case_insensitive);
}

using Sizes = std::pair<int64_t, int64_t>;

TEST(Binder, WindowSpellings) {
  auto size_of = [](std::string_view group_by) {
    BoundQuery q =
        Compile("SELECT window.start, count(*) FROM logs GROUP BY " + std::string(group_by));
    return q.window ? Sizes(q.window->size_ms, q.window->slide_ms) : Sizes(-1, -1);
  };
  EXPECT_EQ(size_of("window(timestamp, '10 seconds')"), Sizes(10000, 10000));
  EXPECT_EQ(size_of("window(timestamp, '1 minute', '10s')"), Sizes(60000, 10000));
  EXPECT_EQ(size_of("tumble(timestamp, '10 seconds')"), Sizes(10000, 10000));
  EXPECT_EQ(size_of("TUMBLE(timestamp, INTERVAL '10' SECOND)"), Sizes(10000, 10000));
  EXPECT_EQ(size_of("HOP(timestamp, INTERVAL 5 SECONDS, INTERVAL '1' MINUTE)"), Sizes(60000, 5000));
  BoundQuery q = Compile(
      "SELECT window.start, count(*) FROM logs GROUP BY window(timestamp, '10 seconds', '5 "
      "seconds', '1 second')");
  EXPECT_EQ(q.window->offset_ms, 1000);
}

TEST(Binder, WindowBoundsByOtherNames) {
  BoundQuery q = Compile(
      "SELECT window_start, window_end, TUMBLE_START(timestamp, INTERVAL '10' SECOND) AS s, "
      "count(*) FROM logs "
      "GROUP BY TUMBLE(timestamp, INTERVAL '10' SECOND)");
  EXPECT_EQ(q.select[0].expr->slot, 0);
  EXPECT_EQ(q.select[1].expr->slot, 1);
  EXPECT_EQ(q.select[2].expr->slot, 0);
  EXPECT_EQ(q.select[3].name, "count(1)");
}

TEST(Binder, WindowOnAnotherColumnHintsEventTimeFlag) {
  std::string m = ErrorOf("SELECT count(*) FROM logs GROUP BY window(status, '10 seconds')");
  EXPECT_NE(m.find("--event-time status"), std::string::npos) << m;
}

TEST(Binder, EventTimeFieldCanBeRenamed) {
  BindOptions options;
  auto schema = ParseSchema("ts BIGINT, user_id STRING");
  ASSERT_TRUE(schema.ok());
  options.schema = schema.value();
  options.event_time_field = "ts";
  BoundQuery q = Compile(
      "SELECT user_id, count(*) FROM logs GROUP BY window(ts, '1 minute'), user_id", options);
  EXPECT_EQ(q.event_time_slot, 0);
  EXPECT_EQ(FieldNames(q), (std::vector<std::string>{"ts", "user_id"}));
}

TEST(Binder, BareWindowIsAnErrorWithHint) {
  std::string m =
      ErrorOf("SELECT window, count(*) FROM logs GROUP BY window(timestamp, '10 seconds')");
  EXPECT_NE(m.find("select window.start and window.end"), std::string::npos) << m;
}

TEST(Binder, BadWindowDurationIsAnError) {
  std::string m = ErrorOf("SELECT count(*) FROM logs GROUP BY window(timestamp, '10')");
  EXPECT_NE(m.find("invalid window size '10'"), std::string::npos) << m;
  EXPECT_NE(m.find("add a unit"), std::string::npos) << m;
  m = ErrorOf("SELECT count(*) FROM logs GROUP BY window(timestamp, '10 seconds', '1 minute')");
  EXPECT_NE(m.find("slide"), std::string::npos) << m;
}

TEST(Binder, SlidingWindowWithTooManyWindowsPerRecordIsAnError) {
  std::string m =
      ErrorOf("SELECT count(*) FROM logs GROUP BY window(timestamp, '365 days', '1 millisecond')");
  EXPECT_NE(m.find("more than 10000 times its slide"), std::string::npos) << m;
  BoundQuery q =
      Compile("SELECT count(*) FROM logs GROUP BY window(timestamp, '10000 seconds', '1 second')");
  EXPECT_EQ(q.window->size_ms / q.window->slide_ms, 10000);
}

TEST(Binder, UnknownColumnShowsCaretAndColumns) {
  std::string m = ErrorOf("SELECT user, count(*) FROM logs GROUP BY user");
  EXPECT_EQ(m,
            "error: unknown column 'user' at line 1, column 8\n"
            "  SELECT user, count(*) FROM logs GROUP BY user\n"
            "         ^^^^\n"
            "hint: columns are timestamp, status, severity, source_ip, user_id, content");
}

TEST(Binder, NearMissColumnGetsDidYouMean) {
  std::string m = ErrorOf("SELECT severty FROM logs");
  EXPECT_NE(m.find("did you mean 'severity'?"), std::string::npos) << m;
}

TEST(Binder, UnknownFunctionGetsDidYouMean) {
  std::string m = ErrorOf("SELECT lowr(content) FROM logs");
  EXPECT_NE(m.find("unknown function 'lowr' at line 1, column 8"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean lower?"), std::string::npos) << m;
}

TEST(Binder, UngroupedColumnIsAnErrorLikeSpark) {
  std::string m = ErrorOf("SELECT user_id, content, count(*) FROM logs GROUP BY user_id");
  EXPECT_NE(m.find("expression 'content' is neither present in the group by, nor is it an "
                   "aggregate function"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("column 17"), std::string::npos) << m;
  EXPECT_NE(m.find("hint: add 'content' to GROUP BY"), std::string::npos) << m;
}

TEST(Binder, GroupKeyExpressionsMatchByStructure) {
  BoundQuery q = Compile("SELECT LOWER(user_id), count(*) FROM logs GROUP BY lower(user_id)");
  EXPECT_EQ(q.select[0].expr->kind, ExprKind::kColumn);
  EXPECT_EQ(q.select[0].expr->slot, 0);
  EXPECT_EQ(q.select[0].name, "lower(user_id)");
}

TEST(Binder, NestedAggregatesAreAnError) {
  std::string m = ErrorOf("SELECT sum(count(*)) FROM logs");
  EXPECT_NE(m.find("nested aggregate"), std::string::npos) << m;
}

TEST(Binder, AggregateInWhereIsAnError) {
  std::string m = ErrorOf("SELECT a FROM logs WHERE count(*) > 1");
  EXPECT_FALSE(m.empty());
  m = ErrorOf("SELECT user_id FROM logs WHERE count(*) > 1");
  EXPECT_NE(m.find("not allowed in WHERE"), std::string::npos) << m;
  EXPECT_NE(m.find("HAVING"), std::string::npos) << m;
}

TEST(Binder, AggregateResultTypes) {
  BindOptions options;
  options.schema = ParseSchema("i BIGINT, d DOUBLE, s STRING").value();
  BoundQuery q =
      Compile("SELECT count(s), sum(i), sum(d), avg(i), min(s), max(d), count(1) FROM t", options);
  ASSERT_EQ(q.aggregates.size(), 7u);
  EXPECT_EQ(q.aggregates[0].kind, AggKind::kCount);
  EXPECT_EQ(q.aggregates[1].result_type, Type::kInt64);
  EXPECT_EQ(q.aggregates[2].result_type, Type::kDouble);
  EXPECT_EQ(q.aggregates[3].result_type, Type::kDouble);
  EXPECT_EQ(q.aggregates[4].result_type, Type::kString);
  EXPECT_EQ(q.aggregates[5].result_type, Type::kDouble);
  EXPECT_EQ(q.aggregates[6].kind, AggKind::kCountStar);
  EXPECT_TRUE(q.group_keys.empty());
  EXPECT_EQ(q.select[6].name, "count(1)");
  EXPECT_EQ(q.select[1].name, "sum(i)");
}

TEST(Binder, OrderByUnselectedExpressionAddsHiddenColumn) {
  BoundQuery q =
      Compile("SELECT user_id FROM logs GROUP BY user_id ORDER BY count(*) DESC, user_id");
  ASSERT_EQ(q.select.size(), 2u);
  EXPECT_EQ(q.hidden_columns, 1u);
  EXPECT_EQ(q.select[1].expr->slot, q.agg_slot(0));
  ASSERT_EQ(q.order_by.size(), 2u);
  EXPECT_EQ(q.order_by[0].column, 1);
  EXPECT_TRUE(q.order_by[0].descending);
  EXPECT_EQ(q.order_by[1].column, 0);
}

TEST(Binder, OrderByPositionAndAlias) {
  BoundQuery q =
      Compile("SELECT user_id AS u, count(*) AS n FROM logs GROUP BY u ORDER BY 2 DESC, u");
  EXPECT_EQ(q.order_by[0].column, 1);
  EXPECT_EQ(q.order_by[1].column, 0);
  EXPECT_EQ(q.hidden_columns, 0u);
  EXPECT_NE(ErrorOf("SELECT user_id FROM logs ORDER BY 3").find("ORDER BY position 3"),
            std::string::npos);
}

TEST(Binder, NonAggregatingQueryReadsOnlyUsedFields) {
  BoundQuery q =
      Compile("SELECT content, upper(user_id) AS u FROM logs WHERE status = 500 LIMIT 10");
  EXPECT_FALSE(q.aggregating);
  EXPECT_EQ(FieldNames(q), (std::vector<std::string>{"status", "user_id", "content"}));
  EXPECT_EQ(q.select[0].expr->slot, 2);
  EXPECT_EQ(q.select[1].expr->args[0]->slot, 1);
  EXPECT_EQ(q.limit, 10);
  // status = 500 compares as numbers: the string side is cast.
  const Expr& cmp = *q.where;
  EXPECT_EQ(cmp.args[0]->kind, ExprKind::kCast);
  EXPECT_EQ(cmp.args[0]->type, Type::kInt64);
}

TEST(Binder, SelectStarExpandsSchema) {
  BoundQuery q = Compile("SELECT * FROM logs");
  EXPECT_EQ(q.select.size(), 6u);
  EXPECT_EQ(q.select[5].name, "content");
  EXPECT_EQ(q.input_fields.size(), 6u);
  EXPECT_NE(ErrorOf("SELECT * FROM logs GROUP BY user_id").find("SELECT * cannot"),
            std::string::npos);
}

TEST(Binder, TypeErrorsAreReported) {
  EXPECT_NE(ErrorOf("SELECT content FROM logs WHERE content").find("WHERE needs a BOOLEAN"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("SELECT content FROM logs WHERE (status = 1) + 1 > 0").find("a number is needed"),
      std::string::npos);
  EXPECT_NE(ErrorOf("SELECT content FROM logs WHERE content LIKE user_id").find("string constant"),
            std::string::npos);
}

TEST(Binder, QualifiedColumnsAndAliasedTable) {
  BoundQuery q = Compile("SELECT l.user_id, logs.status FROM logs AS l");
  EXPECT_EQ(q.select.size(), 2u);
  EXPECT_EQ(q.select[0].name, "user_id");
}

TEST(Binder, OrConditionsAreReorderedToo) {
  BoundQuery q = Compile(
      "SELECT content FROM logs WHERE content LIKE '%a_b%' OR severity = 'Low' OR status = '1'");
  ASSERT_EQ(q.where->kind, ExprKind::kOr);
  ASSERT_EQ(q.where->args.size(), 3u);
  EXPECT_EQ(q.where->args[2]->kind, ExprKind::kLike);
}

TEST(Binder, ContainsOfLowerBecomesCaseInsensitiveLike) {
  BoundQuery q = Compile("SELECT content FROM logs WHERE contains(lower(content), 'crash')");
  EXPECT_EQ(q.where->kind, ExprKind::kLike);
  EXPECT_TRUE(q.where->case_insensitive);
  EXPECT_EQ(q.where->like_shape, LikeShape::kContains);
}

TEST(Binder, LowerWithUpperCasePatternIsKept) {
  BoundQuery q = Compile("SELECT content FROM logs WHERE lower(content) LIKE '%Crash%'");
  EXPECT_FALSE(q.where->case_insensitive);
  EXPECT_EQ(q.where->args[0]->kind, ExprKind::kFunction);
}

}  // namespace
}  // namespace sluice
