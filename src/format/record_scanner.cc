#include "format/record_scanner.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "common/ascii.h"
#include "format/json_grammar.h"

#if defined(__AVX2__)
#include <immintrin.h>
// AVX-512 code is compiled for these functions only and run where the CPU has it (checked at
// run time): the rest of the binary stays AVX2.
#define SLUICE_SCANNER_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,bmi,bmi2,pclmul")))
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice {
namespace {

// The byte at `end` is readable (the record's newline or padding), so the common case, no
// whitespace at all, costs one test.
inline const char* SkipWhitespace(const char* p, const char* end) {
  if (static_cast<unsigned char>(*p) > ' ') return p;
  while (p < end && IsJsonWhitespace(*p)) ++p;
  return p;
}

// The first byte at or after p that is a quote, a backslash, a control character or not ASCII;
// a pointer at or past `end` when there is none before it. Reads up to 15 bytes past `end`.
inline const char* SkipPlain(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  // A signed compare: bytes 0x80..0xFF are negative, so one test flags control characters and
  // every byte that is not ASCII.
  const __m128i space = _mm_set1_epi8(0x20);
  for (; p < end; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmplt_epi8(v, space));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
    if (mask != 0) return p + __builtin_ctz(mask);
  }
  return p;
#else
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return p;
  }
  return p;
#endif
}

// The closing quote of the string whose body starts at p, or nullptr when the body is not valid
// (a control character, an escape JSON does not have, bytes that are not UTF-8) or does not close
// before `end`. `escaped` is set when the body holds an escape: its value then differs from its
// bytes.
inline const char* StringEnd(const char* p, const char* end, bool& escaped) {
  for (;;) {
    p = SkipPlain(p, end);
    if (p >= end) return nullptr;
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') return p;
    if (c == '\\') {
      uint32_t code_point = 0;
      const size_t n = JsonEscape(p, code_point);
      if (n == 0) return nullptr;
      escaped = true;
      p += n;
    } else if (c < 0x20) {
      return nullptr;
    } else {
      const size_t n = Utf8SequenceLength(std::string_view(p, static_cast<size_t>(end - p)), 0);
      if (n == 0) return nullptr;
      p += n;
    }
  }
}

// Writes the value of the valid string body [p, q) with its escapes decoded at `out`, and
// returns the end of the value. Reads up to 15 bytes past q, and writes up to 15 bytes past the
// value's end (bytes the next value overwrites): the bytes between escapes are moved 16 at a
// time, as runs of a few bytes between escapes (\u0063rash) are what escaped records hold.
char* Unescape(const char* p, const char* q, char* out) {
  while (p < q) {
#if defined(__SSE2__)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
    const auto mask =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    const auto plain = static_cast<size_t>(mask == 0 ? 16 : __builtin_ctz(mask));
#else
    const auto* bs = static_cast<const char*>(std::memchr(p, '\\', static_cast<size_t>(q - p)));
    const auto plain = static_cast<size_t>((bs ? bs : q) - p);
    std::memcpy(out, p, plain);
#endif
    if (plain >= static_cast<size_t>(q - p)) return out + (q - p);
    p += plain;
    out += plain;
    if (*p != '\\') continue;  // 16 plain bytes copied: the next 16
    uint32_t code_point = 0;
    p += JsonEscape(p, code_point);
    out += EncodeUtf8(code_point, out);
  }
  return out;
}

// Whether the n bytes at p hold a backslash. Reads up to 15 bytes past them.
inline bool HasBackslash(const char* p, size_t n) {
#if defined(__SSE2__)
  for (size_t i = 0; i < n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    if (n - i < 16) mask &= (1u << (n - i)) - 1;
    if (mask != 0) return true;
  }
  return false;
#else
  return std::memchr(p, '\\', n) != nullptr;
#endif
}

// The bytes of a loaded 8 that belong to a key of `len` bytes.
inline uint64_t MaskFor(size_t len) {
  return len >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * len)) - 1;
}

inline uint64_t Load8(const char* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);  // little-endian: byte 0 is the lowest
  return v;
}

// Whether the 8 bytes of `chunk` are all ASCII digits.
inline bool AllDigits(uint64_t chunk) {
  constexpr uint64_t kHigh = 0xF0F0F0F0F0F0F0F0;
  constexpr uint64_t kZeros = 0x3030303030303030;
  return (chunk & kHigh) == kZeros && ((chunk + 0x0606060606060606) & kHigh) == kZeros;
}

// The value of 8 ASCII digits, the first in the lowest byte.
inline uint64_t EightDigits(uint64_t chunk) {
  chunk = (chunk & 0x0F0F0F0F0F0F0F0F) * 2561 >> 8;
  chunk = (chunk & 0x00FF00FF00FF00FF) * 6553601 >> 16;
  return (chunk & 0x0000FFFF0000FFFF) * 42949672960001 >> 32;
}

// A JSON integer that surely fits int64 (at most 18 digits), ending where the number ends.
inline const char* ReadInt(const char* p, const char* end, int64_t& out) {
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  const char* digits = p;
  uint64_t v = 0;
  // Eight digits at a time (SWAR), then one at a time: an epoch-millisecond time has 13.
  while (end - p >= 8) {  // more than 18 digits wrap around harmlessly: refused below
    const uint64_t eight = Load8(p);
    if (!AllDigits(eight)) break;
    v = v * 100'000'000 + EightDigits(eight);
    p += 8;
  }
  while (p < end && *p >= '0' && *p <= '9') v = v * 10 + static_cast<uint64_t>(*p++ - '0');
  const auto n = p - digits;
  if (n == 0 || n > 18 || (n > 1 && *digits == '0')) return nullptr;
  // A fraction or an exponent: the full parser says whether it is an integer (it is not).
  if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return nullptr;
  out = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return p;
}

