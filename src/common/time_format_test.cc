#include "common/time_format.h"

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gtest/gtest.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
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

// The time zone library's civil time, formatted field by field: what the UTC path must write.
std::string ViaTimeZoneLibrary(int64_t epoch_ms) {
  const int64_t secs = epoch_ms / 1000 - (epoch_ms % 1000 < 0 ? 1 : 0);
  const auto millis = static_cast<int>((epoch_ms % 1000 + 1000) % 1000);
  const absl::CivilSecond c = absl::ToCivilSecond(absl::FromUnixSeconds(secs), absl::UTCTimeZone());
  char buf[64];
  // Years before 0 are not padded (Spark has none).
  std::snprintf(buf, sizeof buf,
                c.year() >= 0 ? "%04lld-%02d-%02d %02d:%02d:%02d" : "%lld-%02d-%02d %02d:%02d:%02d",
                static_cast<long long>(c.year()), c.month(), c.day(), c.hour(), c.minute(),
                c.second());
  std::string s = buf;
  if (millis != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", millis);
    s += buf;
  }
  return s;
}

TEST(FormatTimestamp, UtcIsComputedAsTheTimeZoneLibraryComputesIt) {
  // Spark's range of timestamps (years 1 to 9999) and well beyond, at random and at the days
  // where calendars go wrong: leap days, century years, the ends of eras of 400 years.
  std::vector<int64_t> times = {
      0,
      -1,
      1,
      951'782'400'000,      // 2000-02-29, a leap day of a century year
      951'868'799'999,      // its last millisecond
      -2'203'891'200'000,   // 1900-03-01 (1900 has no leap day)
      4'107'542'399'999,    // 2100-02-28 23:59:59.999 (2100 has no leap day)
      4'107'542'400'000,    // 2100-03-01
      -62'135'596'800'000,  // 0001-01-01, Spark's first timestamp
      253'402'300'799'999,  // 9999-12-31 23:59:59.999, its last
      -62'167'219'200'000,  // 0000-01-01
      946'684'800'000 - 1,  // the last millisecond of 1999
  };
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 200'000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    // About 10,000 years either side of 1970, or 126.
    const int64_t range = i % 2 == 0 ? 320'000'000'000'000 : 4'000'000'000'000;
    times.push_back(static_cast<int64_t>(x % static_cast<uint64_t>(2 * range)) - range);
  }
  // The last millisecond of days 146 apart, over 400 years either side.
  for (int64_t day = -1'000; day < 1'000; ++day) {
    times.push_back(day * 86'400'000 * 146 + 86'399'999);
  }
  // Where the arithmetic hands over to the library (a billion days either side), and the ends.
  constexpr int64_t kHandOver = int64_t{1'000'000'000} * 86'400'000;
  for (const int64_t t :
       {kHandOver - 1, kHandOver, kHandOver + 86'400'000, -kHandOver, -kHandOver - 1,
        std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    times.push_back(t);
  }
  for (const int64_t t : times) {
    ASSERT_EQ(FormatTimestamp(t), ViaTimeZoneLibrary(t)) << t;
  }
}

TEST(FormatTimestamp, FormatsAnyEventTime) {
  EXPECT_EQ(FormatTimestamp(1769538590123), "2026-01-27 18:29:50.123");
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01 00:00:00");
  EXPECT_FALSE(FormatTimestamp(std::numeric_limits<int64_t>::min()).empty());
  EXPECT_FALSE(FormatTimestamp(std::numeric_limits<int64_t>::max()).empty());
}

}  // namespace
}  // namespace sluice
