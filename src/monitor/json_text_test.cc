#include "monitor/json_text.h"

#include <gtest/gtest.h>

#include <limits>

namespace sluice {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonQuoted(out, s);
  return out;
}

TEST(JsonText, EscapesQuotesBackslashesAndControlBytes) {
  EXPECT_EQ(Quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quoted("l1\nl2\t\r"), R"("l1\nl2\t\r")");
  EXPECT_EQ(Quoted(std::string_view("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(Quoted(std::string_view("a\0b", 3)), R"("a\u0000b")");
}

TEST(JsonText, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(Quoted("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(Quoted("a\xFF"
                   "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(Quoted("\xC3"), "\"\xEF\xBF\xBD\"");                  // truncated sequence
  EXPECT_EQ(Quoted("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
  EXPECT_EQ(Quoted("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
}

TEST(JsonText, SeparatesItemsOfNestedContainers) {
  JsonText j;
  j.BeginObject().Field("a", int64_t{1});
  j.Key("b").BeginArray().Int(1).String("x").BeginObject().EndObject().Null().EndArray();
  j.Field("c", true).Field("d", std::optional<int64_t>()).EndObject();
  EXPECT_EQ(j.str(), R"({"a":1,"b":[1,"x",{},null],"c":true,"d":null})");
}

TEST(JsonText, WritesNonFiniteDoublesAsNull) {
  JsonText j;
  j.BeginArray()
      .Double(1.5)
      .Double(std::numeric_limits<double>::quiet_NaN())
      .Double(std::numeric_limits<double>::infinity())
      .EndArray();
  EXPECT_EQ(j.str(), "[1.5,null,null]");
}

TEST(JsonText, IsoTimestampIsUtcWithMilliseconds) {
  EXPECT_EQ(IsoTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(IsoTimestamp(1768142570194), "2026-01-11T14:42:50.194Z");
  EXPECT_EQ(IsoTimestamp(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(IsoTimestamp(-1), "1969-12-31T23:59:59.999Z");
  // The extremes are formatted without overflow (UBSan checks it in the sanitizer build).
  EXPECT_EQ(IsoTimestamp(-86'400'000), "1969-12-31T00:00:00.000Z");
  EXPECT_FALSE(IsoTimestamp(std::numeric_limits<int64_t>::min()).empty());
  EXPECT_FALSE(IsoTimestamp(std::numeric_limits<int64_t>::max()).empty());
}

}  // namespace
}  // namespace sluice