// The integer that is exactly [p, end) when it has at most 16 digits, read with two loads of 8
// bytes and no loop (8 bytes after p must be readable). False: not such an integer; longer ones
// and every error are left to ReadInt.
inline bool ReadIntSpan(const char* p, const char* end, int64_t& out) {
  const bool negative = *p == '-';
  p += negative ? 1 : 0;
  const auto n = static_cast<size_t>(end - p);
  if (n == 0 || n > 16 || (n > 1 && *p == '0')) return false;
  constexpr uint64_t kZeros = 0x3030303030303030;
  // Which of a load's low bytes are `pad` bytes to read as '0'.
  auto low = [](size_t pad) { return (uint64_t{1} << (8 * pad)) - 1; };
  uint64_t v = 0;
  if (n <= 8) {
    // The digits move up so the last one lands in the top byte (what follows them drops out).
    const size_t pad = 8 - n;
    const uint64_t chunk = (Load8(p) << (8 * pad)) | (kZeros & low(pad));
    if (!AllDigits(chunk)) return false;
    v = EightDigits(chunk);
  } else {
    static constexpr uint64_t kPow10[9] = {1,      10,      100,      1000,     10000,
                                           100000, 1000000, 10000000, 100000000};
    // The last 8 bytes, less the ones the first 8 already hold.
    const size_t pad = 16 - n;
    const uint64_t high = Load8(p);
    const uint64_t tail = (Load8(end - 8) & ~low(pad)) | (kZeros & low(pad));
    if (!AllDigits(high) || !AllDigits(tail)) return false;
    v = EightDigits(high) * kPow10[n - 8] + EightDigits(tail);
  }
  out = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

inline const char* ReadAtom(const char* p, const char* end, std::string_view atom) {
  if (static_cast<size_t>(end - p) < atom.size() || std::memcmp(p, atom.data(), atom.size()) != 0)
    return nullptr;
  return p + atom.size();
}

// Checks a value nobody reads that is not a string; returns its end, or nullptr when unsure
// (nested values too).
inline const char* SkipScalar(const char* p, const char* end) {
  switch (*p) {
    case 't':
      return ReadAtom(p, end, "true");
    case 'f':
      return ReadAtom(p, end, "false");
    case 'n':
      return ReadAtom(p, end, "null");
    default:
      return JsonNumberEnd(p, end);  // nullptr for '{', '[' and anything else
  }
}

}  // namespace

// RunIndex indexes a run of consecutive records 64 bytes at a time, as simdjson's stage 1 does
// for a document: from bit masks of each block's quotes, backslashes, operators { } : , spaces
// and control characters it finds the strings (every unescaped quote opens or closes one; the
// in-string mask is the prefix XOR of the quotes, reset where a record starts) and writes each
// record's tokens: its quotes, the operators outside strings, and the first byte of every other
// run of bytes outside strings (a scalar, or junk). A walk over a flat object then reads about
// five tokens per key and value and never looks at a string's body, and a byte out of place
// anywhere between tokens is a token the walk does not expect.
//
// The rare bytes are checked where they occur: escapes (which also drop the quotes they
// escape), bytes outside ASCII (UTF-8 sequences), and control characters, which are whitespace
// or errors that the string-by-string walk decides: such a record is flagged kSlow.
class RunIndex {
 public:
  // kText: the record holds the prefilter's text (SetText).
  enum Flag : uint8_t { kEscaped = 1, kSlow = 2, kText = 4 };

  explicit RunIndex(bool avx512) : avx512_(avx512) {
    // A token per byte at most, and room for a block's whole store; a flag per record, of which
    // a run takes at most kRunBytes (empty records take no bytes).
    tokens_.resize(RecordScanner::kRunBytes + 128);
    chars_.resize(RecordScanner::kRunBytes + 128);
    start_bits_.resize(RecordScanner::kRunBytes / 64 + 2);
    flags_.resize(RecordScanner::kRunBytes + 1);
  }

  size_t Build(const char* base, const uint32_t* starts, size_t count) {
    const uint32_t first = starts[0];
    size_t n = 0;
    while (n < count && n < RecordScanner::kRunBytes &&
           starts[n + 1] - first <= RecordScanner::kRunBytes) {
      ++n;
    }
    if (n == 0) return 0;
    base_ = base + first;
    starts_ = starts;
    first_ = first;
    n_ = n;
    len_ = starts[n] - first;
    std::memset(flags_.data(), 0, n);
    // Where records start (and the run ends), a bit per byte.
    const size_t words = len_ / 64 + 2;
    std::memset(start_bits_.data(), 0, words * sizeof(uint64_t));
    for (size_t k = 0; k <= n; ++k) {
      const size_t at = Start(k);
      start_bits_[at / 64] |= uint64_t{1} << (at % 64);
    }
    count_ = 0;
    escaped_quote_carry_ = 0;
    escape_until_ = 0;
    utf8_until_ = 0;
    last_at_ = 0;
#if defined(SLUICE_SCANNER_AVX512)
    if (avx512_) {
      Blocks512();
    } else {
      Blocks();
    }
#else
    Blocks();
#endif
    // Past the last token: offsets no record reaches, so a walk stops at the run's end.
    std::fill_n(tokens_.data() + count_, kSentinels, UINT32_MAX);
    return n;
  }

  // The text each record is searched for (ASCII-lowercased; empty: none), ignoring ASCII case:
  // records that hold it are flagged kText.
  void SetText(std::string text) { text_ = std::move(text); }

