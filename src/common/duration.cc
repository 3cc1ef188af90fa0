#include "common/duration.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace sluice {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Milliseconds per unit, or 0 when the word is not a unit.
int64_t UnitMs(std::string_view unit) {
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {
      {"ms", 1},         {"msec", 1},      {"msecs", 1},     {"millisecond", 1}, {"milliseconds", 1},
      {"milli", 1},      {"millis", 1},    {"s", 1000},      {"sec", 1000},      {"secs", 1000},
      {"second", 1000},  {"seconds", 1000}, {"m", 60000},     {"min", 60000},     {"mins", 60000},
      {"minute", 60000}, {"minutes", 60000}, {"h", 3600000}, {"hr", 3600000},    {"hrs", 3600000},
      {"hour", 3600000}, {"hours", 3600000}, {"d", 86400000}, {"day", 86400000}, {"days", 86400000},
  };
  for (const Unit& u : kUnits)
    if (EqualsIgnoreCase(unit, u.name)) return u.ms;
  return 0;
}

Status Invalid(std::string_view text, std::string_view what, std::string_view hint) {
  std::string msg = "invalid duration '";
  msg.append(text).append("': ").append(what);
  if (!hint.empty()) msg.append("\nhint: ").append(hint);
  return Status::InvalidArgument(std::move(msg));
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  constexpr std::string_view kHint = "write a number and a unit, e.g. 30s, 500ms, '10 seconds', 1m30s";
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < text.size() && IsSpace(text[i])) ++i;
  };
  skip_spaces();
  if (i == text.size()) return Invalid(text, "it is empty", kHint);
  if (text[i] == '-') return Invalid(text, "durations cannot be negative", "");
  if (text[i] == '+') ++i;
  {
    // A bare zero needs no unit: every unit gives the same duration ("--trigger 0").
    size_t j = i;
    while (j < text.size() && text[j] == '0') ++j;
    size_t k = j;
    while (k < text.size() && IsSpace(text[k])) ++k;
    if (j > i && k == text.size()) return int64_t{0};
  }
  double total = 0;
  while (true) {
    skip_spaces();
    if (i == text.size()) break;
    // The number: digits with an optional fraction.
    size_t num_begin = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && IsDigit(text[i])) ++i;
    }
    std::string_view number = text.substr(num_begin, i - num_begin);
    if (number.empty() || number == ".") {
      return Invalid(text, "expected a number at '" + std::string(text.substr(num_begin)) + "'", kHint);
    }
    skip_spaces();
    size_t unit_begin = i;
    while (i < text.size() && IsAlpha(text[i])) ++i;
    std::string_view unit = text.substr(unit_begin, i - unit_begin);
    if (unit.empty()) {
      if (i == text.size()) return Invalid(text, "the number has no unit", "add a unit, e.g. 30s or '30 seconds'");
      return Invalid(text, "unexpected '" + std::string(1, text[i]) + "'", kHint);
    }
    int64_t unit_ms = UnitMs(unit);
    if (unit_ms == 0) {
      return Invalid(text, "unknown unit '" + std::string(unit) + "'",
                     "units are ms, s (seconds), m (minutes), h (hours), d (days)");
    }
    double value = 0;
    std::from_chars(number.data(), number.data() + number.size(), value);
    total += value * static_cast<double>(unit_ms);
  }
  if (total > static_cast<double>(std::numeric_limits<int64_t>::max() / 2)) {
    return Invalid(text, "it is too long", "");
  }
  double rounded = std::round(total);
  if (std::fabs(rounded - total) > 1e-6) return Invalid(text, "it is not a whole number of milliseconds", "");
  return static_cast<int64_t>(rounded);
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0s";
  if (ms < 0) {
    if (ms == std::numeric_limits<int64_t>::min()) return "-" + std::to_string(ms / -1000) + "s";
    return "-" + FormatDurationMs(-ms);
  }
  std::string out;
  int64_t hours = ms / 3600000;
  int64_t minutes = ms / 60000 % 60;
  int64_t millis = ms % 60000;  // seconds and milliseconds
  if (hours > 0) out += std::to_string(hours) + "h";
  if (minutes > 0) out += std::to_string(minutes) + "m";
  if (millis == 0) return out;
  if (millis < 1000) return out + std::to_string(millis) + "ms";
  out += std::to_string(millis / 1000);
  if (int64_t frac = millis % 1000; frac != 0) {
    // "1.5s", "1.25s", "1.005s": three digits with trailing zeros dropped.
    std::string digits = std::to_string(1000 + frac).substr(1);
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out + "s";
}

}  // namespace sluice
