#include "common/time_format.h"

#include <absl/time/civil_time.h>

#include <charconv>
#include <cstdio>

namespace sluice {

namespace {

const absl::CivilDay kEpochDay(1970, 1, 1);
// Days either side of 1970 that CivilFromDays computes itself (years -2.7 million to 2.7
// million); abseil's civil time does the rest.
constexpr int64_t kMaxDays = int64_t{1'000'000'000};

// Floor division and the modulo that goes with it, without negating or multiplying back: either
// overflows near INT64_MIN.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }
int64_t FloorMod(int64_t a, int64_t b) { return (a % b + b) % b; }

void Append2(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

void CivilFromDays(int64_t days, int64_t& year, unsigned& month, unsigned& day) {
  if (days < -kMaxDays || days > kMaxDays) {
    const absl::CivilDay d = kEpochDay + days;
    year = d.year();
    month = static_cast<unsigned>(d.month());
    day = static_cast<unsigned>(d.day());
    return;
  }
  // Howard Hinnant's civil_from_days ("chrono-compatible low-level date algorithms"): eras of
  // 400 years (146,097 days) counted from 0000-03-01, so that a leap day ends a year.
  const int64_t z = days + 719'468;
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const int64_t doe = z - era * 146'097;                                         // [0, 146096]
  const int64_t yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                   // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                        // [0, 11]
  day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  year = yoe + era * 400 + (month <= 2 ? 1 : 0);
}

Result<TimeZone> TimeZone::Named(std::string_view name) {
  TimeZone tz;
  if (name.empty() || name == "UTC" || name == "utc" || name == "Z") return tz;
  // abseil also reads "../x" relative to the zone directory: only plain zone names.
  if (name.find("..") != std::string_view::npos ||
      !absl::LoadTimeZone(std::string(name), &tz.zone_)) {
    return Status::InvalidArgument("unknown time zone '" + std::string(name) +
                                   "': use an IANA name such as Europe/Berlin, or UTC");
  }
  tz.name_ = std::string(name);
  return tz;
}

CivilTime UtcCivilTime(int64_t epoch_ms) {
  CivilTime c;
  const int64_t secs = FloorDiv(epoch_ms, 1000);
  c.millis = static_cast<int>(FloorMod(epoch_ms, 1000));
  unsigned month = 0;
  unsigned day = 0;
  CivilFromDays(FloorDiv(secs, 86'400), c.year, month, day);
  c.month = static_cast<int>(month);
  c.day = static_cast<int>(day);
  const auto of_day = static_cast<int>(FloorMod(secs, 86'400));
  c.hour = of_day / 3'600;
  c.minute = of_day / 60 % 60;
  c.second = of_day % 60;
  return c;
}

void AppendTimestamp(std::string& out, int64_t epoch_ms, const TimeZone& tz) {
  // UTC has no offsets to look up: its fields come by arithmetic (the time zone library's
  // lookup was a fifth of the time to format a windowed result row).
  CivilTime c;
  if (tz.is_utc()) {
    c = UtcCivilTime(epoch_ms);
  } else {
    const absl::CivilSecond t =
        absl::ToCivilSecond(absl::FromUnixSeconds(FloorDiv(epoch_ms, 1000)), tz.zone());
    c = {t.year(),
         t.month(),
         t.day(),
         t.hour(),
         t.minute(),
         t.second(),
         static_cast<int>(FloorMod(epoch_ms, 1000))};
  }
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, c.year);
  (void)ec;
  if (c.year >= 0 && p - buf < 4)
    out.append(static_cast<size_t>(4 - (p - buf)), '0');  // 0001, as Spark
  out.append(buf, p);
  out.push_back('-');
  Append2(out, c.month);
  out.push_back('-');
  Append2(out, c.day);
  out.push_back(' ');
  Append2(out, c.hour);
  out.push_back(':');
  Append2(out, c.minute);
  out.push_back(':');
  Append2(out, c.second);
  if (c.millis != 0) {
    out.push_back('.');
    out.push_back(static_cast<char>('0' + c.millis / 100));
    Append2(out, c.millis % 100);
  }
}

std::string FormatTimestamp(int64_t epoch_ms, const TimeZone& tz) {
  std::string s;
  AppendTimestamp(s, epoch_ms, tz);
  return s;
}

Result<int64_t> ParseTimestampMs(std::string_view text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && p == text.data() + text.size()) return v;
  // YYYY-MM-DD[T ]HH:MM:SS[.mmm][Z]
  unsigned Y = 0, M = 0, D = 0, h = 0, mi = 0, s = 0, ms = 0;
  int n = 0;
  std::string str(text);
  // %u also reads a sign ("-026" wraps around), so the ranges are checked too.
  if (sscanf(str.c_str(), "%4u-%2u-%2u%*1[T ]%2u:%2u:%2u%n", &Y, &M, &D, &h, &mi, &s, &n) == 6 &&
      Y <= 9999 && M >= 1 && M <= 12 && D >= 1 && D <= 31 && h <= 23 && mi <= 59 && s <= 59) {
    std::string_view rest = std::string_view(str).substr(static_cast<size_t>(n));
    if (!rest.empty() && rest[0] == '.') {
      size_t i = 1;
      unsigned scale = 100;
      for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i) {
        ms += static_cast<unsigned>(rest[i] - '0') * scale;
        scale /= 10;
      }
      rest = rest.substr(i);
    }
    // CivilSecond normalizes out-of-range fields (month 13 is January): such a time does not
    // exist, so refuse it instead.
    const absl::CivilSecond c(Y, static_cast<int>(M), static_cast<int>(D), static_cast<int>(h),
                              static_cast<int>(mi), static_cast<int>(s));
    const bool exists = c.year() == static_cast<int64_t>(Y) && c.month() == static_cast<int>(M) &&
                        c.day() == static_cast<int>(D) && c.hour() == static_cast<int>(h) &&
                        c.minute() == static_cast<int>(mi) && c.second() == static_cast<int>(s);
    if (exists && (rest.empty() || rest == "Z" || rest == "+00:00")) {
      return (c - absl::CivilSecond(1970, 1, 1, 0, 0, 0)) * 1000 + ms;
    }
  }
  return Status::InvalidArgument("cannot read time '" + std::string(text) +
                                 "': give epoch milliseconds or UTC like 2026-01-27T18:29:50Z");
}

}  // namespace sluice