  // Tokens after the last one, UINT32_MAX, that a walk may read.
  static constexpr size_t kSentinels = 8;
  // A token's byte in chars() when it starts a scalar (whatever its first byte).
  static constexpr uint8_t kScalar = '0';

  const char* base() const { return base_; }
  uint8_t flags(size_t k) const { return flags_[k]; }
  // Record k: bytes [Start(k), Start(k + 1)) of base(), less a trailing newline.
  size_t Start(size_t k) const { return starts_[k] - first_; }
  // The tokens of every record in order, as offsets from base(), then kSentinels.
  const uint32_t* tokens() const { return tokens_.data(); }
  // Each token's byte (kScalar for a scalar), then at least 64 readable bytes.
  const uint8_t* chars() const { return chars_.data(); }
  // The first token at or after `offset`.
  size_t TokenAt(size_t offset) const {
    return static_cast<size_t>(
        std::lower_bound(tokens_.data(), tokens_.data() + count_, static_cast<uint32_t>(offset)) -
        tokens_.data());
  }

 private:
  // The classes of a block's 64 bytes, a bit each.
  struct Masks {
    uint64_t quote = 0;      // "
    uint64_t backslash = 0;  // backslash
    uint64_t ctrl = 0;       // below 0x20
    uint64_t high = 0;       // not ASCII
    uint64_t newline = 0;    // \n (the end of a JSON line)
    uint64_t space = 0;      // ' ' (other whitespace is a control character: the slow walk)
    uint64_t op = 0;         // { } : ,
  };

  static Masks Classify(const char* p) {
    Masks m;
#if defined(__AVX2__)
    for (int k = 0; k < 2; ++k) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
      auto bits = [](__m256i x) {
        return static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(x)));
      };
      auto is = [&](char c) { return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c)); };
      const int shift = 32 * k;
      const uint64_t high = bits(v);
      m.high |= high << shift;
      m.quote |= bits(is('"')) << shift;
      m.backslash |= bits(is('\\')) << shift;
      // A signed compare: bytes outside ASCII are negative too, and taken out again.
      m.ctrl |= (bits(_mm256_cmpgt_epi8(_mm256_set1_epi8(' '), v)) & ~high) << shift;
      m.newline |= bits(is('\n')) << shift;
      m.space |= bits(is(' ')) << shift;
      m.op |= bits(_mm256_or_si256(_mm256_or_si256(is('{'), is('}')),
                                   _mm256_or_si256(is(':'), is(','))))
              << shift;
    }
#else
    for (int i = 0; i < 64; ++i) {
      const auto c = static_cast<unsigned char>(p[i]);
      const uint64_t bit = uint64_t{1} << i;
      if (c == '"') m.quote |= bit;
      if (c == '\\') m.backslash |= bit;
      if (c < 0x20) m.ctrl |= bit;
      if (c >= 0x80) m.high |= bit;
      if (c == '\n') m.newline |= bit;
      if (c == ' ') m.space |= bit;
      if (c == '{' || c == '}' || c == ':' || c == ',') m.op |= bit;
    }
#endif
    return m;
  }

  void Blocks() {
    Carry carry;
    for (size_t at = 0; at < len_; at += 64) {
      uint64_t scalars = 0;
      const uint64_t tokens = Block(Classify(base_ + at), at, scalars, carry);
      Append(tokens, at);
      if (!text_.empty() && at + text_.size() <= len_) {
        if (const uint64_t found = TextStarts(at); found != 0) Text(found, at);
      }
    }
  }

  // The places of the block at `at` where the whole text fits before the run's end (at +
  // text_.size() <= len_): a bit each.
  uint64_t TextRoom(size_t at) const {
    const size_t positions = std::min<size_t>(64, len_ - at - text_.size() + 1);
    return positions == 64 ? ~uint64_t{0} : (uint64_t{1} << positions) - 1;
  }

  // Where the text may start in the block at `at` (at + text_.size() <= len_): its first and
  // last bytes, both folded with | 0x20 (which folds upper- onto lower-case letters, and a few
  // other bytes onto others: only more candidates). The load at + size - 1 further stays within
  // the 64 bytes readable after the run.
  uint64_t TextStarts(size_t at) const {
    const size_t k = text_.size();
    const char* p = base_ + at;
    uint64_t found = 0;
#if defined(__AVX2__)
    const __m256i fold = _mm256_set1_epi8(0x20);
    const __m256i first = _mm256_set1_epi8(static_cast<char>(text_[0] | 0x20));
    const __m256i last = _mm256_set1_epi8(static_cast<char>(text_[k - 1] | 0x20));
    for (int h = 0; h < 2; ++h) {
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * h));
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * h + k - 1));
      const __m256i both = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a, fold), first),
                                            _mm256_cmpeq_epi8(_mm256_or_si256(b, fold), last));
      found |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(both))} << (32 * h);
    }
#else
    const char first = static_cast<char>(text_[0] | 0x20);
    const char last = static_cast<char>(text_[k - 1] | 0x20);
    for (size_t i = 0; i < 64 && at + i + k <= len_; ++i) {
      if (static_cast<char>(p[i] | 0x20) == first && static_cast<char>(p[i + k - 1] | 0x20) == last)
        found |= uint64_t{1} << i;
    }
#endif
    return found & TextRoom(at);
  }

  // Checks each candidate start of the text in the block at `at`: a record that holds it whole
  // is flagged kText.
  __attribute__((noinline)) void Text(uint64_t found, size_t at) {
    for (; found != 0; found &= found - 1) {
      const size_t p = at + TrailingZeros(found);
      const size_t k = RecordAt(p);
      if ((flags_[k] & kText) == 0 && p + text_.size() <= Start(k + 1) &&
          EqualsFoldedAscii(base_ + p, text_.data(), text_.size())) {
        flags_[k] |= kText;
      }
    }
  }

