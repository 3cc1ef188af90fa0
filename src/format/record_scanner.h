// RecordScanner: the common case of RecordParser, in one pass over the record's bytes.
//
// Log records are flat objects of strings, numbers and atoms. For those the scanner validates the
// whole record and reads the query's fields in one pass. A record without control characters,
// backslashes or bytes outside ASCII (most of them) is indexed 64 bytes at a time, AVX-512 where
// the CPU has it, and walked by its tokens (quotes and the operators outside strings) without
// reading a string's body; other records are walked string by string, 16 bytes at a time up to a
// quote, escape or byte outside ASCII (escapes and UTF-8 are then checked byte by byte). Keys are
// matched by length and first and last 8 bytes, and string values point into the record itself
// (into a buffer of the scanner when they hold escapes). Whatever it is not sure of (an escaped
// key, a nested object or array, a number that needs care, a missing field, any error) it leaves
// to the full parser, which then gives the verdict: the scanner never refuses a record, so what
// is malformed, and why, is decided in one place.
//
// Accepting is the scanner's whole responsibility: when Scan returns true the record is one JSON
// object that the full parser would accept with the same row. The fuzz target record_parser_fuzz
// and record_parser_test check that difference stays empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/value.h"
#include "plan/query.h"

namespace sluice {

class PlainTokens;  // record_scanner.cc

class RecordScanner {
 public:
  // Bytes after a record the scanner may read: 16 when it scans string by string, 64 when it
  // classifies the whole record 64 bytes at a time (RawBatch guarantees 64).
  static constexpr size_t kMinPadding = 16;
  static constexpr size_t kBlockPadding = 64;

  // allow_avx512 false: the AVX2 index even where the CPU has AVX-512 (tests compare the two).
  explicit RecordScanner(const std::vector<Field>& fields, bool allow_avx512 = true);

  // True: `rec` is well-formed, row[0..fields) is filled and its strings point into `rec`.
  // False: not decided here (the row may be partly written); ask RecordParser's full path.
  [[nodiscard]] bool Scan(std::string_view rec, size_t padding, Value* row);

 private:
  struct Key {
    uint64_t prefix;  // the name's first (up to) 8 bytes, little-endian, zero above its length
    uint64_t mask;    // which bytes of a loaded key's first 8 the prefix covers
    uint64_t suffix;  // names of 9 to 16 bytes: their last 8 bytes
    std::string_view name;
    Type type;
  };
  // The field `key` names (-1: none); `ordinal`: the key's place in its record.
  int Lookup(const char* key, size_t len, size_t ordinal);
  int LookupSlow(const char* key, size_t len, size_t ordinal);
  // A record of printable ASCII without backslashes, from its token index.
  bool WalkTokens(const char* rec, const PlainTokens& tokens, Value* row);
  // Any other record, string by string.
  bool Walk(const char* p, const char* end, Value* row);
  bool ReadString(const char* body, const char* close, bool escaped, const char* end,
                  const Key& key, Value& out);
  const char* ReadScalar(const char* p, const char* end, const Key& key, Value& out);

  std::vector<Field> fields_;  // owns the names the Keys view
  std::vector<Key> keys_;
  // The key met at each of the first places of the last records, and the field it named.
  struct KeyHint {
    size_t len = SIZE_MAX;
    uint64_t mask = 0;  // MaskFor(len)
    uint64_t head = 0;  // its first (up to) 8 bytes
    uint64_t tail = 0;  // its last 8 bytes, when longer than 8
    int field = -1;
  };
  static constexpr size_t kKeyHints = 16;
  KeyHint hints_[kKeyHints];
  std::string unescaped_;  // values of escaped strings of the current record
  uint64_t all_seen_ = 0;
  bool enabled_ = true;
  bool avx512_ = false;  // false for more than 64 fields: the full parser does it all
};

}  // namespace sluice
