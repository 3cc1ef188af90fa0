// UTF-8 checks shared by everything that writes text out of records (JSON output, the monitor,
// the generator's own validation).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice {

// Length of the valid UTF-8 sequence starting at s[i] (1 for ASCII), or 0 if it is invalid:
// bad lead or continuation byte, truncated, overlong, a surrogate or above U+10FFFF.
size_t Utf8SequenceLength(std::string_view s, size_t i);
bool IsValidUtf8(std::string_view s);

// Appends `s` as a quoted JSON string (RFC 8259). Bytes that are not valid UTF-8 become U+FFFD,
// so the output always parses, whatever bytes a record carried.
void AppendJsonString(std::string& out, std::string_view s);

// The value of a hexadecimal digit (either case), or -1 (JSON's \uXXXX, URLs' %XX).
inline int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace sluice
