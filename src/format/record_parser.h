// RecordParser: reads only the fields a query uses out of one JSON record.
// One per worker thread (it owns a simdjson parser and its buffers). The strings in the Values it
// fills point into the record or into the parser's buffer, and stay valid until the next Parse
// call (and as long as the record's bytes). Most records are decided by a RecordScanner in one
// pass; the rest go through simdjson's On-Demand parser, which gives every verdict of malformed.
#pragma once

#include <simdjson.h>

#include <string_view>
#include <vector>

#include "common/value.h"
#include "format/record_scanner.h"
#include "plan/query.h"

namespace sluice {

class RecordParser {
 public:
  // kScanFirst: records the RecordScanner can decide (most log records) never reach simdjson.
  // kScanFirstAvx2: the same without the scanner's AVX-512 index, as on a CPU without it.
  // kFullOnly: every record through simdjson (tests compare the paths).
  enum class Path { kScanFirst, kScanFirstAvx2, kFullOnly };
  explicit RecordParser(std::vector<Field> fields, Path path = Path::kScanFirst);

  // Parses `rec`; the `padding` bytes after it must be readable (RawBatch guarantees 64).
  // On success fills row[0..fields.size()) and returns nullptr; otherwise returns why the record
  // is malformed (a static string), e.g. "invalid JSON" or "missing field".
  // A record is malformed when it is not one JSON object, or a field the query reads is missing,
  // null, or of another JSON type than the schema says. Duplicate keys: the last one wins.
  [[nodiscard]] const char* Parse(std::string_view rec, size_t padding, Value* row);
  // The same for a batch's records a run at a time: IndexRun indexes the records that start at
  // record 0 of `starts` (see RecordScanner::IndexRun) and returns how many it took, at least one
  // unless record 0 is too long for a run (or the path is kFullOnly): parse that one with Parse.
  // ParseIndexed(k, ...) then parses record k of the run, `rec` being its bytes.
  size_t IndexRun(const char* base, const uint32_t* starts, size_t count);
  // IndexRun for lines no one has cut, which it finds (RecordScanner::CutRun); only when
  // CutsRuns().
  size_t CutRun(const char* base, size_t from, size_t end, std::vector<uint32_t>& starts) {
    return scanner_.CutRun(base, from, end, starts);
  }
  bool CutsRuns() const { return path_ != Path::kFullOnly && scanner_.CutsRuns(); }
  [[nodiscard]] const char* ParseIndexed(size_t k, std::string_view rec, size_t padding,
                                         Value* row);
  // The raw prefilter (exec/raw_prefilter.h): IndexRun searches each record for `text`
  // (ASCII-lowercased); MayHoldText(k) says whether record k of the run holds it, ignoring
  // ASCII case, or a backslash. Asked only when a text is set and the run was indexed.
  void SetPrefilterText(std::string text) { scanner_.SetText(std::move(text)); }
  bool MayHoldText(size_t k) const { return scanner_.MayHoldText(k); }
  // Which field was missing or mistyped in the last failed Parse (-1 if not about one field).
  int last_bad_field() const { return last_bad_field_; }

 private:
  int Lookup(std::string_view key) const;
  const char* ParseFull(std::string_view rec, size_t padding, Value* row);

  simdjson::ondemand::parser parser_;
  std::vector<Field> fields_;
  RecordScanner scanner_;
  Path path_;
  int last_bad_field_ = -1;
};

}  // namespace sluice
