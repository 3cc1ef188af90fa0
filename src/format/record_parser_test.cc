#include "format/record_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

// Parses `rec` (copied into a padded buffer, as RawBatch guarantees) reading timestamp and
// user_id; returns the reason it is malformed, or "" when it is well-formed.
std::string Why(const std::string& rec) {
  RecordParser parser({{"timestamp", Type::kInt64}, {"user_id", Type::kString}});
  std::string buf = rec + std::string(simdjson::SIMDJSON_PADDING, ' ');
  std::vector<Value> row(2);
  const char* why = parser.Parse(std::string_view(buf.data(), rec.size()),
                                 simdjson::SIMDJSON_PADDING, row.data());
  return why ? why : "";
}

// A record whose unread field "extra" holds `value`.
std::string WithExtra(const std::string& value) {
  return R"({"timestamp":1000,"extra":)" + value + R"(,"user_id":"u"})";
}

TEST(RecordParserTest, ReadsTheFieldsTheQueryUses) {
  RecordParser parser({{"timestamp", Type::kInt64}, {"user_id", Type::kString}});
  std::string buf = std::string(R"({"user_id":"u\u00e9","timestamp":42,"x":[1,{"y":null}]})") +
                    std::string(simdjson::SIMDJSON_PADDING, ' ');
  const size_t len = buf.size() - simdjson::SIMDJSON_PADDING;
  std::vector<Value> row(2);
  ASSERT_EQ(parser.Parse(std::string_view(buf.data(), len), simdjson::SIMDJSON_PADDING, row.data()),
            nullptr);
  EXPECT_EQ(row[0].i, 42);
  EXPECT_EQ(row[1].s, "u\u00e9");
}

TEST(RecordParserTest, AFieldNamedWithTheEmptyStringIsFoundByBothPaths) {
  // The full parser compared a key's first byte before its length: an empty key never matched
  // (and its first byte was the one after it), while the scanner found it.
  for (auto path : {RecordParser::Path::kScanFirst, RecordParser::Path::kFullOnly}) {
    RecordParser parser({{"", Type::kInt64}}, path);
    std::string buf =
        std::string(R"({"x": 1, "": 5})") + std::string(simdjson::SIMDJSON_PADDING, '"');
    const size_t len = buf.size() - simdjson::SIMDJSON_PADDING;
    std::vector<Value> row(1);
    ASSERT_EQ(
        parser.Parse(std::string_view(buf.data(), len), simdjson::SIMDJSON_PADDING, row.data()),
        nullptr);
    EXPECT_EQ(row[0].i, 5);
  }
}

TEST(RecordParserTest, BadJsonInAFieldNobodyReadsIsMalformed) {
  // The hardening issue's list: none of these is a JSON value.
  for (const char* bad :
       {"tru", "nul", "fals", "NaN", "Infinity", "-Infinity", "'s'", "01", "1.", ".5", "0x10", "-",
        "+1", "1e", "1e+", "--1", "{\"a\":}", "[1,]", "[,1]", "{\"a\" 1}", "{1:2}", "\"\\q\"",
        "\"\\x41\"", "\"\\u12\"", "\"\\u12g4\"", "[1 2]", "{\"a\":1,}", "\"tab\there\"", "truex",
        "nullnull", "{\"\\q\":1}", "[[[]]", "{\"a\":[}]",
        // Surrogates only as a pair, as simdjson decodes the strings it reads:
        "\"\\ude00\"", "\"\\ud83d\"", "\"\\ud83dx\"", "\"\\ud83d\\u0041\""}) {
    EXPECT_EQ(Why(WithExtra(bad)), "invalid JSON") << bad;
  }
  EXPECT_EQ(Why(R"({"timestamp":1000,"user_id":"u","status":tru})"), "invalid JSON");
  EXPECT_EQ(Why(R"({"status":tru,"timestamp":1000,"user_id":"u"})"), "invalid JSON");
}

TEST(RecordParserTest, AnyValidJsonInAFieldNobodyReadsIsAccepted) {
  for (const char* good : {"true",
                           "false",
                           "null",
                           "0",
                           "-0",
                           "12",
                           "-12.5e-3",
                           "1E+2",
                           "1e400",
                           "-1e-400",
                           "123456789012345678901234567890",
                           "\"\"",
                           "\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\"",
                           "\"caf\xc3\xa9\"",
                           "[]",
                           "{}",
                           "[1,[2,[3]],{\"a\":{\"b\":[null,true]}}]",
                           "{\"k\\u0065y\":\"v\"}",
                           " 7 ",
                           "[ 1 , 2 ]"}) {
    EXPECT_EQ(Why(WithExtra(good)), "") << good;
  }
}

TEST(RecordParserTest, NestingBeyond256LevelsInAFieldNobodyReadsIsMalformedNotACrash) {
  auto nested = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_EQ(Why(WithExtra(nested(256))), "");
  EXPECT_EQ(Why(WithExtra(nested(257))), "JSON nested deeper than 256 levels");
  EXPECT_NE(Why(WithExtra(nested(100'000))), "");
}

TEST(RecordParserTest, RecordLevelProblemsKeepTheirReasons) {
  EXPECT_EQ(Why(R"([1,2])"), "not a JSON object");
  EXPECT_NE(Why(R"({"timestamp":1000,"user_id":"u"} x)"), "");
  EXPECT_NE(Why(R"({"timestamp":1000,"user_id":"u"}})"), "");
  EXPECT_EQ(Why(R"({"timestamp":"1000","user_id":"u"})"), "field has the wrong type");
  EXPECT_EQ(Why(R"({"timestamp":1000})"), "missing field");
  EXPECT_EQ(Why("{\"timestamp\":1000,\"user_id\":\"\xff\"}"), "invalid JSON");
}

}  // namespace
}  // namespace sluice
