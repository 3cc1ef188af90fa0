#include "common/duration.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

int64_t Ms(std::string_view text) {
  Result<int64_t> r = ParseDurationMs(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? *r : -1;
}

TEST(ParseDurationMs, ReadsSparkAndShortSpellings) {
  EXPECT_EQ(Ms("30s"), 30000);
  EXPECT_EQ(Ms("10 seconds"), 10000);
  EXPECT_EQ(Ms("10 second"), 10000);
  EXPECT_EQ(Ms("500ms"), 500);
  EXPECT_EQ(Ms("1 minute"), 60000);
  EXPECT_EQ(Ms("2m"), 120000);
  EXPECT_EQ(Ms("1h"), 3600000);
  EXPECT_EQ(Ms("1.5s"), 1500);
  EXPECT_EQ(Ms("10 SECONDS"), 10000);
  EXPECT_EQ(Ms("  1 Minute  "), 60000);
}

TEST(ParseDurationMs, AddsCompoundParts) {
  EXPECT_EQ(Ms("1m30s"), 90000);
  EXPECT_EQ(Ms("1 minute 30 seconds"), 90000);
}

TEST(ParseDurationMs, RejectsBareNumberWithUnitHint) {
  Result<int64_t> r = ParseDurationMs("30");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("add a unit, e.g. 30s"), std::string::npos)
      << r.status().message();
}

TEST(ParseDurationMs, ABareZeroNeedsNoUnit) {
  EXPECT_EQ(Ms("0"), 0);
  EXPECT_EQ(Ms(" 00 "), 0);
  EXPECT_EQ(Ms("0s"), 0);
  EXPECT_FALSE(ParseDurationMs("0.5").ok());
  EXPECT_FALSE(ParseDurationMs("01").ok());
}

TEST(ParseDurationMs, RejectsUnknownUnitsNegativesAndGarbage) {
  EXPECT_FALSE(ParseDurationMs("10 fortnights").ok());
  EXPECT_NE(ParseDurationMs("10 fortnights").status().message().find("unknown unit 'fortnights'"),
            std::string::npos);
  EXPECT_FALSE(ParseDurationMs("-5s").ok());
  EXPECT_FALSE(ParseDurationMs("").ok());
  EXPECT_FALSE(ParseDurationMs("s").ok());
  EXPECT_FALSE(ParseDurationMs("0.5ms").ok());
  EXPECT_FALSE(ParseDurationMs("10s!").ok());
}

// Found by tests/fuzz/duration_time_fuzz: above 2^53 ms a double sum was rounded, so the
// formatted duration read back as another one.
TEST(ParseDurationMs, IsExactForLongDurationsAndRefusesOverflow) {
  EXPECT_EQ(Ms("27292233922330m608547758s"), 27292233922330 * 60000 + 608547758000);
  EXPECT_EQ(Ms(FormatDurationMs(9007199254740993)), 9007199254740993);
  EXPECT_EQ(Ms("1.005s"), 1005);
  EXPECT_EQ(Ms("0.5d"), 43200000);
  EXPECT_EQ(Ms("1.50000000000000000000s"), 1500);
  EXPECT_FALSE(ParseDurationMs("0.0000000000001d").ok());
  EXPECT_FALSE(ParseDurationMs("99999999999999999999s").ok());
  EXPECT_FALSE(ParseDurationMs("4611686018427387904ms").ok());  // above INT64_MAX / 2
  EXPECT_FALSE(ParseDurationMs("3000000000000000000ms 3000000000000000000ms").ok());
}

TEST(FormatDurationMs, PrintsShortestReadableForm) {
  EXPECT_EQ(FormatDurationMs(10000), "10s");
  EXPECT_EQ(FormatDurationMs(500), "500ms");
  EXPECT_EQ(FormatDurationMs(90000), "1m30s");
  EXPECT_EQ(FormatDurationMs(1500), "1.5s");
  EXPECT_EQ(FormatDurationMs(7200000), "2h");
  EXPECT_EQ(FormatDurationMs(0), "0s");
  EXPECT_EQ(FormatDurationMs(-2000), "-2s");
}

TEST(FormatDurationMs, RoundTripsThroughParse) {
  for (int64_t ms : {1, 999, 1000, 1001, 59999, 60000, 61500, 3600000, 3723004, 86400000}) {
    EXPECT_EQ(Ms(FormatDurationMs(ms)), ms) << FormatDurationMs(ms);
  }
}

}  // namespace
}  // namespace sluice
