// libFuzzer target: one JSON line through RecordParser (public API only), for the lab's schema
// and for a schema of every JSON type. A record either parses or is malformed with a reason;
// the strings of a parsed row must be readable (ASan checks the bytes they point at).
// Differential: with no fields read, RecordParser only validates, and must agree with simdjson's
// DOM parser (which validates the whole document) on whether the line is one JSON object; the
// one allowed difference is a number that is valid JSON but fits no double or 64-bit integer
// (1e400, 30-digit integers), which the DOM parser refuses, and nesting deeper than 256 levels,
// which RecordParser refuses.
// Differential too: RecordParser's fast path (RecordScanner) must give the same verdict, reason
// and row as the simdjson-only path on every input; and so must its run path, with the input cut
// into records at every newline (as a file source cuts a batch) and indexed a run at a time,
// where the run's search for the raw prefilter's text must find it in exactly the records that
// hold it (or a backslash).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "format/record_parser.h"

namespace {

constexpr size_t kPadding = 64;  // what RawBatch guarantees after every record

// Touches every byte of a parsed row's strings, so a dangling view is reported.
size_t Touch(const sluice::Value* row, size_t n) {
  size_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (row[i].type == sluice::Type::kString) {
      for (char c : row[i].s) sum += static_cast<unsigned char>(c);
    }
  }
  return sum;
}

// A row's values as comparable text (doubles bit for bit).
std::string Outcome(const sluice::Value* row, size_t num_fields) {
  volatile size_t sink = Touch(row, num_fields);
  (void)sink;
  std::string out;
  for (size_t i = 0; i < num_fields; ++i) {
    const sluice::Value& v = row[i];
    out += std::to_string(static_cast<int>(v.type)) + ":";
    if (v.type == sluice::Type::kString) {
      out.append(v.s);
    } else if (v.type == sluice::Type::kDouble) {
      uint64_t bits = 0;
      std::memcpy(&bits, &v.d, sizeof bits);
      out += std::to_string(bits);
    } else {
      out += std::to_string(v.type == sluice::Type::kBool ? int64_t{v.b} : v.i);
    }
    out += '\x1f';
  }
  return out;
}

// The row as text, or the reason when malformed.
std::string Outcome(sluice::RecordParser& parser, size_t num_fields, std::string_view rec) {
  std::vector<sluice::Value> row(num_fields);
  const char* why = parser.Parse(rec, kPadding, row.data());
  if (why != nullptr) {
    if (*why == '\0') std::abort();  // a malformed record always says why
    if (parser.last_bad_field() >= static_cast<int>(num_fields)) std::abort();
    return std::string("malformed: ") + why + " " + std::to_string(parser.last_bad_field());
  }
  return Outcome(row.data(), num_fields);
}

// Both paths of the parser for one schema must agree.
void ParseWith(const std::vector<sluice::Field>& fields, sluice::RecordParser& scan_first,
               sluice::RecordParser& full, std::string_view rec) {
  if (Outcome(scan_first, fields.size(), rec) != Outcome(full, fields.size(), rec)) std::abort();
}

// The raw prefilter's text the run parsers search for (ASCII-lowercased), and what the search
// must answer for a record: it holds the text in any ASCII case, or a backslash.
constexpr std::string_view kText = "crash";
bool HoldsText(std::string_view rec) {
  if (rec.find('\\') != std::string_view::npos) return true;
  std::string lower(rec);
  for (char& c : lower) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  return lower.find(kText) != std::string::npos;
}

// The input as a batch of lines, each parsed in runs and by the full parser on the same bytes;
// and the run's search for kText, on every record the parser takes.
void ParseRuns(const std::vector<sluice::Field>& fields, sluice::RecordParser& runs,
               sluice::RecordParser& full, const std::vector<char>& buf, size_t size) {
  std::vector<uint32_t> starts{0};
  for (size_t i = 0; i < size; ++i) {
    if (buf[i] == '\n') starts.push_back(static_cast<uint32_t>(i + 1));
  }
  if (starts.back() != size) starts.push_back(static_cast<uint32_t>(size));
  const size_t records = starts.size() - 1;
  for (size_t i = 0; i < records;) {
    const size_t n = runs.IndexRun(buf.data(), starts.data() + i, records - i);
    if (n == 0) std::abort();  // fuzz inputs are shorter than a run
    for (size_t k = 0; k < n; ++k, ++i) {
      size_t len = starts[i + 1] - starts[i];
      if (len > 0 && buf[starts[i] + len - 1] == '\n') --len;
      const std::string_view rec(buf.data() + starts[i], len);
      const size_t padding = buf.size() - starts[i + 1];
      std::vector<sluice::Value> row(fields.size());
      const char* a = runs.ParseIndexed(k, rec, padding, row.data());
      const std::string indexed = a == nullptr ? Outcome(row.data(), fields.size()) : a;
      const char* b = full.Parse(rec, padding, row.data());
      const std::string alone = b == nullptr ? Outcome(row.data(), fields.size()) : b;
      if (indexed != alone) std::abort();
      if (a == nullptr && runs.MayHoldText(k) != HoldsText(rec)) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<sluice::Field> kLab = sluice::LabSchema().fields;
  static const std::vector<sluice::Field> kTyped = {{"i", sluice::Type::kInt64},
                                                    {"d", sluice::Type::kDouble},
                                                    {"s", sluice::Type::kString},
                                                    {"b", sluice::Type::kBool}};
  using Path = sluice::RecordParser::Path;
  static sluice::RecordParser lab(kLab), lab_full(kLab, Path::kFullOnly);
  static sluice::RecordParser typed(kTyped), typed_full(kTyped, Path::kFullOnly);
  // The scanner's AVX2 index too, where the CPU would take the AVX-512 one.
  static sluice::RecordParser lab_avx2(kLab, Path::kScanFirstAvx2);
  static sluice::RecordParser typed_avx2(kTyped, Path::kScanFirstAvx2);
  static const bool text_set = [] {
    lab.SetPrefilterText(std::string(kText));
    typed_avx2.SetPrefilterText(std::string(kText));
    return true;
  }();
  (void)text_set;
  // The record sits in its own allocation with exactly the promised padding after it, so a
  // read beyond the padding is an ASan report.
  std::vector<char> buf(size + kPadding, ' ');
  if (size > 0) std::memcpy(buf.data(), data, size);
  const std::string_view rec(buf.data(), size);
  ParseWith(kLab, lab, lab_full, rec);
  ParseWith(kTyped, typed, typed_full, rec);
  ParseWith(kLab, lab_avx2, lab_full, rec);
  ParseWith(kTyped, typed_avx2, typed_full, rec);
  if (size <= sluice::RecordScanner::kRunBytes) {
    ParseRuns(kLab, lab, lab_full, buf, size);
    ParseRuns(kTyped, typed_avx2, typed_full, buf, size);
  }

  static sluice::RecordParser none({});
  const char* why = none.Parse(rec, kPadding, nullptr);
  const bool accepted = why == nullptr;
  // Nesting beyond 256 levels is refused on purpose (the DOM parser allows 1024).
  if (why != nullptr && std::strcmp(why, "JSON nested deeper than 256 levels") == 0) return 0;
  static simdjson::dom::parser dom;
  simdjson::dom::element doc;
  const auto err = dom.parse(buf.data(), size, true).get(doc);
  const bool dom_object = err == simdjson::SUCCESS && doc.is_object();
  const bool number_range = err == simdjson::NUMBER_ERROR;
  if (accepted && !dom_object && !number_range) std::abort();  // took what is not JSON
  if (!accepted && dom_object) std::abort();                   // refused a valid object
  return 0;
}
