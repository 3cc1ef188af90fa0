#include "exec/like.h"

#include <cstdint>
#include <cstring>

#include "common/ascii.h"

namespace sluice {
namespace {

// Bytes of the UTF-8 character starting at s[i] (1 for a stray continuation byte), clipped to s.
inline size_t CharLength(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  return n > s.size() - i ? s.size() - i : n;
}

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

}  // namespace

bool LikeMatch(std::string_view s, std::string_view p, bool case_insensitive) {
  // Greedy matching that backtracks to the last % only: linear in practice, never exponential.
  size_t si = 0, pi = 0;
  size_t star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size()) {
      char pc = p[pi];
      if (pc == '%') {
        star_p = ++pi;
        star_s = si;
        continue;
      }
      if (pc == '_') {
        si += CharLength(s, si);
        ++pi;
        continue;
      }
      size_t plen = 1;
      if (pc == '\\' && pi + 1 < p.size()) {
        pc = p[pi + 1];
        plen = 2;
      }
      char sc = s[si];
      if (sc == pc || (case_insensitive && FoldAscii(sc) == FoldAscii(pc))) {
        ++si;
        pi += plen;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    star_s += CharLength(s, star_s);  // let the last % take one more character
    si = star_s;
    pi = star_p;
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

bool ContainsIgnoreAsciiCase(std::string_view haystack, std::string_view needle) {
  const size_t m = needle.size();
  if (m == 0) return true;
  if (haystack.size() < m) return false;
  const char* h = haystack.data();
  const size_t last = haystack.size() - m;  // the last position a match can start
  const char first = needle[0];
  // OR-ing 0x20 folds both cases of a letter onto the lower-case one; only letters may be folded.
  const bool letter = first >= 'a' && first <= 'z';
  const uint64_t fold = letter ? 0x2020202020202020ULL : 0;
  const uint64_t pattern = kOnes * static_cast<unsigned char>(first);
  const char* rest = needle.data() + 1;
  size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // Find candidate first characters 8 bytes at a time (SWAR), verify each candidate.
  for (; i + 8 <= haystack.size() && i <= last; i += 8) {
    uint64_t word;
    std::memcpy(&word, h + i, 8);
    uint64_t x = (word | fold) ^ pattern;
    uint64_t zero = (x - kOnes) & ~x & kHighs;  // high bit set in (at least) the first zero byte
    while (zero != 0) {
      size_t pos = i + static_cast<size_t>(__builtin_ctzll(zero)) / 8;
      if (pos > last) return false;
      if (FoldAscii(h[pos]) == first && EqualsFoldedAscii(h + pos + 1, rest, m - 1)) return true;
      zero &= zero - 1;
    }
  }
#endif
  for (; i <= last; ++i) {
    if (FoldAscii(h[i]) == first && EqualsFoldedAscii(h + i + 1, rest, m - 1)) return true;
  }
  return false;
}

bool MatchLike(const Expr& e, std::string_view s) {
  const std::string& needle = e.like_needle;
  const bool ci = e.case_insensitive;
  switch (e.like_shape) {
    case LikeShape::kAny:
      return true;
    case LikeShape::kContains:
      return ci ? ContainsIgnoreAsciiCase(s, needle) : s.find(needle) != std::string_view::npos;
    case LikeShape::kPrefix:
      return s.size() >= needle.size() &&
             (ci ? EqualsFoldedAscii(s.data(), needle.data(), needle.size())
                 : s.substr(0, needle.size()) == needle);
    case LikeShape::kSuffix: {
      if (s.size() < needle.size()) return false;
      std::string_view tail = s.substr(s.size() - needle.size());
      return ci ? EqualsFoldedAscii(tail.data(), needle.data(), needle.size()) : tail == needle;
    }
    case LikeShape::kExact:
      return s.size() == needle.size() &&
             (ci ? EqualsFoldedAscii(s.data(), needle.data(), needle.size()) : s == needle);
    case LikeShape::kGeneral:
      return LikeMatch(s, e.literal.s, ci);
  }
  return false;
}

}  // namespace sluice