#if defined(SLUICE_SCANNER_AVX512)
  // The same with AVX-512 (BW, VBMI2): compares give bit masks directly, and one compress per
  // block writes its token positions. Only called where the CPU has them.
  SLUICE_SCANNER_AVX512 void Blocks512() {
    alignas(64) static constexpr uint8_t kIota[64] = {
        0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
        22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
        44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
    const __m512i iota = _mm512_load_si512(kIota);
    const __m512i quote = _mm512_set1_epi8('"');
    const __m512i backslash = _mm512_set1_epi8('\\');
    const __m512i space = _mm512_set1_epi8(' ');
    const __m512i newline = _mm512_set1_epi8('\n');
    const __m512i open = _mm512_set1_epi8('{');
    const __m512i close = _mm512_set1_epi8('}');
    const __m512i colon = _mm512_set1_epi8(':');
    const __m512i comma = _mm512_set1_epi8(',');
    const __m512i scalar_class = _mm512_set1_epi8(static_cast<char>(kScalar));
    // The prefilter's text: its first and last bytes, folded as TextStarts folds them.
    const size_t text_size = text_.size();
    const __m512i fold = _mm512_set1_epi8(0x20);
    const __m512i text_first =
        _mm512_set1_epi8(static_cast<char>(text_size == 0 ? 0 : text_[0] | 0x20));
    const __m512i text_last =
        _mm512_set1_epi8(static_cast<char>(text_size == 0 ? 0 : text_[text_size - 1] | 0x20));
    // Locals, not members: the stores of token bytes could alias members, which would then go
    // through memory from one block to the next.
    Carry carry;
    size_t count = 0;
    uint32_t* const tokens_out = tokens_.data();
    uint8_t* const chars_out = chars_.data();
    for (size_t at = 0; at < len_; at += 64) {
      const __m512i v = _mm512_loadu_si512(base_ + at);
      // (No lambdas here: they would not inherit this function's target.)
      Masks m;
      m.quote = _mm512_cmpeq_epi8_mask(v, quote);
      m.backslash = _mm512_cmpeq_epi8_mask(v, backslash);
      m.ctrl = _mm512_cmplt_epu8_mask(v, space);
      m.high = _mm512_movepi8_mask(v);
      m.newline = _mm512_cmpeq_epi8_mask(v, newline);
      m.space = _mm512_cmpeq_epi8_mask(v, space);
      m.op = _mm512_cmpeq_epi8_mask(v, open) | _mm512_cmpeq_epi8_mask(v, close) |
             _mm512_cmpeq_epi8_mask(v, colon) | _mm512_cmpeq_epi8_mask(v, comma);
      uint64_t scalars = 0;
      const uint64_t tokens = Block(m, at, scalars, carry);
      // The tokens' bytes, scalars as kScalar.
      _mm512_storeu_si512(
          chars_out + count,
          _mm512_maskz_compress_epi8(tokens, _mm512_mask_blend_epi8(scalars, v, scalar_class)));
      // The tokens' offsets in the block, packed into the low bytes, widened 16 at a time. The
      // first 32 are stored whatever their number: log records have 10 to 20 tokens a block, so
      // a branch on more than 16 went either way at random, and its mispredictions cost more
      // than the store (15 % of the index's time, on batches the predictor has not learned).
      const __m512i packed = _mm512_maskz_compress_epi8(tokens, iota);
      const auto n = static_cast<size_t>(__builtin_popcountll(tokens));
      const __m512i block = _mm512_set1_epi32(static_cast<int>(at));
      uint32_t* out = tokens_out + count;
      // (The maskz forms: GCC 12 warns about the undefined vectors of the plain ones.)
#define SLUICE_WIDEN(lane)                            \
  _mm512_add_epi32(block, _mm512_maskz_cvtepu8_epi32( \
                              0xFFFF, _mm512_maskz_extracti32x4_epi32(0xF, packed, lane)))
      _mm512_storeu_si512(out, SLUICE_WIDEN(0));
      _mm512_storeu_si512(out + 16, SLUICE_WIDEN(1));
      if (n > 32) {
        _mm512_storeu_si512(out + 32, SLUICE_WIDEN(2));
        _mm512_storeu_si512(out + 48, SLUICE_WIDEN(3));
      }
#undef SLUICE_WIDEN
      count += n;
      if (text_size != 0 && at + text_size <= len_) {
        const __m512i w = _mm512_loadu_si512(base_ + at + text_size - 1);
        const uint64_t found = _mm512_cmpeq_epi8_mask(_mm512_or_si512(v, fold), text_first) &
                               _mm512_cmpeq_epi8_mask(_mm512_or_si512(w, fold), text_last) &
                               TextRoom(at);
        if (found != 0) Text(found, at);
      }
    }
    count_ = count;
  }
#endif

  // What a block leaves to the next (locals of the loops: in registers).
  struct Carry {
    uint64_t in_string = 0;  // all ones while the last block ended inside a string
    uint64_t scalar = 0;     // 1 when its last byte was loose
  };
  // The block at `at` from its masks: checks its rare bytes and returns its tokens, and in
  // `scalars` those that start a scalar. (Always inlined: a call from Blocks512 would cost a
  // vzeroupper and the masks a trip through memory.)
  __attribute__((always_inline)) uint64_t Block(const Masks& m, size_t at, uint64_t& scalars,
                                                Carry& carry) {
    const size_t left = len_ - at;
    const uint64_t valid = left >= 64 ? ~uint64_t{0} : (uint64_t{1} << left) - 1;
    // Where records start in this block, and the bytes that end one (a record's newline is not
    // part of it).
    const uint64_t starts = start_bits_[at / 64];
    const uint64_t last_bytes = (starts >> 1) | (start_bits_[at / 64 + 1] << 63);

    uint64_t quotes = m.quote & valid;
    if (((m.backslash & valid) | escaped_quote_carry_) != 0) {
      quotes &= ~Escapes(m.backslash & valid, at);
    }
    if ((m.high & valid) != 0) CheckUtf8(m.high & valid, at);
    const uint64_t ctrl = m.ctrl & valid;
    if (const uint64_t inner = ctrl & ~(m.newline & last_bytes); inner != 0) Flag(inner, at, kSlow);

    uint64_t inside = PrefixXor(quotes) ^ carry.in_string;
    // A record starts outside any string, whatever the one before it left open (a well-formed
    // record closes its strings: this is for the others).
    if ((((inside << 1) | (carry.in_string & 1)) & starts) != 0) {
      inside = CloseAtStarts(inside, starts, carry.in_string);
    }
    carry.in_string = static_cast<uint64_t>(static_cast<int64_t>(inside) >> 63);
    // Bytes outside strings that are not tokens or spaces: scalars (or junk). The first byte of
    // each run of them is a token; a run never continues into the next record.
    const uint64_t loose = ~(inside | quotes | m.space | m.op | ctrl) & valid;
    const uint64_t continued = ((loose << 1) | carry.scalar) & ~starts;
    carry.scalar = loose >> 63;
    scalars = loose & ~continued;
    return (m.op & valid & ~inside) | quotes | scalars;
  }

  // `inside` with each record that starts in the block starting outside strings.
  __attribute__((noinline)) static uint64_t CloseAtStarts(uint64_t inside, uint64_t starts,
                                                          uint64_t in_string) {
    for (; starts != 0; starts &= starts - 1) {
      const unsigned b = TrailingZeros(starts);
      const uint64_t before = b == 0 ? in_string : inside >> (b - 1);
      if ((before & 1) != 0) inside ^= ~uint64_t{0} << b;
    }
    return inside;
  }

  // The quotes among the block's bytes that escapes escape; checks every escape (an invalid one
  // flags its record kSlow, where the full parser refuses it). An escape may run into the next
  // block: escape_until_ and escaped_quote_carry_ carry it.
  __attribute__((noinline)) uint64_t Escapes(uint64_t backslashes, size_t at) {
    uint64_t escaped = escaped_quote_carry_;
    escaped_quote_carry_ = 0;
    for (; backslashes != 0; backslashes &= backslashes - 1) {
      const size_t p = at + TrailingZeros(backslashes);
      if (p < escape_until_) continue;  // the second byte of \\, or inside a \\u escape
      const size_t k = RecordAt(p);
      flags_[k] |= kEscaped;
      uint32_t code_point = 0;
      const size_t n = JsonEscape(base_ + p, code_point);
      if (n == 0) {
        flags_[k] |= kSlow;
        escape_until_ = p + 1;
        continue;
      }
      escape_until_ = p + n;
      if (base_[p + 1] == '"') {
        if (p + 1 - at < 64) {
          escaped |= uint64_t{1} << (p + 1 - at);
        } else {
          escaped_quote_carry_ = 1;
        }
      }
    }
    return escaped;
  }

  // Checks the UTF-8 sequences that start in the block (an invalid one flags its record).
  __attribute__((noinline)) void CheckUtf8(uint64_t high, size_t at) {
    const std::string_view run(base_, len_);
    for (; high != 0; high &= high - 1) {
      const size_t p = at + TrailingZeros(high);
      if (p < utf8_until_) continue;  // a continuation byte already checked
      const size_t n = Utf8SequenceLength(run, p);
      if (n == 0) flags_[RecordAt(p)] |= kSlow;
      utf8_until_ = p + (n == 0 ? 1 : n);
    }
  }

  __attribute__((noinline)) void Flag(uint64_t bits, size_t at, uint8_t flag) {
    for (; bits != 0; bits &= bits - 1) flags_[RecordAt(at + TrailingZeros(bits))] |= flag;
  }

  // The record that holds byte p of the run (the last one asked, most often: escapes and
  // characters outside ASCII come a few to a record).
  size_t RecordAt(size_t p) {
    if (p >= Start(last_at_) && p < Start(last_at_ + 1)) return last_at_;
    const uint32_t* s = std::upper_bound(starts_, starts_ + n_, static_cast<uint32_t>(first_ + p));
    last_at_ = static_cast<size_t>(s - starts_) - 1;
    return last_at_;
  }

  // Writes the positions of the set bits and their bytes (kScalar for a scalar's), eight at a
  // time whatever their number (a branch per block rather than per token, as simdjson flattens
  // its index). GCC would pack the eight stores into vector inserts through the stack; the loop
  // stays scalar.
#if defined(__GNUC__) && !defined(__clang__)
  __attribute__((optimize("no-tree-vectorize")))
#endif
  void
  Append(uint64_t bits, size_t at) {
    const auto n = static_cast<size_t>(__builtin_popcountll(bits));
    uint32_t* out = tokens_.data() + count_;
    uint8_t* chars = chars_.data() + count_;
    const char* block = base_ + at;  // (64 bytes and one more are readable)
    const auto base = static_cast<uint32_t>(at);
    // A token that is not a quote or an operator starts a scalar.
    static constexpr auto kClass = [] {
      std::array<uint8_t, 256> c{};
      for (size_t i = 0; i < 256; ++i) c[i] = kScalar;
      for (const char op : {'"', '{', '}', ':', ','}) c[static_cast<uint8_t>(op)] = op;
      return c;
    }();
    auto one = [&](size_t i) {
      const unsigned b = TrailingZeros(bits);
      out[i] = base + b;
      chars[i] = kClass[static_cast<uint8_t>(block[b])];
      bits &= bits - 1;
    };
#pragma GCC unroll 8
    for (size_t i = 0; i < 8; ++i) one(i);
    if (n > 8) {
#pragma GCC unroll 8
      for (size_t i = 8; i < 16; ++i) one(i);
      for (size_t i = 16; i < n; ++i) one(i);
    }
    count_ += n;
  }

  // Bit i set when an odd number of bits of `m` are set at or below i.
  static uint64_t PrefixXor(uint64_t m) {
#if defined(__PCLMUL__)
    const __m128i all = _mm_set1_epi8(-1);
    return static_cast<uint64_t>(_mm_cvtsi128_si64(
        _mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<int64_t>(m)), all, 0)));
