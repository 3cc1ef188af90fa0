// RecordScanner: the common case of RecordParser, in one pass over the record's bytes.
//
// Log records are flat objects of strings, numbers and atoms. For those the scanner validates the
// whole record and reads the query's fields in one pass. Records are indexed a run at a time (up
// to kRunBytes of consecutive records of a batch, in one pass of 64 bytes at a time, AVX-512
// where the CPU has it, as simdjson's stage 1 indexes a document): the index holds each record's
// tokens (quotes, the operators outside strings and the first byte of every other run of bytes
// outside strings), and each record is then walked by its tokens without reading a string's
// body. Escapes and bytes outside ASCII are checked during the indexing, where they occur; a
// record with a control character in it (a tab, a carriage return) is walked string by string
// instead, 16 bytes at a time. Keys are matched by length and first and last 8 bytes, and string
// values point into the record itself (into a buffer of the scanner when they hold escapes).
// Whatever it is not sure of (an escaped key, a nested object or array, a number that needs care, a
// missing field, any error) it leaves to the full parser, which then gives the verdict: the scanner
// never refuses a record, so what is malformed, and why, is decided in one place.
//
// Accepting is the scanner's whole responsibility: when Scan returns true the record is one JSON
// object that the full parser would accept with the same row. The fuzz target record_parser_fuzz
// and record_parser_test check that difference stays empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/value.h"
#include "plan/query.h"

namespace sluice {

class RunIndex;  // record_scanner.cc

class RecordScanner {
 public:
  // Bytes after a record the scanner may read: 16 when it scans string by string, 64 when it
  // indexes 64 bytes at a time (RawBatch guarantees 64 after its last record).
  static constexpr size_t kMinPadding = 16;
  static constexpr size_t kBlockPadding = 64;
  // The most bytes one run indexes (its tokens and the records stay in the core's cache while
  // they are walked); a longer record is walked string by string.
  static constexpr size_t kRunBytes = 8 << 10;

  // allow_avx512 false: the AVX2 index even where the CPU has AVX-512 (tests compare the two).
  explicit RecordScanner(const std::vector<Field>& fields, bool allow_avx512 = true);
  ~RecordScanner();
  RecordScanner(const RecordScanner&) = delete;
  RecordScanner& operator=(const RecordScanner&) = delete;

  // True: `rec` is well-formed, row[0..fields) is filled and its strings point into `rec`.
  // False: not decided here (the row may be partly written); ask RecordParser's full path.
  // Forgets the last run.
  [[nodiscard]] bool Scan(std::string_view rec, size_t padding, Value* row);

  // Indexes the run of records that starts at record 0 of `starts`: record k is the bytes
  // base[starts[k], starts[k + 1]) less one trailing newline (as in a RawBatch), and 64 bytes
  // after base + starts[count] are readable. Takes records while the run stays within kRunBytes
  // (bytes, and records: empty ones take no bytes) and returns how many it took: 0 when record
  // 0 alone is longer (Scan it).
  size_t IndexRun(const char* base, const uint32_t* starts, size_t count);
  // Scan for record k of the last run; `rec` is its bytes.
  [[nodiscard]] bool ScanIndexed(size_t k, std::string_view rec, Value* row);

  // Searches the records of each run for `text` (ASCII-lowercased; empty: no search) while it
  // indexes them: the raw prefilter's text (exec/raw_prefilter.h).
  void SetText(std::string text);
  // Whether record k of the last run holds the text, ignoring ASCII case, or a backslash (which
  // may spell it with escapes). Only asked when a text is set.
  bool MayHoldText(size_t k) const;

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
  // The field named `key` (-1: none); head and tail: Load8 of its first and last 8 bytes.
  int FieldNamed(const char* key, size_t len, uint64_t head, uint64_t tail) const;
  // Record k of the run, by its tokens.
  bool WalkTokens(size_t k, Value* row);
  // The same for a record laid out as the layout_ (false: it is not, walk it); `escaped`: the
  // record holds escapes, and the strings read are decoded where they have one.
  bool ReadLaidOut(const char* b, const uint32_t* at, const uint8_t* chars, uint32_t end,
                   bool escaped, Value* row);
  // Learns the layout of a record the walk took: `n` tokens from `at`.
  void Learn(const char* b, const uint32_t* at, const uint8_t* chars, size_t n);
  // Any other record, string by string.
  bool Walk(const char* p, const char* end, Value* row);
  bool ReadString(const char* body, const char* close, bool escaped, const char* end,
                  const Key& key, Value& out);
  const char* ReadScalar(const char* p, const char* end, const Key& key, Value& out);
  // A string value between tokens, [body, close), of a STRING field: its bytes, or decoded by
  // ReadString when the record has escapes (`record_escaped`) and the string holds one.
  bool ReadTokenString(const char* body, const char* close, bool record_escaped, const char* end,
                       const Key& key, Value& out);
  // The scalar value that starts at `value` and ends before `next` (the next token) less the
  // spaces there: checked, and read into row[field] unless field is -1.
  bool ScalarBeforeToken(const char* value, const char* next, int field, Value* row);

  std::vector<Field> fields_;  // owns the names the Keys view
  std::vector<Key> keys_;
  // A key of at most 16 bytes met in a record, and the field it named: matched by its length and
  // first and last 8 bytes.
  struct KeyHint {
    size_t len = SIZE_MAX;
    uint64_t mask = 0;  // MaskFor(len)
    uint64_t head = 0;  // its first (up to) 8 bytes
    uint64_t tail = 0;  // its last 8 bytes, when longer than 8
    int field = -1;
    static KeyHint Of(const char* key, size_t len, int field);
    // Up to 16 bytes from `key` are readable.
    bool Matches(const char* key, size_t len) const;
  };
  // The key met at each of the first places of the last records.
  static constexpr size_t kKeyHints = 16;
  KeyHint hints_[kKeyHints];
  // A record's layout: its tokens' bytes (scalars as one class) and its keys. Records of one
  // producer mostly share one: a record with the same tokens and keys is read by where its
  // values are, with no walk.
  struct Layout {
    static constexpr size_t kMaxTokens = 128;
    static constexpr size_t kMaxKeys = kMaxTokens / 4;
    struct KeyAt {
      uint32_t token;  // the key's opening quote; its value's token is 3 further
      KeyHint key;     // its field -1: not read
      bool scalar;     // the value is a scalar (else a string)
    };
    size_t tokens = 0;  // 0: none learned
    uint8_t chars[kMaxTokens + 32] = {};
    KeyAt keys[kMaxKeys];
    size_t num_keys = 0;
  };
  Layout layout_;
  size_t layout_misses_ = 4;  // records in a row that were not laid out as layout_ (4: learn)

  std::unique_ptr<RunIndex> run_;
  // Where the next record's tokens start, when the walk of the one before went through.
  size_t next_record_ = 0;
  size_t next_token_ = 0;
  // Values of escaped strings of the current record, decoded: unescaped_[0, unescaped_size_).
  static constexpr size_t kUnescapeSlack = 16;
  std::unique_ptr<char[]> unescaped_;
  size_t unescaped_cap_ = 0;
  size_t unescaped_size_ = 0;
  uint64_t all_seen_ = 0;
  bool enabled_ = true;  // false for more than 64 fields: the full parser does it all
  bool avx512_ = false;
};

}  // namespace sluice
