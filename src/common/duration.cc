#include "common/duration.h"

#include <cctype>
#include <limits>
#include <string>

namespace sluice {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
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
      {"ms", 1},           {"msec", 1},        {"msecs", 1},     {"millisecond", 1},
      {"milliseconds", 1}, {"milli", 1},       {"millis", 1},    {"s", 1000},
      {"sec", 1000},       {"secs", 1000},     {"second", 1000}, {"seconds", 1000},
      {"m", 60000},        {"min", 60000},     {"mins", 60000},  {"minute", 60000},
      {"minutes", 60000},  {"h", 3600000},     {"hr", 3600000},  {"hrs", 3600000},
      {"hour", 3600000},   {"hours", 3600000}, {"d", 86400000},  {"day", 86400000},
      {"days", 86400000},
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

constexpr int64_t kMaxDurationMs = std::numeric_limits<int64_t>::max() / 2;

enum class PartError { kNone, kNotWholeMs, kTooLong };

// `number` (digits, optionally with a fraction) times unit_ms, computed exactly from the digits:
// a double loses precision above 2^53, and every accepted duration must read back from
// FormatDurationMs.
PartError PartMs(std::string_view number, int64_t unit_ms, int64_t& ms) {
  const size_t dot = number.find('.');
  const std::string_view whole = number.substr(0, dot);
  std::string_view frac =
      dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  int64_t w = 0;
  for (char c : whole) {
    if (__builtin_mul_overflow(w, 10, &w) || __builtin_add_overflow(w, c - '0', &w)) {
      return PartError::kTooLong;
    }
  }
  if (__builtin_mul_overflow(w, unit_ms, &ms)) return PartError::kTooLong;
  // The largest unit (a day) is 2^10 * 3^3 * 5^5 ms, so a fraction with more than 10 digits
  // after its last non-zero one is never a whole number of milliseconds.
  if (frac.size() > 10) return PartError::kNotWholeMs;
  int64_t f = 0, scale = 1;
  for (char c : frac) {
    f = f * 10 + (c - '0');
    scale *= 10;
  }
  if (f * unit_ms % scale != 0) return PartError::kNotWholeMs;  // f * unit_ms < 10^10 * 2^27
  if (__builtin_add_overflow(ms, f * unit_ms / scale, &ms)) return PartError::kTooLong;
  return PartError::kNone;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  constexpr std::string_view kHint =
      "write a number and a unit, e.g. 30s, 500ms, '10 seconds', 1m30s";
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
  int64_t total = 0;
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
      return Invalid(text, "expected a number at '" + std::string(text.substr(num_begin)) + "'",
                     kHint);
    }
    skip_spaces();
    size_t unit_begin = i;
    while (i < text.size() && IsAlpha(text[i])) ++i;
    std::string_view unit = text.substr(unit_begin, i - unit_begin);
    if (unit.empty()) {
      if (i == text.size())
        return Invalid(text, "the number has no unit", "add a unit, e.g. 30s or '30 seconds'");
      return Invalid(text, "unexpected '" + std::string(1, text[i]) + "'", kHint);
    }
    int64_t unit_ms = UnitMs(unit);
    if (unit_ms == 0) {
      return Invalid(text, "unknown unit '" + std::string(unit) + "'",
                     "units are ms, s (seconds), m (minutes), h (hours), d (days)");
    }
    int64_t part = 0;
    const PartError err = PartMs(number, unit_ms, part);
    if (err == PartError::kNotWholeMs) {
      return Invalid(text, "it is not a whole number of milliseconds", "");
    }
    if (err == PartError::kTooLong || __builtin_add_overflow(total, part, &total) ||
        total > kMaxDurationMs) {
      return Invalid(text, "it is too long", "");
    }
  }
  return total;
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
