// ASCII case folding, as SQL's lower() and ILIKE do it here: only the letters A to Z fold, and
// bytes outside ASCII (UTF-8) are compared as they are.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice {

inline char FoldAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

inline std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = FoldAscii(c);
  return out;
}

// s[0, n) equals lower[0, n) after folding s's ASCII letters (lower has no upper-case letters).
inline bool EqualsFoldedAscii(const char* s, const char* lower, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (FoldAscii(s[i]) != lower[i]) return false;
  return true;
}

}  // namespace sluice
