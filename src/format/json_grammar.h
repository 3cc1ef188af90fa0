// Pieces of JSON's grammar (RFC 8259) shared by the record scanner and the full record parser.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/utf8.h"

namespace sluice {

inline bool IsJsonWhitespace(char c) {
  constexpr uint64_t kWhitespace =
      uint64_t{1} << ' ' | uint64_t{1} << '\t' | uint64_t{1} << '\n' | uint64_t{1} << '\r';
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' && (kWhitespace >> u & 1) != 0;
}

// The end of the JSON number that starts at p, or nullptr when [p, end) does not start with one:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? . What follows the number is not looked at.
inline const char* JsonNumberEnd(const char* p, const char* end) {
  auto digit = [end](const char* q) { return q < end && *q >= '0' && *q <= '9'; };
  if (p < end && *p == '-') ++p;
  if (!digit(p)) return nullptr;
  if (*p == '0') {
    ++p;
  } else {
    while (digit(p)) ++p;
  }
  if (p < end && *p == '.') {
    ++p;
    if (!digit(p)) return nullptr;
    while (digit(p)) ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (!digit(p)) return nullptr;
    while (digit(p)) ++p;
  }
  return p;
}

// The JSON number [p, end) as the nearest double (std::from_chars rounds correctly). False when
// it is not exactly one JSON number or is out of a double's range (1e400, 1e-400).
inline bool ParseJsonDouble(const char* p, const char* end, double& out) {
  if (JsonNumberEnd(p, end) != end || p == end) return false;
  const auto r = std::from_chars(p, end, out);
  return r.ec == std::errc() && r.ptr == end;
}

// The code unit of the 4 hex digits at p, or -1.
inline int32_t JsonHexQuad(const char* p) {
  const int a = HexDigit(p[0]);
  const int b = HexDigit(p[1]);
  const int c = HexDigit(p[2]);
  const int d = HexDigit(p[3]);
  if ((a | b | c | d) < 0) return -1;  // one test for the four
  return (a << 12) | (b << 8) | (c << 4) | d;
}

// The escape sequence at p (p[0] is the backslash): its length in bytes (2, 6, or 12 for a
// surrogate pair) and the code point it stands for, or 0 when it is not one of JSON's escapes or
// a \u escape that is not Unicode (a surrogate only as a high-low pair, as simdjson decodes
// them). Reads at most 12 bytes from p; a hex digit is never a quote, so a valid escape never
// runs over the string's closing quote.
inline size_t JsonEscape(const char* p, uint32_t& code_point) {
  switch (p[1]) {
    case '"':
    case '\\':
    case '/':
      code_point = static_cast<unsigned char>(p[1]);
      return 2;
    case 'b':
      code_point = '\b';
      return 2;
    case 'f':
      code_point = '\f';
      return 2;
    case 'n':
      code_point = '\n';
      return 2;
    case 'r':
      code_point = '\r';
      return 2;
    case 't':
      code_point = '\t';
      return 2;
    case 'u': {
      const int32_t unit = JsonHexQuad(p + 2);
      if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return 0;
      if (unit < 0xD800 || unit > 0xDBFF) {
        code_point = static_cast<uint32_t>(unit);
        return 6;
      }
      if (p[6] != '\\' || p[7] != 'u') return 0;
      const int32_t low = JsonHexQuad(p + 8);
      if (low < 0xDC00 || low > 0xDFFF) return 0;
      code_point = 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) +
                   (static_cast<uint32_t>(low) - 0xDC00);
      return 12;
    }
    default:
      return 0;
  }
}

// Writes code point cp (at most U+10FFFF, not a surrogate) as UTF-8 at `out` (4 bytes must be
// writable) and returns its length.
inline size_t EncodeUtf8(uint32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

}  // namespace sluice