#else
    for (int s = 1; s < 64; s *= 2) m ^= m << s;
    return m;
#endif
  }
  // 64 for no bit (tzcnt's answer; __builtin_ctzll(0) is undefined).
  static unsigned TrailingZeros(uint64_t bits) {
#if defined(__BMI__)
    return static_cast<unsigned>(_tzcnt_u64(bits));
#else
    return bits == 0 ? 64 : static_cast<unsigned>(__builtin_ctzll(bits));
#endif
  }

  const bool avx512_;
  std::string text_;                  // SetText
  std::vector<uint32_t> tokens_;      // offsets from base_ of every record's tokens, in order
  std::vector<uint8_t> chars_;        // their bytes
  std::vector<uint64_t> start_bits_;  // a bit per byte of the run: where records start
  std::vector<uint8_t> flags_;        // per record: Flag bits
  const char* base_ = nullptr;        // the run's first byte
  const uint32_t* starts_ = nullptr;
  uint32_t first_ = 0;  // starts_[0]
  size_t n_ = 0;        // records
  size_t len_ = 0;      // bytes
  size_t count_ = 0;    // tokens so far
  // What a block leaves to the next besides its Carry: whether an escape ends on the next
  // block's first byte, a quote.
  uint64_t escaped_quote_carry_ = 0;
  size_t escape_until_ = 0;  // the end of the last escape checked
  size_t utf8_until_ = 0;    // the end of the last UTF-8 sequence checked
  size_t last_at_ = 0;       // RecordAt's last answer
};

