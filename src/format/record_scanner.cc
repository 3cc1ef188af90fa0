#include "format/record_scanner.h"

#include <cstring>

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

// Appends the value of a valid string body [p, q) with its escapes decoded.
void AppendUnescaped(std::string& out, const char* p, const char* q) {
  while (p < q) {
    const auto* bs = static_cast<const char*>(std::memchr(p, '\\', static_cast<size_t>(q - p)));
    const char* stop = bs ? bs : q;
    out.append(p, stop);
    if (bs == nullptr) return;
    uint32_t code_point = 0;
    p = bs + JsonEscape(bs, code_point);
    AppendUtf8(out, code_point);
  }
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

// PlainTokens indexes a record that is all printable ASCII with no backslash (most log records)
// from bit masks of 64 bytes at a time, as simdjson's stage 1 does for a document: every quote
// then opens or closes a string, the in-string mask is the prefix XOR of the quotes, and the
// record's tokens are its quotes plus the operators { } : , outside strings. The walk over a
// flat object then reads about five tokens per key and value and never looks at a string's body.
// Outside strings, every byte that is not a token or a space must belong to a scalar value; the
// walk checks each scalar and compares their total length with the count of such bytes, so junk
// anywhere between tokens is caught without reading the gaps.
class PlainTokens {
 public:
  static constexpr size_t kMaxRecord = 512;  // longer records are scanned string by string

  // False when the record holds a byte that is not printable ASCII or a backslash, or is too
  // long. Reads up to 63 bytes past the record.
  bool Init(const char* p, size_t len) {
    if (len > kMaxRecord) return false;
    uint64_t in_string = 0;  // all ones while the previous block ended inside a string
    count_ = 0;
    loose_ = 0;
    for (size_t at = 0; at < len; at += 64) {
      const Masks m = Classify(p + at);
      const size_t left = len - at;
      const uint64_t valid = left >= 64 ? ~uint64_t{0} : (uint64_t{1} << left) - 1;
      if ((m.special & valid) != 0) return false;
      const uint64_t quotes = m.quote & valid;
      const uint64_t inside = PrefixXor(quotes) ^ in_string;
      in_string = static_cast<uint64_t>(static_cast<int64_t>(inside) >> 63);
      Append(((m.op & ~inside) | quotes) & valid, at);
      loose_ +=
          static_cast<size_t>(__builtin_popcountll(~(inside | quotes | m.space | m.op) & valid));
    }
    return true;
  }
#if defined(SLUICE_SCANNER_AVX512)
  // The same with AVX-512 (BW, VBMI2): compares give bit masks directly, and one compress per
  // block writes its token positions. Only called where the CPU has them.
  SLUICE_SCANNER_AVX512 bool Init512(const char* p, size_t len) {
    if (len > kMaxRecord) return false;
    const __m512i quote = _mm512_set1_epi8('"');
    const __m512i backslash = _mm512_set1_epi8('\\');
    const __m512i space = _mm512_set1_epi8(' ');
    const __m512i open = _mm512_set1_epi8('{');
    const __m512i close = _mm512_set1_epi8('}');
    const __m512i colon = _mm512_set1_epi8(':');
    const __m512i comma = _mm512_set1_epi8(',');
    alignas(64) static constexpr uint8_t kIota[64] = {
        0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
        22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
        44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
    const __m512i iota = _mm512_load_si512(kIota);
    uint64_t in_string = 0;
    count_ = 0;
    loose_ = 0;
    for (size_t at = 0; at < len; at += 64) {
      const size_t left = len - at;
      const uint64_t valid = left >= 64 ? ~uint64_t{0} : (uint64_t{1} << left) - 1;
      const __m512i v = _mm512_loadu_si512(p + at);
      // A signed compare: bytes 0x80..0xFF are negative, so one test flags control characters
      // and every byte that is not ASCII.
      const uint64_t special = _mm512_mask_cmpeq_epi8_mask(valid, v, backslash) |
                               _mm512_mask_cmplt_epi8_mask(valid, v, space);
      if (special != 0) return false;
      const uint64_t quotes = _mm512_mask_cmpeq_epi8_mask(valid, v, quote);
      const uint64_t spaces = _mm512_cmpeq_epi8_mask(v, space);
      const uint64_t ops = _mm512_cmpeq_epi8_mask(v, open) | _mm512_cmpeq_epi8_mask(v, close) |
                           _mm512_cmpeq_epi8_mask(v, colon) | _mm512_cmpeq_epi8_mask(v, comma);
      const uint64_t inside = PrefixXor(quotes) ^ in_string;
      in_string = static_cast<uint64_t>(static_cast<int64_t>(inside) >> 63);
      const uint64_t tokens = ((ops & ~inside) | quotes) & valid;
      loose_ +=
          static_cast<size_t>(__builtin_popcountll(~(inside | quotes | spaces | ops) & valid));
      // The tokens' offsets in the block, packed into the low bytes, widened 16 at a time.
      const __m512i packed = _mm512_maskz_compress_epi8(tokens, iota);
      const auto n = static_cast<size_t>(__builtin_popcountll(tokens));
      const __m512i base = _mm512_set1_epi32(static_cast<int>(at));
      uint32_t* out = at_ + count_;
      // (The maskz forms: GCC 12 warns about the undefined vectors of the plain ones.)
      _mm512_storeu_si512(
          out,
          _mm512_add_epi32(base, _mm512_maskz_cvtepu8_epi32(
                                     0xFFFF, _mm512_maskz_extracti32x4_epi32(0xF, packed, 0))));
      for (size_t k = 16; k < n; k += 16) {
        const __m512i rest = _mm512_maskz_compress_epi8(~uint64_t{0} << k, packed);
        _mm512_storeu_si512(
            out + k,
            _mm512_add_epi32(base, _mm512_maskz_cvtepu8_epi32(
                                       0xFFFF, _mm512_maskz_extracti32x4_epi32(0xF, rest, 0))));
      }
      count_ += n;
    }
    return true;
  }
#endif
  size_t count() const { return count_; }
  size_t at(size_t i) const { return at_[i]; }
  // Bytes outside strings that are neither a token nor a space: scalars, or junk.
  size_t loose() const { return loose_; }

 private:
  struct Masks {
    uint64_t quote = 0;    // "
    uint64_t special = 0;  // a backslash, a control character or not ASCII
    uint64_t space = 0;    // ' ' (other whitespace is a control character: scanned the slow way)
    uint64_t op = 0;       // { } : ,
  };
  static Masks Classify(const char* p) {
    Masks m;
#if defined(__AVX2__)
    const __m256i quote = _mm256_set1_epi8('"');
    const __m256i backslash = _mm256_set1_epi8('\\');
    const __m256i space = _mm256_set1_epi8(' ');
    const __m256i open = _mm256_set1_epi8('{');
    const __m256i close = _mm256_set1_epi8('}');
    const __m256i colon = _mm256_set1_epi8(':');
    const __m256i comma = _mm256_set1_epi8(',');
    for (int k = 0; k < 2; ++k) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
      auto bits = [](__m256i x) {
        return static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(x)));
      };
      const int shift = 32 * k;
      m.quote |= bits(_mm256_cmpeq_epi8(v, quote)) << shift;
      // A signed compare: bytes 0x80..0xFF are negative, so one test flags control characters
      // and every byte that is not ASCII.
      m.special |=
          bits(_mm256_or_si256(_mm256_cmpeq_epi8(v, backslash), _mm256_cmpgt_epi8(space, v)))
          << shift;
      m.space |= bits(_mm256_cmpeq_epi8(v, space)) << shift;
      m.op |= bits(_mm256_or_si256(
                  _mm256_or_si256(_mm256_cmpeq_epi8(v, open), _mm256_cmpeq_epi8(v, close)),
                  _mm256_or_si256(_mm256_cmpeq_epi8(v, colon), _mm256_cmpeq_epi8(v, comma))))
              << shift;
    }
#else
    for (int i = 0; i < 64; ++i) {
      const auto c = static_cast<unsigned char>(p[i]);
      const uint64_t bit = uint64_t{1} << i;
      if (c == '"') m.quote |= bit;
      if (c == '\\' || c < 0x20 || c >= 0x80) m.special |= bit;
      if (c == ' ') m.space |= bit;
      if (c == '{' || c == '}' || c == ':' || c == ',') m.op |= bit;
    }
#endif
    return m;
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
  // Writes the positions of the set bits, eight at a time whatever their number (a branch per
  // block rather than per token, as simdjson flattens its index). GCC would pack the eight
  // stores into vector inserts through the stack; the loop stays scalar.
#if defined(__GNUC__) && !defined(__clang__)
  __attribute__((optimize("no-tree-vectorize")))
#endif
  void
  Append(uint64_t bits, size_t at) {
    const auto n = static_cast<size_t>(__builtin_popcountll(bits));
    uint32_t* out = at_ + count_;
    const auto base = static_cast<uint32_t>(at);
#pragma GCC unroll 8
    for (size_t i = 0; i < 8; ++i) {
      out[i] = base + TrailingZeros(bits);
      bits &= bits - 1;
    }
    if (n > 8) {
#pragma GCC unroll 8
      for (size_t i = 8; i < 16; ++i) {
        out[i] = base + TrailingZeros(bits);
        bits &= bits - 1;
      }
      for (size_t i = 16; i < n; ++i) {
        out[i] = base + TrailingZeros(bits);
        bits &= bits - 1;
      }
    }
    count_ += n;
  }

  uint32_t at_[kMaxRecord + 64];  // room for a block's whole store past the last token  // offsets
                                  // of the record's tokens
  size_t count_ = 0;
  size_t loose_ = 0;
};

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
  all_seen_ = fields_.size() == 64 ? ~uint64_t{0} : (uint64_t{1} << fields_.size()) - 1;
}

