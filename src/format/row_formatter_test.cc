#include "format/row_formatter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "format/json_writer.h"

namespace sluice {
namespace {

// What the jsonl and Kafka sinks wrote for a row of values before rows were formatted by the
// workers: the formatter must give the same bytes.
std::string ViaJsonObject(const std::vector<std::string>& names, const std::vector<Value>& row,
                          const TimeZone& tz) {
  std::vector<OwnedValue> owned(row.begin(), row.end());
  std::string s;
  AppendJsonObject(s, names, owned, tz);
  return s;
}

std::string Formatted(const std::vector<std::string>& names, const std::vector<Value>& row,
                      const TimeZone& tz, JsonRowFormatter::Newline nl) {
  std::string s;
  JsonRowFormatter(names, tz, nl).Append(row.data(), s);
  return s;
}

TEST(JsonRowFormatterTest, WritesWhatAppendJsonObjectWritesForEveryKindOfValue) {
  const std::vector<std::string> names = {"s", "i", "d", "t", "n", "b", "quote\"d"};
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::vector<Value>> rows = {
      {Value::String("plain"), Value::Int(42), Value::Double(3.0),
       Value::Timestamp(1'769'536'796'547), Value::Null(), Value::Bool(true), Value::Int(0)},
      // Escapes, control characters, non-ASCII text, an invalid UTF-8 byte, an emoji.
      {Value::String("a\"b\\c\nd\re\tf\x01g"), Value::Int(INT64_MIN), Value::Double(0.5),
       Value::Timestamp(1'769'536'790'000), Value::Null(), Value::Bool(false),
       Value::String("caf\xc3\xa9 \xff \xf0\x9f\x92\xa5")},
      {Value::String(""), Value::Int(INT64_MAX), Value::Double(1e10), Value::Timestamp(0),
       Value::Double(std::nan("")), Value::Double(-inf), Value::Double(1.5e-7)},
      {Value::String("\u0063rash"), Value::Int(-1), Value::Double(-0.0),
       Value::Timestamp(-62'135'596'800'000), Value::Double(inf), Value::Null(),
       Value::Double(123456.789)},
  };
  const TimeZone berlin = TimeZone::Named("Europe/Berlin").value();
  for (const TimeZone& tz : {TimeZone::Utc(), berlin}) {
    for (const auto& row : rows) {
      const std::string want = ViaJsonObject(names, row, tz);
      EXPECT_EQ(Formatted(names, row, tz, JsonRowFormatter::Newline::kNo), want);
      EXPECT_EQ(Formatted(names, row, tz, JsonRowFormatter::Newline::kYes), want + "\n");
    }
  }
  // The time zone is the sink's: 18:39:56 UTC is 19:39:56 in Berlin in January.
  EXPECT_EQ(Formatted({"t"}, {Value::Timestamp(1'769'539'196'000)}, berlin,
                      JsonRowFormatter::Newline::kNo),
            R"({"t": "2026-01-27 19:39:56"})");
}

TEST(JsonRowFormatterTest, ASelectListOfOneColumnAndOfNoneAreObjectsToo) {
  EXPECT_EQ(Formatted({"user_id"}, {Value::String("u1")}, TimeZone::Utc(),
                      JsonRowFormatter::Newline::kYes),
            "{\"user_id\": \"u1\"}\n");
  EXPECT_EQ(Formatted({}, {}, TimeZone::Utc(), JsonRowFormatter::Newline::kYes), "{}\n");
  EXPECT_EQ(ViaJsonObject({}, {}, TimeZone::Utc()), "{}");
}

TEST(FormattedRowsTest, AppendsBatchesOfRowsAndKeepsWhereEachEnds) {
  FormattedRows rows;
  rows.Append("ab\ncde\n", {0, 3});
  rows.Append("", {});
  rows.Append("f\n", {0});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.row(0), "ab\n");
  EXPECT_EQ(rows.row(1), "cde\n");
  EXPECT_EQ(rows.row(2), "f\n");
  EXPECT_EQ(rows.bytes, "ab\ncde\nf\n");
  rows.Truncate(5);  // more than there are: nothing changes
  EXPECT_EQ(rows.size(), 3u);
  rows.Truncate(2);
  EXPECT_EQ(rows.bytes, "ab\ncde\n");
  rows.Truncate(0);
  EXPECT_EQ(rows.size(), 0u);
  EXPECT_EQ(rows.bytes, "");
}

}  // namespace
}  // namespace sluice
