#include "common/time_format.h"

#include <time.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace sluice {

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
}

namespace {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void Append2(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

std::mutex tz_mutex;  // guards the process-wide TZ environment variable while converting

}  // namespace

Result<TimeZone> TimeZone::Named(std::string_view name) {
  TimeZone tz;
  if (name.empty() || name == "UTC" || name == "utc" || name == "Z") return tz;
  std::string path = "/usr/share/zoneinfo/" + std::string(name);
  if (name.find("..") != std::string_view::npos || !std::filesystem::exists(path)) {
    return Status::InvalidArgument("unknown time zone '" + std::string(name) +
                                   "': use an IANA name such as Europe/Berlin, or UTC");
  }
  tz.name_ = std::string(name);
  return tz;
}

void AppendTimestamp(std::string& out, int64_t epoch_ms, const TimeZone& tz) {
  // Floor division without negating: -INT64_MIN overflows.
  int64_t secs = epoch_ms / 1000 - (epoch_ms % 1000 < 0 ? 1 : 0);
  const auto millis = static_cast<unsigned>((epoch_ms % 1000 + 1000) % 1000);
  if (!tz.is_utc()) {
    struct tm t {};
    {
      std::lock_guard<std::mutex> lock(tz_mutex);
      const char* old = getenv("TZ");
      std::string saved = old ? old : "";
      setenv("TZ", tz.name().c_str(), 1);
      tzset();
      time_t tt = static_cast<time_t>(secs);
      localtime_r(&tt, &t);
      if (old) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
      tzset();
    }
    secs = DaysFromCivil(t.tm_year + 1900, static_cast<unsigned>(t.tm_mon + 1),
                         static_cast<unsigned>(t.tm_mday)) * 86400 +
           int64_t{t.tm_hour} * 3600 + int64_t{t.tm_min} * 60 + t.tm_sec;
  }
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  auto sod = static_cast<unsigned>(secs - days * 86400);
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, y);
  (void)ec;
  out.append(buf, p);
  out.push_back('-');
  Append2(out, m);
  out.push_back('-');
  Append2(out, d);
  out.push_back(' ');
  Append2(out, sod / 3600);
  out.push_back(':');
  Append2(out, sod / 60 % 60);
  out.push_back(':');
  Append2(out, sod % 60);
  if (millis != 0) {
    out.push_back('.');
    out.push_back(static_cast<char>('0' + millis / 100));
    Append2(out, millis % 100);
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
    if (rest.empty() || rest == "Z" || rest == "+00:00") {
      return (DaysFromCivil(Y, M, D) * 86400 + int64_t{h} * 3600 + int64_t{mi} * 60 + s) * 1000 + ms;
    }
  }
  return Status::InvalidArgument("cannot read time '" + std::string(text) +
                                 "': give epoch milliseconds or UTC like 2026-01-27T18:29:50Z");
}

}  // namespace sluice