RecordScanner::~RecordScanner() = default;

RecordScanner::RecordScanner(const std::vector<Field>& fields, bool allow_avx512)
    : fields_(fields) {
#if defined(SLUICE_SCANNER_AVX512)
  avx512_ =
      allow_avx512 && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi2");
#else
  (void)allow_avx512;
#endif
  if (fields_.size() > 64) {
    enabled_ = false;
    return;
  }
  for (const Field& f : fields_) {
    Key k{};
    k.name = f.name;
    k.type = f.type;
    std::memcpy(&k.prefix, f.name.data(), std::min<size_t>(f.name.size(), 8));
    k.mask = MaskFor(f.name.size());
    if (f.name.size() > 8 && f.name.size() <= 16)
      k.suffix = Load8(f.name.data() + f.name.size() - 8);
    keys_.push_back(k);
  }
  run_ = std::make_unique<RunIndex>(avx512_);
  all_seen_ = fields_.size() == 64 ? ~uint64_t{0} : (uint64_t{1} << fields_.size()) - 1;
}

RecordScanner::KeyHint RecordScanner::KeyHint::Of(const char* key, size_t len, int field) {
  const uint64_t mask = MaskFor(len);
  return {len, mask, Load8(key) & mask, len > 8 ? Load8(key + len - 8) : 0, field};
}

inline bool RecordScanner::KeyHint::Matches(const char* key, size_t n) const {
  return n == len && (Load8(key) & mask) == head && (n <= 8 || Load8(key + n - 8) == tail);
}

inline int RecordScanner::Lookup(const char* key, size_t len, size_t ordinal) {
  // Records of one producer list their keys in one order: the key at this place in the last
  // record is checked first (it also answers "not a field" for keys the query does not read).
  // Up to 16 bytes of the key are readable: the record's closing bytes or its padding follow.
  if (ordinal < kKeyHints && hints_[ordinal].Matches(key, len)) return hints_[ordinal].field;
  return LookupSlow(key, len, ordinal);
}

