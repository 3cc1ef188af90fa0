#include "format/record_scanner.h"

#include <algorithm>
#include <cstring>

#include "common/ascii.h"
#include "format/json_grammar.h"

#if defined(__AVX2__)
#include <immintrin.h>
// AVX-512 code is compiled for these functions only and run where the CPU has it (checked at
// run time): the rest of the binary stays AVX2.
#define SLUICE_SCANNER_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi,bmi2")))
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice {
namespace {

// The low n bits (all 64 for n >= 64).
constexpr uint64_t LowBits(size_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

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

// Decodes the escape at p (its backslash) to `out`, moves `out` past what it wrote (up to 4
// bytes), and returns the byte after the escape (nullptr: not an escape JSON has). Reads up to 12
// bytes from p.
inline const char* DecodeEscape(const char* p, char*& out) {
  uint32_t code_point = 0;
  const size_t n = JsonEscape(p, code_point);
  if (n == 0) return nullptr;
  out += EncodeUtf8(code_point, out);
  return p + n;
}

// Writes the value of the valid string body [p, q) with its escapes decoded at `out`, and
// returns the end of the value (nullptr for an escape that is not valid after all: the index
// checked them, and this keeps a disagreement from decoding forever). Reads up to 15 bytes past q,
// and writes up to 15 bytes past the value's end (bytes the next value overwrites): the bytes
// between escapes are moved 16 at a time, as runs of a few bytes between escapes (\u0063rash) are
// what escaped records hold.
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
    p = DecodeEscape(p, out);
    if (p == nullptr) return nullptr;
  }
  return out;
}

#if defined(SLUICE_SCANNER_AVX512)
// The 64 bytes from p + k of the `size` readable bytes at p, zeros past them.
SLUICE_SCANNER_AVX512 __attribute__((always_inline)) inline __m512i BytesAt(const char* p,
                                                                            size_t size, size_t k) {
  const size_t n = size > k ? size - k : 0;
  return _mm512_maskz_loadu_epi8(LowBits(n), p + k);
}

// The bytes of x from lo to hi (unsigned), a bit each.
SLUICE_SCANNER_AVX512 __attribute__((always_inline)) inline uint64_t InRange(__m512i x, uint8_t lo,
                                                                             uint8_t hi) {
  return _mm512_cmplt_epu8_mask(_mm512_sub_epi8(x, _mm512_set1_epi8(static_cast<char>(lo))),
                                _mm512_set1_epi8(static_cast<char>(hi - lo + 1)));
}
SLUICE_SCANNER_AVX512 __attribute__((always_inline)) inline uint64_t ByteIs(__m512i x, uint8_t c) {
  return _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(static_cast<char>(c)));
}

// simdjson's bit trick over a block's backslashes (less the first byte's, when the block before
// escapes it): the backslashes that start an escape (an escape is a backslash that an odd run of
// them ends with) and the bytes right after each run. `& backslashes` keeps the escapes' starts,
// `^ (backslashes | the escaped first byte)` gives the bytes the escapes escape.
inline uint64_t EscapeAndTerminal(uint64_t potential) {
  constexpr uint64_t kOdd = 0xAAAAAAAAAAAAAAAAULL;
  return (((potential << 1) | kOdd) - potential) ^ kOdd;
}

