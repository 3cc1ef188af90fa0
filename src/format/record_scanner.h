// RecordScanner: the common case of RecordParser, in one pass over the record's bytes.
//
// Log records are flat objects of strings, numbers and atoms. For those the scanner validates the
// whole record and reads the query's fields in one pass. Records are indexed a run at a time (up
// to kRunBytes of consecutive records of a batch, in one pass of 64 bytes at a time, AVX-512
// where the CPU has it, as simdjson's stage 1 indexes a document): the index holds the run's
// quotes, and checks escapes, bytes outside ASCII and control characters where they occur.
// Records of one producer share a layout (the same keys in the same order, the same bytes
// between values): a record of the layout learned from an earlier one is read by cutting it at
// its quotes and comparing the bytes between its values with the layout's, without reading a
// string's body. Any other record, and one with a control character in it (a tab, a carriage
// return), is walked string by string, 16 bytes at a time. Keys are matched by length and first
// and last 8 bytes, and string values point into the record itself (into a buffer of the scanner
// when they hold escapes).
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
  // The most bytes one run indexes (its quotes and the records stay in the core's cache while
  // they are read); a longer record is walked string by string.
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
  // The same for lines no one has cut (a file batch on the byte grid, RawBatch::uncut): indexes
  // the lines of base[from, end) that end within kRunBytes of `from` (the last may end at `end`
  // without a newline), finding them in the same pass, and appends their ends to `starts` (so
  // that record k of the run is base[starts[k], starts[k + 1]) of the starts before and
  // those). Returns how many: 0 when the line at `from` is longer (Scan it). 64 bytes after
  // `end` are readable. Only when CutsRuns() (the AVX-512 index).
  size_t CutRun(const char* base, size_t from, size_t end, std::vector<uint32_t>& starts);
  bool CutsRuns() const;
  // Scan for record k of the last run; `rec` holds its bytes (those in the run are read).
  [[nodiscard]] bool ScanIndexed(size_t k, std::string_view rec, Value* row);

  // Records read by their layout so far (the rest were walked string by string, or refused).
  size_t laid_out_records() const { return laid_out_records_; }

  // Searches the records of each run for `text` (ASCII-lowercased; empty: no search) while it
  // indexes them: the raw prefilter's text (exec/raw_prefilter.h).
  void SetText(std::string text);
  // Whether record k of the last run holds the text, ignoring ASCII case, or a backslash (which
  // may spell it with escapes). Only asked when a text is set. (Inline: it is asked of every
  // record the batch loop reads.)
  bool MayHoldText(size_t k) const {
    return run_flags_ == nullptr || (run_flags_[k] & kMayHoldText) != 0;
  }

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
  // The record of the last run at offset `start`, of `size` bytes, read by the layout_ (false:
  // it is not laid out so); `first`: its first quote in the run's index; `escaped`: the record
  // holds escapes, and the strings read are decoded where they have one.
  bool ReadLaidOut(size_t start, size_t size, size_t first, bool escaped, Value* row);
  // Learns the layout of `rec`, a record without escapes that the walk took.
  void Learn(std::string_view rec);
  // Any other record, string by string.
  bool Walk(const char* p, const char* end, Value* row);
  bool ReadString(const char* body, const char* close, bool escaped, const char* end,
                  const Key& key, Value& out);
  const char* ReadScalar(const char* p, const char* end, const Key& key, Value& out);
  // A string value between quotes the index found, [body, close), of a STRING field: its bytes, or
  // decoded by ReadString when the record has escapes (`record_escaped`) and the string holds one.
  bool ReadIndexedString(const char* body, const char* close, bool record_escaped, const char* end,
                         const Key& key, Value& out);
  // The scalar value [value, next) less the spaces at its end: checked, and read into
  // row[field] unless field is -1. 8 bytes from `value` are readable.
  bool ScalarSpan(const char* value, const char* next, int field, Value* row);

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
  // Bytes that a record of a layout has between two of its values (or before the first, or
  // after the last).
  struct Literal {
    static constexpr size_t kMaxBytes = 64;
    alignas(32) char bytes[kMaxBytes];  // zero past len
    uint32_t want[2];                   // which bytes of each half of 32 are the literal's
    uint32_t len;
    uint32_t first_quote;  // the offset of its first quote (Layout::kNone: none; only the tail)
  };
  // Whether the bytes at p are the literal's; 64 bytes from p are readable.
  static bool SameLiteral(const char* p, const Literal& literal);
  // A record's layout: the bytes between its values (its keys, and the quotes, colons, commas,
  // spaces and braces around them), as literals. Records of one producer mostly share one: a
  // record that is the layout's literals with values between them is read by where its quotes
  // are, with no walk.
  struct Layout {
    static constexpr size_t kMaxValues = 32;
    static constexpr uint32_t kNone = UINT32_MAX;
    struct ValueAt {
      // Which of the record's quotes closes the value (a string), or starts the literal after
      // it (a scalar; kNone: the tail, which has no quote, follows).
      uint32_t quote;
      int field;  // -1: not read
      bool scalar;
    };
    Literal literals[kMaxValues + 1];  // literal j comes before value j; the last ends the record
    ValueAt values[kMaxValues];
    size_t num_values = 0;
    size_t quotes = 0;  // a record's quotes: all are the literals'
    bool learned = false;
  };
  Layout layout_;
  size_t layout_misses_ = 4;  // records in a row that were not laid out as layout_ (4: learn)
  size_t laid_out_records_ = 0;

  std::unique_ptr<RunIndex> run_;
  // The run index's flags per record (null without an index), and those MayHoldText asks for:
  // RunIndex::kText | RunIndex::kEscaped.
  const uint8_t* run_flags_ = nullptr;
  static constexpr uint8_t kMayHoldText = 4 | 1;
  // Where the next record's quotes start, when the one before was read by the layout.
  size_t next_record_ = 0;
  size_t next_quote_ = 0;
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
