// UTF-8 checks shared by everything that writes text out of records (JSON output, the monitor,
// the generator's own validation).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
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
// A table rather than comparisons: escapes mix digits and letters, which branches mispredict.
inline int HexDigit(char c) {
  static constexpr auto kDigits = [] {
    std::array<int8_t, 256> t{};
    for (int i = 0; i < 256; ++i) {
      t[static_cast<size_t>(i)] = i >= '0' && i <= '9'   ? static_cast<int8_t>(i - '0')
                                  : i >= 'a' && i <= 'f' ? static_cast<int8_t>(i - 'a' + 10)
                                  : i >= 'A' && i <= 'F' ? static_cast<int8_t>(i - 'A' + 10)
                                                         : int8_t{-1};
    }
    return t;
  }();
  return kDigits[static_cast<unsigned char>(c)];
}

}  // namespace sluice