// What Unescape does, 64 bytes at a time with AVX-512 (BW, VBMI, VBMI2) and no branch per
// escape: which backslashes start an escape is simdjson's bit trick, the escapes log lines hold
// (a simple one such as \n, and \u0000 to \u007F: one byte each) are decoded for the whole block
// from the bytes after each backslash, and one compress drops the rest of their bytes. A block
// stops at the first escape that runs past its end, is a \u escape of a character outside ASCII
// (two to four bytes of UTF-8) or is not valid: DecodeEscape takes that one, and the next block
// starts after it. Reads and writes only the string's bytes and the value's (masked loads and
// stores).
SLUICE_SCANNER_AVX512 char* Unescape512(const char* p, const char* q, char* out) {
  // The byte each simple escape stands for, by the byte after its backslash (ASCII: 7 bits); zero
  // for the bytes that make no escape.
  struct SimpleTable {
    alignas(64) char bytes[128] = {};
    constexpr SimpleTable() {
      for (const char c : {'"', '\\', '/'}) bytes[static_cast<size_t>(c)] = c;
      bytes[static_cast<size_t>('b')] = '\b';
      bytes[static_cast<size_t>('f')] = '\f';
      bytes[static_cast<size_t>('n')] = '\n';
      bytes[static_cast<size_t>('r')] = '\r';
      bytes[static_cast<size_t>('t')] = '\t';
    }
  };
  static constexpr SimpleTable kSimple;
  const __m512i simple_low = _mm512_load_si512(kSimple.bytes);
  const __m512i simple_high = _mm512_load_si512(kSimple.bytes + 64);
  while (p < q) {
    const auto left = static_cast<size_t>(q - p);
    const size_t n = left < 64 ? left : 64;
    const __m512i v = BytesAt(p, left, 0);
    const uint64_t backslashes = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\')) & LowBits(n);
    if (backslashes == 0) {
      _mm512_mask_storeu_epi8(out, LowBits(n), v);
      out += n;
      p += n;
      continue;
    }
    // The block starts on a byte no escape escapes (the one before stopped after an escape, or
    // before one).
    const uint64_t escapes = EscapeAndTerminal(backslashes) & backslashes;
    const __m512i v1 = BytesAt(p, left, 1);
    const __m512i v4 = BytesAt(p, left, 4);
    const __m512i v5 = BytesAt(p, left, 5);
    const uint64_t u = escapes & _mm512_cmpeq_epi8_mask(v1, _mm512_set1_epi8('u'));
    // \u00XY with X from 0 to 7 and Y a hex digit: X, and Y as a digit or as a letter.
    const __m512i x = _mm512_sub_epi8(v4, _mm512_set1_epi8('0'));
    const __m512i digit = _mm512_sub_epi8(v5, _mm512_set1_epi8('0'));
    const __m512i letter =
        _mm512_sub_epi8(_mm512_or_si512(v5, _mm512_set1_epi8(0x20)), _mm512_set1_epi8('a' - 10));
    const uint64_t y_digit = _mm512_cmplt_epu8_mask(digit, _mm512_set1_epi8(10));
    const uint64_t y_letter =
        _mm512_cmplt_epu8_mask(_mm512_sub_epi8(letter, _mm512_set1_epi8(10)), _mm512_set1_epi8(6));
    const uint64_t ascii_u = u &
                             _mm512_cmpeq_epi8_mask(BytesAt(p, left, 2), _mm512_set1_epi8('0')) &
                             _mm512_cmpeq_epi8_mask(BytesAt(p, left, 3), _mm512_set1_epi8('0')) &
                             _mm512_cmplt_epu8_mask(x, _mm512_set1_epi8(8)) & (y_digit | y_letter);
    // A simple escape's byte: zero, or after a byte outside ASCII, when it is not one.
    const __m512i decoded_s = _mm512_permutex2var_epi8(simple_low, v1, simple_high);
    const uint64_t simple_bad =
        _mm512_testn_epi8_mask(decoded_s, decoded_s) | _mm512_movepi8_mask(v1);
    // Where the block stops: at the first escape that runs past its n bytes (2 or 6 of them), is
    // a \u escape of another character, or is not valid.
    const uint64_t past = (escapes & ~u & ~LowBits(n - 1)) | (u & ~LowBits(n >= 6 ? n - 5 : 0));
    const uint64_t stops = past | (u & ~ascii_u) | (escapes & ~u & simple_bad);
    const size_t t = stops == 0 ? n : static_cast<size_t>(__builtin_ctzll(stops));
    const uint64_t in = LowBits(t);
    const uint64_t simple = escapes & ~u & in;
    const uint64_t unicode = ascii_u & in;
    // X is zero but at those escapes, so the shift of 16-bit lanes moves no bit into the next
    // byte.
    const __m512i high = _mm512_maskz_mov_epi8(unicode, x);
    const __m512i low = _mm512_mask_blend_epi8(y_digit, letter, digit);
    const __m512i decoded_u = _mm512_or_si512(_mm512_slli_epi16(high, 4), low);
    const __m512i values =
        _mm512_mask_blend_epi8(unicode, _mm512_mask_blend_epi8(simple, v, decoded_s), decoded_u);
    const uint64_t dropped = (simple << 1) | (unicode << 1) | (unicode << 2) | (unicode << 3) |
                             (unicode << 4) | (unicode << 5);
    const uint64_t keep = in & ~dropped;
    const auto kept = static_cast<size_t>(__builtin_popcountll(keep));
    _mm512_mask_storeu_epi8(out, LowBits(kept), _mm512_maskz_compress_epi8(keep, values));
    out += kept;
    p += t;
    // The escape the block stopped at is DecodeEscape's.
    if (stops != 0 && (p = DecodeEscape(p, out)) == nullptr) return nullptr;
  }
  return out;
}
#endif

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
__attribute__((always_inline)) inline bool ReadIntSpan(const char* p, const char* end,
                                                       int64_t& out) {
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
// for a document, but it keeps only what reading a record by its layout needs: the places of the
// run's quotes (those no escape escapes), in order, and a flag per record for its rare bytes.
// From bit masks of each block's quotes, backslashes, control characters and bytes outside ASCII
// it checks the rare bytes where they occur: escapes (which also drop the quotes they escape),
// bytes outside ASCII (UTF-8 sequences) and control characters, which are whitespace or errors
// that the string-by-string walk decides (such a record is flagged kSlow). Whether a byte is in a
// string is not tracked: a record read by its layout is cut at its quotes, and every byte between
// them is checked against the layout (see RecordScanner::ReadLaidOut).
class RunIndex {
 public:
  // kText: the record holds the prefilter's text (SetText).
  enum Flag : uint8_t { kEscaped = 1, kSlow = 2, kText = 4 };

  explicit RunIndex(bool avx512) : avx512_(avx512) {
    // A quote per byte at most, and room for a block's whole store; a flag per record, of which
    // a run takes at most kRunBytes (empty records take no bytes).
    quotes_.resize(RecordScanner::kRunBytes + 128);
    start_bits_.resize(RecordScanner::kRunBytes / 64 + 2);
    records_before_.resize(RecordScanner::kRunBytes / 64 + 2);
    // (BuildCut clears a block's worth of flags and stores 16 line ends at a time.)
    flags_.resize(RecordScanner::kRunBytes + 1 + 64);
    cut_starts_.resize(RecordScanner::kRunBytes + 2 + 64);
  }

  // Whether BuildCut can index (it cuts lines with AVX-512).
  bool cuts() const {
#if defined(SLUICE_SCANNER_AVX512)
    return avx512_;
#else
    return false;
#endif
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
    // Records started before each word of start_bits_ (RecordAt counts the rest in the word).
    // A run with an empty record (two records that start at one byte, one bit) is searched
    // instead.
    size_t bits = 0;
    for (size_t w = 0; w < words; ++w) {
      records_before_[w] = static_cast<uint16_t>(bits);
      bits += static_cast<size_t>(__builtin_popcountll(start_bits_[w]));
    }
    counted_ = bits == n + 1;
    StartBlocks();
#if defined(SLUICE_SCANNER_AVX512)
    if (avx512_) {
      Blocks512<false>();
    } else {
      Blocks();
    }
#else
    Blocks();
#endif
    // Past the last quote: offsets no record reaches (a run is at most kRunBytes), so a read
    // past a record's quotes finds one past its end.
    std::fill_n(quotes_.data() + count_, kSentinels, UINT16_MAX);
    return n;
  }

  // Indexes the lines of a batch no one has cut: those of base[from, from + window) that end in
  // it (at a newline, or at the window's end when `to_end`: the batch's last line may have
  // none), finding them in the same pass (cuts() only). Returns how many; their starts, and the
  // end of the last, are cut_starts()[0..n], offsets from `base`. 0: no line ends in the window.
  size_t BuildCut(const char* base, size_t from, size_t window, bool to_end) {
#if defined(SLUICE_SCANNER_AVX512)
    base_ = base + from;
    first_ = static_cast<uint32_t>(from);
    len_ = window;
    cut_starts_[0] = first_;
    starts_ = cut_starts_.data();
    flags_[0] = 0;
    start_bits_[0] = 1;  // record 0; the rest as the blocks find newlines
    counted_ = true;     // a line holds its newline: no record is empty
    StartBlocks();
    size_t n = Blocks512<true>();
    if (to_end && Start(n) < len_) cut_starts_[++n] = first_ + static_cast<uint32_t>(len_);
    n_ = n;
    std::fill_n(quotes_.data() + count_, kSentinels, UINT16_MAX);
    return n;
#else
    (void)base;
    (void)from;
    (void)window;
    (void)to_end;
    return 0;
#endif
  }
  const uint32_t* cut_starts() const { return cut_starts_.data(); }

  // The text each record is searched for (ASCII-lowercased; empty: none), ignoring ASCII case:
  // records that hold it are flagged kText.
  void SetText(std::string text) { text_ = std::move(text); }

  // Quotes after the last one, UINT16_MAX, that a read may look at.
  static constexpr size_t kSentinels = 8;
  // How far ahead of the block it indexes the index asks for the bytes (a prefetch): a batch's
  // bytes come from memory (the reader thread read them a round or two earlier, and the cache
  // has seen tens of megabytes since), and the hardware's own prefetching leaves the index
  // waiting for them. 4 KiB: Q1 5 % less CPU, Q2 3 % (docs/performance.md, twelfth session).
  static constexpr size_t kPrefetchAhead = 4096;
  // Asks for the run's byte at `offset`, which may lie past the run, the batch or the mapping: a
  // prefetch never faults (the address is an integer until then: no pointer past an object).
  void Prefetch(size_t offset) const {
    __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(base_) + offset));
  }

  const char* base() const { return base_; }
  uint8_t flags(size_t k) const { return flags_[k]; }
  const uint8_t* flags_data() const { return flags_.data(); }  // sized once, in the constructor
  // Record k: bytes [Start(k), Start(k + 1)) of base(), less a trailing newline.
  size_t Start(size_t k) const { return starts_[k] - first_; }
  // The quotes of every record in order, as offsets from base(), then kSentinels.
  const uint16_t* quotes() const { return quotes_.data(); }
  // The first quote at or after `offset`.
  size_t QuoteAt(size_t offset) const {
    return static_cast<size_t>(
        std::lower_bound(quotes_.data(), quotes_.data() + count_, static_cast<uint16_t>(offset)) -
        quotes_.data());
  }

 private:
  // The classes of a block's 64 bytes, a bit each.
  struct Masks {
    uint64_t quote = 0;      // "
    uint64_t backslash = 0;  // backslash
    uint64_t ctrl = 0;       // below 0x20
    uint64_t high = 0;       // not ASCII
    uint64_t newline = 0;    // \n (the end of a JSON line)
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
    }
