#include "format/record_scanner.h"

#include <cstring>

#include "format/json_grammar.h"

#if defined(__AVX2__)
#include <immintrin.h>
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

// How the walk finds the end of a string whose opening quote it is at.
//
// ScannedStrings scans each string's body (16 bytes at a time, escapes and UTF-8 byte by byte).
struct ScannedStrings {
  const char* end;
  const char* Close(const char* open, bool& escaped) const {
    return StringEnd(open + 1, end, escaped);
  }
};

// PlainQuotes serves records that are all printable ASCII with no backslash (most log records):
// every quote then opens or closes a string, so the quotes' positions, found for the whole record
// up front 64 bytes at a time, are the strings' bounds, and the walk never reads a string's body.
class PlainQuotes {
 public:
  static constexpr size_t kMaxRecord = 512;  // longer records are scanned string by string

  // False when the record holds a byte that is not printable ASCII or a backslash (or is too
  // long): then ScannedStrings. Reads up to 63 bytes past `end`.
  bool Init(const char* p, const char* end) {
    const auto len = static_cast<size_t>(end - p);
    if (len > kMaxRecord) return false;
    base_ = p;
    uint64_t special = 0;
    count_ = 0;
    next_ = 0;
    for (size_t at = 0; at < len; at += 64) {
      uint64_t quotes = 0;
      uint64_t other = 0;
      Classify(p + at, quotes, other);
      const size_t left = len - at;
      const uint64_t valid = left >= 64 ? ~uint64_t{0} : (uint64_t{1} << left) - 1;
      special |= other & valid;
      Append(quotes & valid, static_cast<uint16_t>(at));
    }
    return special == 0;
  }
  const char* Close(const char* open, bool& /*escaped*/) {
    return Next() == open ? Next() : nullptr;
  }

 private:
  // Bit i of `quotes`: p[i] is a quote; of `other`: a backslash, a control character or not ASCII.
  static void Classify(const char* p, uint64_t& quotes, uint64_t& other) {
#if defined(__AVX2__)
    const __m256i quote = _mm256_set1_epi8('"');
    const __m256i backslash = _mm256_set1_epi8('\\');
    const __m256i space = _mm256_set1_epi8(0x20);
    for (int k = 0; k < 2; ++k) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
      const auto q = static_cast<uint64_t>(
          static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, quote))));
      const auto o = static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(
          _mm256_or_si256(_mm256_cmpeq_epi8(v, backslash), _mm256_cmpgt_epi8(space, v)))));
      quotes |= q << (32 * k);
      other |= o << (32 * k);
    }
#elif defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      const auto q =
          static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote))));
      const auto o = static_cast<uint64_t>(static_cast<unsigned>(
          _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmplt_epi8(v, space)))));
      quotes |= q << (16 * k);
      other |= o << (16 * k);
    }
#else
    for (int i = 0; i < 64; ++i) {
      const auto c = static_cast<unsigned char>(p[i]);
      if (c == '"') quotes |= uint64_t{1} << i;
      if (c == '\\' || c < 0x20 || c >= 0x80) other |= uint64_t{1} << i;
    }
#endif
  }
  void Append(uint64_t quotes, uint16_t at) {
    for (; quotes != 0; quotes &= quotes - 1) {
      at_[count_++] = static_cast<uint16_t>(at + __builtin_ctzll(quotes));
    }
  }

  // The next quote of the record, in order; nullptr after the last.
  const char* Next() { return next_ < count_ ? base_ + at_[next_++] : nullptr; }

  const char* base_ = nullptr;
  uint16_t at_[kMaxRecord + 8];  // offsets of the record's quotes
  size_t count_ = 0;
  size_t next_ = 0;
};

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

RecordScanner::RecordScanner(const std::vector<Field>& fields) : fields_(fields) {
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

int RecordScanner::Lookup(const char* key, size_t len, size_t ordinal) {
  // Up to 16 bytes of the key are readable: the record's closing bytes or its padding follow.
  const uint64_t head = Load8(key);
  const uint64_t tail = len >= 8 ? Load8(key + len - 8) : 0;
  // Records of one producer list their keys in one order: the key at this place in the last
  // record is checked first (it also answers "not a field" for keys the query does not read).
  const bool cacheable = ordinal < kKeyHints && len <= 16;
  if (cacheable) {
    const KeyHint& h = hints_[ordinal];
    if (h.len == len && h.head == (head & MaskFor(len)) && h.tail == tail) return h.field;
  }
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
  if (cacheable) hints_[ordinal] = {len, head & MaskFor(len), tail, found};
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
  unescaped_.clear();
  const char* const begin = rec.data();
  const char* const end = begin + rec.size();
  PlainQuotes quotes;
  if (padding >= kBlockPadding && quotes.Init(begin, end)) return Walk(begin, end, quotes, row);
  ScannedStrings strings{end};
  return Walk(begin, end, strings, row);
}

template <class Strings>
bool RecordScanner::Walk(const char* p, const char* end, Strings& strings, Value* row) {
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
      const char* key_end = strings.Close(p, escaped);
      if (key_end == nullptr || escaped) return false;  // an escaped key: the full parser
      const int idx = Lookup(p + 1, static_cast<size_t>(key_end - p - 1), ordinal++);
      p = SkipWhitespace(key_end + 1, end);
      if (p == end || *p != ':') return false;
      p = SkipWhitespace(p + 1, end);
      if (p == end) return false;
      if (*p == '"') {
        escaped = false;
        const char* close = strings.Close(p, escaped);
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
