// Formatting event times for people: "YYYY-MM-DD HH:MM:SS" (".mmm" only when the milliseconds
// are not zero), in UTC or a named IANA time zone. Zones come from abseil's time zone library,
// which reads the zone database itself: no process-wide TZ variable, no tzset(), no lock, so any
// thread may convert at any time (librdkafka's threads read the environment unguarded).
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sluice {

// A loaded zone; cheap to copy (abseil shares the loaded rules).
class TimeZone {
 public:
  static TimeZone Utc() { return TimeZone(); }
  // "UTC", "Europe/Berlin", ...; InvalidArgument if the zone database does not know it.
  static Result<TimeZone> Named(std::string_view name);
  bool is_utc() const { return name_.empty(); }
  const std::string& name() const { return name_; }
  const absl::TimeZone& zone() const { return zone_; }

 private:
  std::string name_;  // empty = UTC
  absl::TimeZone zone_ = absl::UTCTimeZone();
};

// Days since 1970-01-01 to a civil date in the proleptic Gregorian calendar.
void CivilFromDays(int64_t days, int64_t& year, unsigned& month, unsigned& day);
// A time's calendar fields in the proleptic Gregorian calendar.
struct CivilTime {
  int64_t year = 0;
  int month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
};
// The calendar fields of epoch milliseconds in UTC, for any int64.
CivilTime UtcCivilTime(int64_t epoch_ms);

void AppendTimestamp(std::string& out, int64_t epoch_ms, const TimeZone& tz);
std::string FormatTimestamp(int64_t epoch_ms, const TimeZone& tz = TimeZone::Utc());
// Parses epoch milliseconds or an ISO-8601 UTC time ("2026-01-27T18:29:50Z", "2026-01-27
// 18:29:50"). A date or time of day that does not exist (month 13, 25:00) is refused.
Result<int64_t> ParseTimestampMs(std::string_view text);

}  // namespace sluice