int RecordScanner::FieldNamed(const char* key, size_t len, uint64_t head, uint64_t tail) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    const Key& k = keys_[i];
    if (k.name.size() != len || (head & k.mask) != k.prefix) continue;
    // Names of 9 to 16 bytes: their last 8 bytes (overlapping the first); longer: the rest.
    if (len <= 8 ||
        (len <= 16 ? tail == k.suffix : std::memcmp(key + 8, k.name.data() + 8, len - 8) == 0)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int RecordScanner::LookupSlow(const char* key, size_t len, size_t ordinal) {
  const int found = FieldNamed(key, len, Load8(key), len > 8 ? Load8(key + len - 8) : 0);
  if (ordinal < kKeyHints && len <= 16) hints_[ordinal] = KeyHint::Of(key, len, found);
  return found;
}

bool RecordScanner::ReadString(const char* body, const char* close, bool escaped, const char* end,
                               const Key& key, Value& out) {
  if (key.type != Type::kString) return false;
  if (!escaped) {
    out = Value::String(std::string_view(body, static_cast<size_t>(close - body)));
    return true;
  }
  // Decoded values are never longer than their escapes, so a buffer of the rest of the record's
  // size (and Unescape's slack) never moves while one record is read, and earlier values stay
  // valid.
  const size_t room = static_cast<size_t>(end - body) + kUnescapeSlack;
  if (unescaped_cap_ < unescaped_size_ + room) {
    if (unescaped_size_ != 0) return false;
    unescaped_cap_ = std::max(room, 2 * unescaped_cap_);
    unescaped_ = std::make_unique<char[]>(unescaped_cap_);
  }
  char* const at = unescaped_.get() + unescaped_size_;
  char* const value_end = Unescape(body, close, at);
  unescaped_size_ = static_cast<size_t>(value_end - unescaped_.get());
  out = Value::String(std::string_view(at, static_cast<size_t>(value_end - at)));
  return true;
}

inline bool RecordScanner::ReadTokenString(const char* body, const char* close, bool record_escaped,
                                           const char* end, const Key& key, Value& out) {
  // The index checked the string's bytes; only a record with escapes has any to decode.
  const auto len = static_cast<size_t>(close - body);
  if (!record_escaped || !HasBackslash(body, len)) {
    out = Value::String(std::string_view(body, len));
    return true;
  }
  return ReadString(body, close, true, end, key, out);
}

__attribute__((always_inline)) inline bool RecordScanner::ScalarBeforeToken(const char* value,
                                                                            const char* next,
                                                                            int field, Value* row) {
  while (next[-1] == ' ') --next;  // (the value's first byte is not a space)
  if (field < 0) return SkipScalar(value, next) == next;
  const Key& key = keys_[static_cast<size_t>(field)];
  int64_t v = 0;
  if (key.type == Type::kInt64 && ReadIntSpan(value, next, v)) {
    row[field] = Value::Int(v);
    return true;
  }
  return ReadScalar(value, next, key, row[field]) == next;
}

const char* RecordScanner::ReadScalar(const char* p, const char* end, const Key& key, Value& out) {
  switch (key.type) {
    case Type::kInt64: {
      int64_t v = 0;
      const char* q = ReadInt(p, end, v);
      if (q != nullptr) out = Value::Int(v);
      return q;
    }
    case Type::kDouble: {
      const char* q = JsonNumberEnd(p, end);
      double d = 0;
      if (q == nullptr || !ParseJsonDouble(p, q, d)) return nullptr;
      out = Value::Double(d);
      return q;
    }
    case Type::kBool: {
      const char* q = ReadAtom(p, end, *p == 't' ? "true" : "false");
      if (q != nullptr) out = Value::Bool(*p == 't');
      return q;
    }
    default:
      return nullptr;
  }
}

size_t RecordScanner::IndexRun(const char* base, const uint32_t* starts, size_t count) {
  next_record_ = 0;
  next_token_ = 0;
  return enabled_ ? run_->Build(base, starts, count) : 0;
}

bool RecordScanner::Scan(std::string_view rec, size_t padding, Value* row) {
  if (!enabled_ || padding < kMinPadding) return false;
  if (padding >= kBlockPadding && rec.size() <= kRunBytes) {
    const uint32_t starts[2] = {0, static_cast<uint32_t>(rec.size())};
    if (IndexRun(rec.data(), starts, 1) == 1) return ScanIndexed(0, rec, row);
  }
  unescaped_size_ = 0;
  return Walk(rec.data(), rec.data() + rec.size(), row);
}

void RecordScanner::SetText(std::string text) {
  if (run_) run_->SetText(std::move(text));
}

bool RecordScanner::MayHoldText(size_t k) const {
  return (run_->flags(k) & (RunIndex::kText | RunIndex::kEscaped)) != 0;
}

bool RecordScanner::ScanIndexed(size_t k, std::string_view rec, Value* row) {
  unescaped_size_ = 0;
  if ((run_->flags(k) & RunIndex::kSlow) != 0) {
    return Walk(rec.data(), rec.data() + rec.size(), row);
  }
  return WalkTokens(k, row);
}

bool RecordScanner::WalkTokens(size_t k, Value* row) {
  const char* b = run_->base();
  // The record's tokens are those before `end` from the first at or after its start: where the
  // walk of the record before it stopped, when that walk went through.
  const auto end = static_cast<uint32_t>(run_->Start(k + 1));
  const size_t first = next_record_ == k ? next_token_ : run_->TokenAt(run_->Start(k));
  const uint32_t* at = run_->tokens() + first;
  const bool escaped = (run_->flags(k) & RunIndex::kEscaped) != 0;
  if (ReadLaidOut(b, at, run_->chars() + first, end, escaped, row)) {
    layout_misses_ = 0;
    next_record_ = k + 1;
    next_token_ = first + layout_.tokens;
    return true;
  }
  ++layout_misses_;
  // What the layout read decoded before it failed is read again: the buffer starts over, so it
  // never outgrows the capacity ReadString reserved (which would move the values read).
  unescaped_size_ = 0;
  if (at[1] >= end || b[at[0]] != '{') return false;
  size_t i = 1;
  uint64_t seen = 0;
  size_t ordinal = 0;
  if (b[at[1]] == '}') {
    i = 2;
  } else {
    for (;;) {
      // A key, its closing quote (the next token after an opening quote always is), a colon,
      // then a string value and its closing quote or a scalar, then a comma or the brace.
      // Tokens increase, so the last one read tells whether all are the record's.
      if (at[i + 4] >= end || b[at[i]] != '"' || b[at[i + 2]] != ':') return false;
      const char* key = b + at[i] + 1;
      const auto key_len = static_cast<size_t>(b + at[i + 1] - key);
      if (escaped && std::memchr(key, '\\', key_len) != nullptr) return false;  // the full parser
      const int idx = Lookup(key, key_len, ordinal++);
      size_t after;  // the token after the value
      const char* value = b + at[i + 3];
      if (*value == '"') {
        if (at[i + 5] >= end) return false;
        if (idx >= 0) {
          const Key& field = keys_[static_cast<size_t>(idx)];
          if (field.type != Type::kString ||
              !ReadTokenString(value + 1, b + at[i + 4], escaped, b + end, field, row[idx])) {
            return false;
          }
        }
        after = i + 5;
      } else {
        // A scalar: its token is the first byte of a run of bytes that ends before the next
        // token, less the spaces there.
        if (*value == '{' || *value == '}' || *value == ':' || *value == ',') return false;
        after = i + 4;
        if (!ScalarBeforeToken(value, b + at[after], idx, row)) return false;
      }
      if (idx >= 0) seen |= uint64_t{1} << idx;
      const char c = b[at[after]];
      i = after + 1;
      if (c == '}') break;
      if (c != ',') return false;
    }
  }
  if (at[i] < end || seen != all_seen_) return false;
  // A new layout after a few records of another (not at once: records of two layouts in turn
  // keep one of them). A layout that cannot be learned (a long key, many tokens) is tried again
  // only after as many misses, not on every record.
  if (!escaped && layout_misses_ >= 4) {
    Learn(b, at, run_->chars() + first, i);
  }
  next_record_ = k + 1;
  next_token_ = first + i;
  return true;
}

namespace {

// Whether the n bytes at a and b are the same; 31 bytes after each are readable.
inline bool SameBytes(const uint8_t* a, const uint8_t* b, size_t n) {
#if defined(__AVX2__)
  for (size_t i = 0; i < n; i += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i));
    const auto same = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, y)));
    const uint32_t want = n - i >= 32 ? ~uint32_t{0} : (uint32_t{1} << (n - i)) - 1;
    if ((same & want) != want) return false;
  }
  return true;