#endif
    return m;
  }

  void Blocks() {
    for (size_t at = 0; at < len_; at += 64) {
      Prefetch(at + kPrefetchAhead);
      Append(Block<false>(Classify(base_ + at), at), at);
      if (!text_.empty() && at + text_.size() <= len_) {
        if (const uint64_t found = TextStarts(at); found != 0) Text(found, at);
      }
    }
  }

  // The places of the block at `at` where the whole text fits before the run's end (at +
  // text_.size() <= len_): a bit each.
  uint64_t TextRoom(size_t at) const {
    const size_t positions = std::min<size_t>(64, len_ - at - text_.size() + 1);
    return LowBits(positions);
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
  // block writes its quotes' places. Only called where the CPU has them. kCut (BuildCut): the
  // records are the lines, found block by block before the block is checked (which asks which
  // record a byte is in): their starts, start_bits_ and records_before_ up to the block, and a
  // sentinel start after the last (Start of a record not ended yet: past the block). Returns the
  // lines ended in the run (kCut).
  template <bool kCut>
  SLUICE_SCANNER_AVX512 size_t Blocks512() {
    alignas(64) static constexpr uint8_t kIota[64] = {
        0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
        22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
        44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
    const __m512i iota = _mm512_load_si512(kIota);
    const __m512i quote = _mm512_set1_epi8('"');
    const __m512i backslash = _mm512_set1_epi8('\\');
    const __m512i space = _mm512_set1_epi8(' ');
    const __m512i newline = _mm512_set1_epi8('\n');
    // The prefilter's text: its first and last bytes, folded as TextStarts folds them.
    const size_t text_size = text_.size();
    const __m512i fold = _mm512_set1_epi8(0x20);
    const __m512i text_first =
        _mm512_set1_epi8(static_cast<char>(text_size == 0 ? 0 : text_[0] | 0x20));
    const __m512i text_last =
        _mm512_set1_epi8(static_cast<char>(text_size == 0 ? 0 : text_[text_size - 1] | 0x20));
    // Locals, not members: the stores of quotes could alias members, which would then go
    // through memory from one block to the next.
    size_t count = 0;
    uint16_t* const quotes_out = quotes_.data();
    size_t lines = 0;    // kCut: lines ended so far
    size_t started = 0;  // kCut: the set bits of start_bits_ before the block's word
    uint32_t* const starts_out = cut_starts_.data();
    for (size_t at = 0; at < len_; at += 64) {
      Prefetch(at + kPrefetchAhead);
      const __m512i v = _mm512_loadu_si512(base_ + at);
      Masks m;
      m.quote = _mm512_cmpeq_epi8_mask(v, quote);
      m.backslash = _mm512_cmpeq_epi8_mask(v, backslash);
      m.ctrl = _mm512_cmplt_epu8_mask(v, space);
      m.high = _mm512_movepi8_mask(v);
      m.newline = _mm512_cmpeq_epi8_mask(v, newline);
      if constexpr (kCut) {
        // A line ends at each newline, and the next record starts after it.
        const uint64_t ends = m.newline & LowBits(len_ - at);
        const size_t w = at / 64;
        start_bits_[w] |= ends << 1;
        start_bits_[w + 1] = ends >> 63;
        records_before_[w] = static_cast<uint16_t>(started);
        started += static_cast<size_t>(__builtin_popcountll(start_bits_[w]));
        // The new records' flags cleared, and their starts: the first 16 whatever their number.
        _mm512_storeu_si512(flags_.data() + lines + 1, _mm512_setzero_si512());
        const __m512i packed = _mm512_maskz_compress_epi8(ends, iota);
        const __m512i after = _mm512_set1_epi32(static_cast<int>(first_ + at + 1));
        const __m512i offsets =
            _mm512_maskz_cvtepu8_epi32(0xFFFF, _mm512_maskz_extracti32x4_epi32(0xF, packed, 0));
        _mm512_storeu_si512(starts_out + lines + 1, _mm512_add_epi32(after, offsets));
        const auto k = static_cast<size_t>(__builtin_popcountll(ends));
        if (k > 16) MoreLineEnds(ends, at, lines);
        lines += k;
        starts_out[lines + 1] = UINT32_MAX;
      }
      const uint64_t quotes = Block<true>(m, at);
      if (const uint64_t high = m.high & LowBits(len_ - at); high != 0) Utf8Block512(v, high, at);
      // The quotes' places in the block, packed into the low bytes and widened to 16 bits: the
      // first 32 whatever their number (a branch on it would go either way at random).
      const __m512i packed = _mm512_maskz_compress_epi8(quotes, iota);
      const __m512i block = _mm512_set1_epi16(static_cast<int16_t>(at));
      // (The maskz extracts: GCC 12 warns about the undefined vectors of the plain ones.)
#define SLUICE_WIDEN(half) \
  _mm512_add_epi16(block, _mm512_cvtepu8_epi16(_mm512_maskz_extracti64x4_epi64(0xF, packed, half)))
      _mm512_storeu_si512(quotes_out + count, SLUICE_WIDEN(0));
      const auto n = static_cast<size_t>(__builtin_popcountll(quotes));
      if (n > 32) _mm512_storeu_si512(quotes_out + count + 32, SLUICE_WIDEN(1));
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
    return lines;
  }

  // The starts after the 16th line end of a block (BuildCut, a block of short lines).
  __attribute__((noinline)) void MoreLineEnds(uint64_t ends, size_t at, size_t lines) {
    for (size_t j = 1; ends != 0; ends &= ends - 1, ++j) {
      if (j > 16)
        cut_starts_[lines + j] = first_ + static_cast<uint32_t>(at + TrailingZeros(ends) + 1);
    }
  }
#endif

  // The block at `at` from its masks: checks its rare bytes and returns its quotes (less those
  // escapes escape). (Always inlined: a call from Blocks512 would cost a vzeroupper and the
  // masks a trip through memory.)
  template <bool kAvx512>
  __attribute__((always_inline)) uint64_t Block(const Masks& m, size_t at) {
    const size_t left = len_ - at;
    const uint64_t valid = LowBits(left);
    uint64_t quotes = m.quote & valid;
#if defined(SLUICE_SCANNER_AVX512)
    if constexpr (kAvx512) {
      if (((m.backslash & valid) | next_escaped_) != 0) {
        quotes &= ~Escapes512(m.backslash & valid, at);
      }
    } else
#endif
        if (((m.backslash & valid) | escaped_quote_carry_) != 0) {
      quotes &= ~Escapes(m.backslash & valid, at);
    }
#if defined(SLUICE_SCANNER_AVX512)
    if constexpr (!kAvx512)  // (Blocks512 checks UTF-8 itself, with the block's bytes)
#endif
      if ((m.high & valid) != 0) CheckUtf8(m.high & valid, at);
    // A newline is whitespace everywhere but in strings; the one that ends a record (its last
    // byte, before the next record starts) is not part of it.
    const uint64_t last_bytes = (start_bits_[at / 64] >> 1) | (start_bits_[at / 64 + 1] << 63);
    const uint64_t ctrl = m.ctrl & valid;
    if (const uint64_t inner = ctrl & ~(m.newline & last_bytes); inner != 0) Flag(inner, at, kSlow);
    return quotes;
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

#if defined(SLUICE_SCANNER_AVX512)
  // What Escapes does, with AVX-512 and no loop over the escapes: which bytes are escaped is
  // simdjson's bit trick (an escape is a backslash that an odd run of them ends with), and every
  // escape is checked at once from the bytes after it, loaded at their backslash's place. The
  // records that hold one are flagged kEscaped, a loop over records (an escaped log line holds
  // several), not escapes.
  SLUICE_SCANNER_AVX512 __attribute__((noinline)) uint64_t Escapes512(uint64_t backslashes,
                                                                      size_t at) {
    const uint64_t escape_and_terminal = EscapeAndTerminal(backslashes & ~next_escaped_);
    const uint64_t escaped = escape_and_terminal ^ (backslashes | next_escaped_);
    const uint64_t escapes = escape_and_terminal & backslashes;
    next_escaped_ = escapes >> 63;
    if (escapes == 0) return escaped;
    // The k-th byte after each byte of the block; only what lies within the 64 readable bytes
    // after the run is loaded (an escape in the run needs at most 5 bytes after it).
    const char* p = base_ + at;
    const size_t room = len_ + RecordScanner::kBlockPadding - at;
    const __m512i a1 = BytesAt(p, room, 1);
    const __m512i fold = _mm512_set1_epi8(0x20);
    uint64_t simple = 0;
    for (const char c : {'"', '\\', '/', 'b', 'f', 'n', 'r', 't'}) {
      simple |= _mm512_cmpeq_epi8_mask(a1, _mm512_set1_epi8(c));
    }
    const uint64_t u = _mm512_cmpeq_epi8_mask(a1, _mm512_set1_epi8('u'));
    // The four bytes after \u, folded to lower case (| 0x20 leaves digits as they are).
    const __m512i d2 = _mm512_or_si512(BytesAt(p, room, 2), fold);
    const __m512i d3 = _mm512_or_si512(BytesAt(p, room, 3), fold);
    const uint64_t hex = Hex(d2) & Hex(d3) & Hex(_mm512_or_si512(BytesAt(p, room, 4), fold)) &
                         Hex(_mm512_or_si512(BytesAt(p, room, 5), fold));
    // \uD800 to \uDFFF (of the hex digits, those from '8' up are 8, 9 and a to f): halves of a
    // surrogate pair, checked one by one.
    const uint64_t surrogate = u & hex & _mm512_cmpeq_epi8_mask(d2, _mm512_set1_epi8('d')) &
                               _mm512_cmpge_epu8_mask(d3, _mm512_set1_epi8('8'));
    const uint64_t bad = escapes & ~(simple | (u & hex));
    if (bad != 0) Flag(bad, at, kSlow);
    if ((escapes & surrogate) != 0) Surrogates(escapes & surrogate, at);
    for (uint64_t e = escapes; e != 0;) {
      const size_t k = RecordAt(at + TrailingZeros(e));
      flags_[k] |= kEscaped;
      const size_t next = Start(k + 1);
      if (next >= at + 64) break;
      e &= ~uint64_t{0} << (next - at);
    }
    return escaped;
  }

  // Which bytes are hex digits, of bytes folded with | 0x20.
  SLUICE_SCANNER_AVX512 static uint64_t Hex(__m512i folded) {
    return InRange(folded, '0', '9') | InRange(folded, 'a', 'f');
  }

  // Checks the \u escapes at `bits` that are halves of a surrogate pair: a high half must be
  // followed by a low one (JsonEscape checks the pair), a low half must follow a high one.
  __attribute__((noinline)) void Surrogates(uint64_t bits, size_t at) {
    for (; bits != 0; bits &= bits - 1) {
      const size_t p = at + TrailingZeros(bits);
      if (p == pair_low_at_) continue;  // the pair was checked whole
      uint32_t code_point = 0;
      if (JsonEscape(base_ + p, code_point) == 12) {
        pair_low_at_ = p + 6;
      } else {
        flags_[RecordAt(p)] |= kSlow;
      }
    }
  }
#endif

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

#if defined(SLUICE_SCANNER_AVX512)
  // What CheckUtf8 does, for the block's bytes `v` at once (`high`: those outside ASCII, in the
  // run): a lead byte needs its continuation bytes (read past the block where its sequence runs
  // on, never past the run) and, after E0, ED, F0 and F4, a second byte in the range that rules
  // out overlong forms, surrogates and code points above U+10FFFF; C0, C1 and F5 to FF are never
  // UTF-8; a continuation byte needs a valid sequence that holds it. Each invalid byte flags its
  // record kSlow, as CheckUtf8 flags the byte its check fails at.
  SLUICE_SCANNER_AVX512 __attribute__((noinline)) void Utf8Block512(__m512i v, uint64_t high,
                                                                    size_t at) {
    const char* p = base_ + at;
    const size_t left = len_ - at;  // the run's bytes from the block on
    const uint64_t cont = InRange(v, 0x80, 0xBF) & high;
    const uint64_t lead2 = InRange(v, 0xC2, 0xDF) & high;
    const uint64_t lead3 = InRange(v, 0xE0, 0xEF) & high;
    const uint64_t lead4 = InRange(v, 0xF0, 0xF4) & high;
    // Whether the k-th byte after each byte is a continuation byte of the run (past the run, the
    // masked loads read zeros).
    const __m512i v1 = BytesAt(p, left, 1);
    const uint64_t c1 = InRange(v1, 0x80, 0xBF);
    const uint64_t c12 = c1 & InRange(BytesAt(p, left, 2), 0x80, 0xBF);
    const uint64_t c123 = c12 & InRange(BytesAt(p, left, 3), 0x80, 0xBF);
    const uint64_t below_90 = InRange(v1, 0x00, 0x8F);
    const uint64_t below_a0 = InRange(v1, 0x00, 0x9F);
    const uint64_t second_out_of_range =
        (ByteIs(v, 0xE0) & below_a0) | (ByteIs(v, 0xED) & ~below_a0) |
        (ByteIs(v, 0xF0) & below_90) | (ByteIs(v, 0xF4) & ~below_90);
    const uint64_t ok2 = lead2 & c1;
    const uint64_t ok3 = lead3 & c12 & ~second_out_of_range;
    const uint64_t ok4 = lead4 & c123 & ~second_out_of_range;
    const uint64_t ok = ok2 | ok3 | ok4;
    // The continuation bytes the valid sequences hold, of this block and from the block before.
    const uint64_t carried = utf8_carry_at_ == at ? utf8_carry_ : 0;
    const uint64_t held = (ok << 1) | ((ok3 | ok4) << 2) | (ok4 << 3) | carried;
    utf8_carry_ = (ok >> 63) | ((ok3 | ok4) >> 62) | (ok4 >> 61);
    utf8_carry_at_ = at + 64;
    const uint64_t invalid = (high & ~(cont | ok)) | (cont & ~held);
    if (invalid != 0) Flag(invalid, at, kSlow);
  }

#endif

  __attribute__((noinline)) void Flag(uint64_t bits, size_t at, uint8_t flag) {
    for (; bits != 0; bits &= bits - 1) flags_[RecordAt(at + TrailingZeros(bits))] |= flag;
  }

  // The record that holds byte p of the run (the last one asked, most often: escapes and
  // characters outside ASCII come a few to a record).
  size_t RecordAt(size_t p) {
    if (counted_) {
      const uint64_t upto = (uint64_t{2} << (p % 64)) - 1;  // bits 0..p%64
      return records_before_[p / 64] +
             static_cast<size_t>(__builtin_popcountll(start_bits_[p / 64] & upto)) - 1;
    }
    if (p >= Start(last_at_) && p < Start(last_at_ + 1)) return last_at_;
    const uint32_t* s = std::upper_bound(starts_, starts_ + n_, static_cast<uint32_t>(first_ + p));
    last_at_ = static_cast<size_t>(s - starts_) - 1;
    return last_at_;
  }

  // Writes the places of the set bits, eight at a time whatever their number (a branch per
  // block rather than per quote, as simdjson flattens its index). GCC would pack the eight
  // stores into vector inserts through the stack; the loop stays scalar.
#if defined(__GNUC__) && !defined(__clang__)
  __attribute__((optimize("no-tree-vectorize")))
#endif
  void
  Append(uint64_t bits, size_t at) {
    const auto n = static_cast<size_t>(__builtin_popcountll(bits));
    uint16_t* out = quotes_.data() + count_;
    auto one = [&](size_t i) {
      out[i] = static_cast<uint16_t>(at + TrailingZeros(bits));
      bits &= bits - 1;
    };
#pragma GCC unroll 8
    for (size_t i = 0; i < 8; ++i) one(i);
    for (size_t i = 8; i < n; ++i) one(i);
    count_ += n;
  }

  // The carries of the block loop, reset for each run.
  void StartBlocks() {
    count_ = 0;
    escaped_quote_carry_ = 0;
    escape_until_ = 0;
    next_escaped_ = 0;
    pair_low_at_ = SIZE_MAX;
    utf8_until_ = 0;
    utf8_carry_at_ = SIZE_MAX;
    last_at_ = 0;
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
  std::string text_;                      // SetText
  std::vector<uint16_t> quotes_;          // offsets from base_ of every record's quotes, in order
  std::vector<uint64_t> start_bits_;      // a bit per byte of the run: where records start
  std::vector<uint16_t> records_before_;  // per word of start_bits_: records that start before it
  bool counted_ = false;                  // records_before_ holds (no record of the run is empty)
  std::vector<uint8_t> flags_;            // per record: Flag bits
  std::vector<uint32_t> cut_starts_;      // BuildCut: the starts of the lines it found
  const char* base_ = nullptr;            // the run's first byte
  const uint32_t* starts_ = nullptr;
  uint32_t first_ = 0;  // starts_[0]
  size_t n_ = 0;        // records
  size_t len_ = 0;      // bytes
  size_t count_ = 0;    // quotes so far
  // What a block leaves to the next: whether an escape ends on the next block's first byte, a
  // quote.
  uint64_t escaped_quote_carry_ = 0;
  size_t escape_until_ = 0;  // the end of the last escape checked
  // The same for Escapes512: whether the next block's first byte is escaped, and where the low
  // half of a surrogate pair checked whole starts.
  uint64_t next_escaped_ = 0;
  size_t pair_low_at_ = SIZE_MAX;
  size_t utf8_until_ = 0;  // the end of the last UTF-8 sequence checked
  // The same for Utf8Block512: the continuation bytes of the block at utf8_carry_at_ that valid
  // sequences of the block before it hold.
  uint64_t utf8_carry_ = 0;
  size_t utf8_carry_at_ = SIZE_MAX;
  size_t last_at_ = 0;  // RecordAt's last answer
};

RecordScanner::~RecordScanner() = default;

RecordScanner::RecordScanner(const std::vector<Field>& fields, bool allow_avx512)
    : fields_(fields) {
#if defined(SLUICE_SCANNER_AVX512)
  avx512_ = allow_avx512 && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2");
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
  run_flags_ = run_->flags_data();
  static_assert(kMayHoldText == (RunIndex::kText | RunIndex::kEscaped));
  all_seen_ = LowBits(fields_.size());
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
#if defined(SLUICE_SCANNER_AVX512)
  char* const value_end = avx512_ ? Unescape512(body, close, at) : Unescape(body, close, at);
#else
  char* const value_end = Unescape(body, close, at);
#endif
  if (value_end == nullptr) return false;
  unescaped_size_ = static_cast<size_t>(value_end - unescaped_.get());
  out = Value::String(std::string_view(at, static_cast<size_t>(value_end - at)));
  return true;
}

inline bool RecordScanner::ReadIndexedString(const char* body, const char* close,
                                             bool record_escaped, const char* end, const Key& key,
                                             Value& out) {
  // The index checked the string's bytes; only a record with escapes has any to decode.
  const auto len = static_cast<size_t>(close - body);
  if (!record_escaped || !HasBackslash(body, len)) {
    out = Value::String(std::string_view(body, len));
    return true;
  }
  return ReadString(body, close, true, end, key, out);
}

__attribute__((always_inline)) inline bool RecordScanner::ScalarSpan(const char* value,
                                                                     const char* next, int field,
                                                                     Value* row) {
  while (next > value && next[-1] == ' ') --next;
  if (next == value) return false;
  int64_t v = 0;
  if (field < 0) {
    // A value nobody reads is only checked: an integer (an event time the query does not
    // window by) with two 8-byte loads, anything else by the grammar.
    return ReadIntSpan(value, next, v) || SkipScalar(value, next) == next;
  }
  const Key& key = keys_[static_cast<size_t>(field)];
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

bool RecordScanner::CutsRuns() const { return enabled_ && run_->cuts(); }

size_t RecordScanner::CutRun(const char* base, size_t from, size_t end,
                             std::vector<uint32_t>& starts) {
  next_record_ = 0;
  next_quote_ = 0;
  const size_t window = std::min(end - from, kRunBytes);
  const size_t n = run_->BuildCut(base, from, window, from + window == end);
  const uint32_t* cut = run_->cut_starts();
  starts.insert(starts.end(), cut + 1, cut + 1 + n);
  return n;
}

size_t RecordScanner::IndexRun(const char* base, const uint32_t* starts, size_t count) {
  next_record_ = 0;
  next_quote_ = 0;
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

bool RecordScanner::ScanIndexed(size_t k, std::string_view rec, Value* row) {
  if (!enabled_) return false;  // (no run was indexed: IndexRun took none)
  unescaped_size_ = 0;
  // The record's bytes in the run, whatever copy of them `rec` is: the index is of those, and
  // the run's padding follows them.
  const size_t start = run_->Start(k);
  const char* const bytes = run_->base() + start;
  const uint8_t flags = run_->flags(k);
  // A record the index flagged (a control character, an invalid escape or UTF-8 sequence) is
  // walked string by string, which gives the verdict: it is not a layout miss.
  if ((flags & RunIndex::kSlow) != 0) return Walk(bytes, bytes + rec.size(), row);
  if (layout_.learned) {
    // The record's quotes start after the last record's, when that one was read by the layout.
    const size_t first = next_record_ == k ? next_quote_ : run_->QuoteAt(start);
    if (ReadLaidOut(start, rec.size(), first, (flags & RunIndex::kEscaped) != 0, row)) {
      layout_misses_ = 0;
      ++laid_out_records_;
      next_record_ = k + 1;
      next_quote_ = first + layout_.quotes;
      return true;
    }
    // What the layout read decoded before it failed is read again: the buffer starts over, so
    // it never outgrows the capacity ReadString reserved (which would move the values read).
    unescaped_size_ = 0;
  }
  ++layout_misses_;
  if (!Walk(bytes, bytes + rec.size(), row)) return false;
  // A new layout after a few records of another (not at once: records of two layouts in turn
  // keep one of them). A layout that cannot be learned (a long key, many values) is tried again
  // only after as many misses, not on every record.
  if ((flags & RunIndex::kEscaped) == 0 && layout_misses_ >= 4) {
    Learn(std::string_view(bytes, rec.size()));
  }
  return true;
}

inline bool RecordScanner::SameLiteral(const char* p, const Literal& literal) {
#if defined(__AVX2__)
  // One compare of 32 bytes for most literals (a key and the bytes around it).
  auto same = [&](size_t i) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i y = _mm256_load_si256(reinterpret_cast<const __m256i*>(literal.bytes + i));
    return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, y)));
  };
  if ((same(0) & literal.want[0]) != literal.want[0]) return false;
  return literal.want[1] == 0 || (same(32) & literal.want[1]) == literal.want[1];
#else
  return std::memcmp(p, literal.bytes, literal.len) == 0;
#endif
}

bool RecordScanner::ReadLaidOut(size_t start, size_t size, size_t first, bool escaped, Value* row) {
  const Layout& layout = layout_;
  const char* const b = run_->base();
  const size_t end_at = start + size;
  const char* const end = b + end_at;
  const uint16_t* const quotes = run_->quotes() + first;
  // Literal j starts at p; the quotes it holds are the record's next ones (the bytes before
  // each are the literal's, not a backslash), so the quote after them closes the string value
  // it opens, or marks where the literal after a scalar value is.
  const char* p = b + start;
  for (size_t j = 0; j < layout.num_values; ++j) {
    const Literal& literal = layout.literals[j];
    if (!SameLiteral(p, literal)) return false;
    const char* const value = p + literal.len;
    const Layout::ValueAt& v = layout.values[j];
    if (!v.scalar) {
      const size_t close = quotes[v.quote];
      if (close >= end_at) return false;
      if (v.field >= 0 && !ReadIndexedString(value, b + close, escaped, end,
                                             keys_[static_cast<size_t>(v.field)], row[v.field])) {
        return false;
      }
      p = b + close;
      continue;
    }
    // A scalar runs up to the next literal: found by its first quote, or the record's end.
    const Literal& next = layout.literals[j + 1];
    const auto from = static_cast<size_t>(value - b);
    size_t to = 0;
    if (v.quote == Layout::kNone) {
      if (end_at < from + next.len + 1) return false;
      to = end_at - next.len;
    } else {
      const size_t quote = quotes[v.quote];
      if (quote >= end_at || quote < from + next.first_quote + 1) return false;
      to = quote - next.first_quote;
    }
    if (!ScalarSpan(value, b + to, v.field, row)) return false;
    p = b + to;
  }
  const Literal& tail = layout.literals[layout.num_values];
  return end - p == static_cast<ptrdiff_t>(tail.len) && SameLiteral(p, tail);
}

void RecordScanner::Learn(std::string_view rec) {
  Layout& layout = layout_;
  layout.learned = false;
  layout_misses_ = 0;
  // The walk took the record, which has no escape: a flat object whose keys and strings close
  // at the next quote.
  const char* p = rec.data();
  const char* const end = p + rec.size();
  const char* literal = p;  // where the literal being read starts
  size_t n = 0;             // values
  size_t quotes = 0;        // the quotes of the literals so far
  // Ends literal n at `to`.
  auto close = [&](const char* to) {
    const auto len = static_cast<size_t>(to - literal);
    if (len > Literal::kMaxBytes) return false;
    Literal& l = layout.literals[n];
    std::memset(l.bytes, 0, sizeof l.bytes);
    std::memcpy(l.bytes, literal, len);
    l.len = static_cast<uint32_t>(len);
    for (size_t half = 0; half < 2; ++half) {
      const size_t bytes = std::min<size_t>(32, len - std::min(len, 32 * half));
      l.want[half] = bytes == 32 ? ~uint32_t{0} : (uint32_t{1} << bytes) - 1;
    }
    const auto* q = static_cast<const char*>(std::memchr(literal, '"', len));
    l.first_quote = q == nullptr ? Layout::kNone : static_cast<uint32_t>(q - literal);
    quotes += static_cast<size_t>(std::count(literal, to, '"'));
    return true;
  };
  p = SkipWhitespace(p, end);
  if (p == end || *p != '{') return;
  p = SkipWhitespace(p + 1, end);
  if (p != end && *p == '}') {
    ++p;
  } else {
    for (;;) {
      if (n == Layout::kMaxValues || p == end || *p != '"') return;
      const auto* key_end = static_cast<const char*>(std::memchr(p + 1, '"', end - p - 1));
      if (key_end == nullptr) return;
      const auto key_len = static_cast<size_t>(key_end - p - 1);
      const int field =
          FieldNamed(p + 1, key_len, Load8(p + 1), key_len > 8 ? Load8(key_end - 8) : 0);
      p = SkipWhitespace(key_end + 1, end);
      if (p == end || *p != ':') return;
      p = SkipWhitespace(p + 1, end);
      if (p == end) return;
      if (*p == '"') {
        if (!close(p + 1)) return;
        const auto* value_end = static_cast<const char*>(std::memchr(p + 1, '"', end - p - 1));
        if (value_end == nullptr) return;
        layout.values[n] = {static_cast<uint32_t>(quotes), field, false};
        literal = value_end;
        p = value_end + 1;
      } else {
        if (!close(p)) return;
        while (p < end && *p != ',' && *p != '}' && !IsJsonWhitespace(*p)) ++p;
        layout.values[n] = {static_cast<uint32_t>(quotes), field, true};
        literal = p;
      }
      ++n;
      p = SkipWhitespace(p, end);
      if (p == end) return;
      if (*p == '}') break;
      if (*p != ',') return;
      p = SkipWhitespace(p + 1, end);
    }
  }
  if (!close(end)) return;  // the tail: the closing brace and what follows it
  for (size_t j = 0; j < n; ++j) {
    // Only the tail has no quote: a scalar before it ends where the tail starts.
    if (layout.values[j].scalar && layout.literals[j + 1].first_quote == Layout::kNone) {
      layout.values[j].quote = Layout::kNone;
    }
  }
  layout.num_values = n;
  layout.quotes = quotes;
  layout.learned = true;
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