inline int RecordScanner::Lookup(const char* key, size_t len, size_t ordinal) {
  // Records of one producer list their keys in one order: the key at this place in the last
  // record is checked first (it also answers "not a field" for keys the query does not read).
  // Up to 16 bytes of the key are readable: the record's closing bytes or its padding follow.
  if (ordinal < kKeyHints) {
    const KeyHint& h = hints_[ordinal];
    if (h.len == len && (Load8(key) & h.mask) == h.head &&
        (len <= 8 || Load8(key + len - 8) == h.tail))
      return h.field;
  }
  return LookupSlow(key, len, ordinal);
}

int RecordScanner::LookupSlow(const char* key, size_t len, size_t ordinal) {
  const uint64_t head = Load8(key);
  const uint64_t tail = len > 8 ? Load8(key + len - 8) : 0;
  int found = -1;
  for (size_t i = 0; i < keys_.size(); ++i) {
    const Key& k = keys_[i];
    if (k.name.size() != len || (head & k.mask) != k.prefix) continue;
    // Names of 9 to 16 bytes: their last 8 bytes (overlapping the first); longer: the rest.
    if (len <= 8 ||
        (len <= 16 ? tail == k.suffix : std::memcmp(key + 8, k.name.data() + 8, len - 8) == 0)) {
      found = static_cast<int>(i);
      break;
    }
  }
  if (ordinal < kKeyHints && len <= 16) {
    hints_[ordinal] = {len, MaskFor(len), head & MaskFor(len), tail, found};
  }
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
  // size never moves while one record is read, and earlier values stay valid.
  if (unescaped_.capacity() < static_cast<size_t>(end - body)) {
    if (!unescaped_.empty()) return false;
    unescaped_.reserve(static_cast<size_t>(end - body));
  }
  const size_t at = unescaped_.size();
  AppendUnescaped(unescaped_, body, close);
  out = Value::String(std::string_view(unescaped_).substr(at));
  return true;
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

bool RecordScanner::Scan(std::string_view rec, size_t padding, Value* row) {
  if (!enabled_ || padding < kMinPadding) return false;
  if (padding >= kBlockPadding) {
    PlainTokens tokens;
#if defined(SLUICE_SCANNER_AVX512)
    if (avx512_ ? tokens.Init512(rec.data(), rec.size()) : tokens.Init(rec.data(), rec.size()))
      return WalkTokens(rec.data(), tokens, row);
#else
    if (tokens.Init(rec.data(), rec.size())) return WalkTokens(rec.data(), tokens, row);
#endif
  }
  unescaped_.clear();
  return Walk(rec.data(), rec.data() + rec.size(), row);
}

bool RecordScanner::WalkTokens(const char* b, const PlainTokens& tokens, Value* row) {
  const size_t n = tokens.count();
  if (n < 2 || b[tokens.at(0)] != '{') return false;
  size_t i = 1;
  uint64_t seen = 0;
  size_t ordinal = 0;
  size_t scalars = 0;  // bytes of scalar values, to compare with tokens.loose()
  if (b[tokens.at(1)] == '}') {
    i = 2;
  } else {
    for (;;) {
      // A key, its closing quote (the next token after an opening quote always is), a colon,
      // then a string value and its closing quote or a scalar, then a comma or the brace.
      if (n - i < 4 || b[tokens.at(i)] != '"' || b[tokens.at(i + 2)] != ':') return false;
      const size_t key = tokens.at(i) + 1;
      const int idx = Lookup(b + key, tokens.at(i + 1) - key, ordinal++);
      const size_t colon = tokens.at(i + 2);
      size_t after;  // the token after the value
      if (b[tokens.at(i + 3)] == '"') {
        if (n - i < 6) return false;
        if (idx >= 0) {
          if (keys_[static_cast<size_t>(idx)].type != Type::kString) return false;
          const size_t body = tokens.at(i + 3) + 1;
          row[idx] = Value::String(std::string_view(b + body, tokens.at(i + 4) - body));
        }
        after = i + 5;
      } else {
        after = i + 3;
        // The scalar between the colon and the next token, less the spaces around it.
        const char* p = b + colon + 1;
        const char* end = b + tokens.at(after);
        while (p < end && *p == ' ') ++p;
        while (end > p && end[-1] == ' ') --end;
        if (p == end) return false;
        int64_t v = 0;
        if (idx >= 0 && keys_[static_cast<size_t>(idx)].type == Type::kInt64 &&
            ReadIntSpan(p, end, v)) {
          row[idx] = Value::Int(v);
        } else {
          const char* q = idx < 0 ? SkipScalar(p, end)
                                  : ReadScalar(p, end, keys_[static_cast<size_t>(idx)], row[idx]);
          if (q != end) return false;
        }
        scalars += static_cast<size_t>(end - p);
      }
      if (idx >= 0) seen |= uint64_t{1} << idx;
      const char c = b[tokens.at(after)];
      i = after + 1;
      if (c == '}') break;
      if (c != ',') return false;
    }
  }
  return i == n && scalars == tokens.loose() && seen == all_seen_;
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
