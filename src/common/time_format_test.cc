#include "common/time_format.h"

#include <gtest/gtest.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace sluice {
namespace {

constexpr int64_t kWinter = 1769538590000;  // 2026-01-27 18:29:50 UTC
constexpr int64_t kSummer = 1783103390123;  // 2026-07-03 18:29:50.123 UTC

TEST(TimeFormat, FormatsUtcWithMillisecondsOnlyWhenNotZero) {
  EXPECT_EQ(FormatTimestamp(kWinter), "2026-01-27 18:29:50");
  EXPECT_EQ(FormatTimestamp(kSummer), "2026-07-03 18:29:50.123");
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01 00:00:00");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31 23:59:59.999");
}

TEST(TimeFormat, FormatsInANamedZoneWithItsDaylightSavingTime) {
  Result<TimeZone> berlin = TimeZone::Named("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  EXPECT_EQ(FormatTimestamp(kWinter, *berlin), "2026-01-27 19:29:50");
  EXPECT_EQ(FormatTimestamp(kSummer, *berlin), "2026-07-03 20:29:50.123");
}

TEST(TimeFormat, UnknownZoneIsRefusedWithAHint) {
  Result<TimeZone> tz = TimeZone::Named("Mars/Olympus");
  ASSERT_FALSE(tz.ok());
  EXPECT_NE(tz.status().message().find("Europe/Berlin"), std::string::npos);
  EXPECT_FALSE(TimeZone::Named("../../etc/passwd").ok());
  EXPECT_TRUE(TimeZone::Named("UTC").value().is_utc());
}

// The old conversion set TZ and called tzset() for every value, changing the C library's
// zone for the whole process (other threads, librdkafka's included, read it unguarded).
TEST(TimeFormat, ConvertingLeavesTheProcessTimeZoneAlone) {
  const char* old = std::getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  setenv("TZ", "Asia/Tokyo", 1);
  tzset();
  const std::string before = tzname[0];
  // Changed without tzset(): the C library keeps Tokyo until someone calls tzset().
  setenv("TZ", "America/New_York", 1);
  Result<TimeZone> berlin = TimeZone::Named("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  EXPECT_EQ(FormatTimestamp(kWinter, *berlin), "2026-01-27 19:29:50");
  EXPECT_STREQ(std::getenv("TZ"), "America/New_York");
  EXPECT_EQ(std::string(tzname[0]), before);
  if (old != nullptr)
    setenv("TZ", saved.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

TEST(TimeFormat, ThreadsConvertInDifferentZonesAtOnce) {
  Result<TimeZone> berlin = TimeZone::Named("Europe/Berlin");
  Result<TimeZone> tokyo = TimeZone::Named("Asia/Tokyo");
  ASSERT_TRUE(berlin.ok() && tokyo.ok());
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const TimeZone& tz = t % 2 == 0 ? *berlin : *tokyo;
      const char* want = t % 2 == 0 ? "2026-01-27 19:29:50" : "2026-01-28 03:29:50";
      for (int i = 0; i < 20000; ++i) wrong[t] += FormatTimestamp(kWinter, tz) != want;
    });
  }
  for (auto& th : threads) th.join();
  for (int w : wrong) EXPECT_EQ(w, 0);
}

TEST(TimeFormat, ParsesEpochMillisecondsAndIsoUtc) {
  EXPECT_EQ(ParseTimestampMs("1769538590000").value(), kWinter);
  EXPECT_EQ(ParseTimestampMs("2026-01-27T18:29:50Z").value(), kWinter);
  EXPECT_EQ(ParseTimestampMs("2026-01-27 18:29:50").value(), kWinter);
  EXPECT_EQ(ParseTimestampMs("2026-07-03T18:29:50.123+00:00").value(), kSummer);
  EXPECT_EQ(ParseTimestampMs("1969-12-31T23:59:59Z").value(), -1000);
}

TEST(TimeFormat, RefusesTimesThatDoNotExist) {
  EXPECT_FALSE(ParseTimestampMs("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("2026-02-30T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("2026-01-27T25:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("2026-01-27T18:29:50+01:00").ok());
}

TEST(TimeFormat, CivilFromDaysCountsFromTheEpoch) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(0, y, m, d);
  EXPECT_EQ(y * 10000 + m * 100 + d, 19700101);
  CivilFromDays(20480, y, m, d);
  EXPECT_EQ(y * 10000 + m * 100 + d, 20260127);
  CivilFromDays(-1, y, m, d);
  EXPECT_EQ(y * 10000 + m * 100 + d, 19691231);
}

TEST(ParseTimestampMs, ReadsEpochMillisecondsAndUtcTimes) {
  EXPECT_EQ(ParseTimestampMs("1768142570194").value(), 1768142570194);
  EXPECT_EQ(ParseTimestampMs("2026-01-27T18:29:50Z").value(), 1769538590000);
  EXPECT_EQ(ParseTimestampMs("2026-01-27 18:29:50.123").value(), 1769538590123);
  EXPECT_EQ(ParseTimestampMs("1970-01-01T00:00:00+00:00").value(), 0);
}

// Found by tests/fuzz/duration_time_fuzz: sscanf's %u read "-026" as a huge year and the
// milliseconds overflowed.
TEST(ParseTimestampMs, RefusesSignsAndOutOfRangeFields) {
  EXPECT_FALSE(ParseTimestampMs("-026-13-45T99:9:99+00:00").ok());
  EXPECT_FALSE(ParseTimestampMs("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("2026-01-00T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("2026-01-01T24:00:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("2026-01-01T00:60:00Z").ok());
  EXPECT_FALSE(ParseTimestampMs("2026--1-01T00:00:00Z").ok());
}

TEST(FormatTimestamp, FormatsAnyEventTime) {
  EXPECT_EQ(FormatTimestamp(1769538590123), "2026-01-27 18:29:50.123");
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01 00:00:00");
  EXPECT_FALSE(FormatTimestamp(std::numeric_limits<int64_t>::min()).empty());
  EXPECT_FALSE(FormatTimestamp(std::numeric_limits<int64_t>::max()).empty());
}

}  // namespace
}  // namespace sluice