#else
  return std::memcmp(a, b, n) == 0;
#endif
}

}  // namespace

bool RecordScanner::ReadLaidOut(const char* b, const uint32_t* at, const uint8_t* chars,
                                uint32_t end, bool escaped, Value* row) {
  const size_t n = layout_.tokens;
  // Exactly n tokens in the record, the same bytes as the layout's.
  if (n == 0 || at[n - 1] >= end || at[n] < end || !SameBytes(chars, layout_.chars, n)) {
    return false;
  }
  for (size_t j = 0; j < layout_.num_keys; ++j) {
    const Layout::KeyAt& k = layout_.keys[j];
    const uint32_t* t = at + k.token;
    // (A key with an escape never matches: the layout's keys have none.)
    if (!k.key.Matches(b + t[0] + 1, t[1] - t[0] - 1)) return false;
    const int field = k.key.field;
    if (k.scalar) {
      if (!ScalarBeforeToken(b + t[3], b + t[4], field, row)) return false;
    } else if (field >= 0) {
      if (!ReadTokenString(b + t[3] + 1, b + t[4], escaped, b + end,
                           keys_[static_cast<size_t>(field)], row[field])) {
        return false;
      }
    }
  }
  return true;
}

void RecordScanner::Learn(const char* b, const uint32_t* at, const uint8_t* chars, size_t n) {
  layout_.tokens = 0;
  layout_misses_ = 0;
  if (n > Layout::kMaxTokens) return;
  size_t keys = 0;
  // The walk took the record: a key is 4 tokens and its value 1 or 2, then a comma or the brace.
  for (size_t i = 1; i + 4 < n; i += chars[i + 3] == '"' ? 6 : 5) {
    const char* name = b + at[i] + 1;
    const size_t len = at[i + 1] - at[i] - 1;
    if (len > 16) return;  // (longer names: only the walk)
    KeyHint key = KeyHint::Of(name, len, -1);
    key.field = FieldNamed(name, len, key.head, key.tail);
    layout_.keys[keys++] = {static_cast<uint32_t>(i), key, chars[i + 3] != '"'};
  }
  std::memcpy(layout_.chars, chars, n);
  layout_.num_keys = keys;
  layout_.tokens = n;
}

bool RecordScanner::Walk(const char* p, const char* end, Value* row) {
  p = SkipWhitespace(p, end);
  if (p == end || *p != '{') return false;
  p = SkipWhitespace(p + 1, end);
  if (p == end) return false;
  uint64_t seen = 0;
  size_t ordinal = 0;
  if (*p == '}') {
    ++p;
  } else {
    for (;;) {
      if (*p != '"') return false;
      bool escaped = false;
      const char* key_end = StringEnd(p + 1, end, escaped);
      if (key_end == nullptr || escaped) return false;  // an escaped key: the full parser
      const int idx = Lookup(p + 1, static_cast<size_t>(key_end - p - 1), ordinal++);
      p = SkipWhitespace(key_end + 1, end);
      if (p == end || *p != ':') return false;
      p = SkipWhitespace(p + 1, end);
      if (p == end) return false;
      if (*p == '"') {
        escaped = false;
        const char* close = StringEnd(p + 1, end, escaped);
        if (close == nullptr) return false;
        if (idx >= 0 &&
            !ReadString(p + 1, close, escaped, end, keys_[static_cast<size_t>(idx)], row[idx])) {
          return false;
        }
        p = close + 1;
      } else {
        p = idx < 0 ? SkipScalar(p, end)
                    : ReadScalar(p, end, keys_[static_cast<size_t>(idx)], row[idx]);
        if (p == nullptr) return false;
      }
      if (idx >= 0) seen |= uint64_t{1} << idx;
      p = SkipWhitespace(p, end);
      if (p == end) return false;
      if (*p == '}') {
        ++p;
        break;
      }
      if (*p != ',') return false;
      p = SkipWhitespace(p + 1, end);
      if (p == end) return false;
    }
  }
  return SkipWhitespace(p, end) == end && seen == all_seen_;
}

}  // namespace sluice
