#include "common/time_format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace sluice {
namespace {

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
