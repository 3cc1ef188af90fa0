// The record scanner against the full parser: on every input the two paths of RecordParser
// (scan first, or simdjson only) must give the same verdict, the same reason and the same row,
// and the scanner must take the records it was written for (else its speed is never used).
#include "format/record_scanner.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "format/record_parser.h"
#include "gen/generator.h"

namespace sluice {
namespace {

constexpr size_t kPadding = 64;  // what RawBatch guarantees

// The fields of the lab schema plus one of each other type.
std::vector<Field> Fields() {
  std::vector<Field> f = LabSchema().fields;
  f.push_back({"d", Type::kDouble});
  f.push_back({"b", Type::kBool});
  return f;
}

std::vector<Field> LabFields() { return LabSchema().fields; }

struct Outcome {
  std::string why;  // "" when accepted
  int bad_field = -1;
  std::vector<std::string> row;  // each value printed with its type
};

std::string Show(const Value& v) {
  switch (v.type) {
    case Type::kString:
      return "s:" + std::string(v.s);
    case Type::kInt64:
      return "i:" + std::to_string(v.i);
    case Type::kDouble: {
      uint64_t bits = 0;
      std::memcpy(&bits, &v.d, sizeof bits);
      return "d:" + std::to_string(bits);
    }
    case Type::kBool:
      return v.b ? "b:true" : "b:false";
    default:
      return "other";
  }
}

Outcome ParseWith(RecordParser& parser, size_t fields, const std::string& rec) {
  // Padding of bytes a record could continue with, so reading past the end would show.
  std::string buf = rec + std::string(kPadding, '"');
  std::vector<Value> row(fields);
  Outcome o;
  const char* why = parser.Parse(std::string_view(buf.data(), rec.size()), kPadding, row.data());
  if (why != nullptr) {
    o.why = why;
    o.bad_field = parser.last_bad_field();
    return o;
  }
  for (const Value& v : row) o.row.push_back(Show(v));
  return o;
}

// The scanner (with the AVX-512 index where the CPU has it, and with the AVX2 one) against the
// full parser: same verdict, reason, field and row.
void ExpectSame(const std::vector<Field>& fields, const std::string& rec) {
  RecordParser full(fields, RecordParser::Path::kFullOnly);
  const Outcome b = ParseWith(full, fields.size(), rec);
  for (auto path : {RecordParser::Path::kScanFirst, RecordParser::Path::kScanFirstAvx2}) {
    RecordParser scan_first(fields, path);
    const Outcome a = ParseWith(scan_first, fields.size(), rec);
    EXPECT_EQ(a.why, b.why) << rec;
    EXPECT_EQ(a.bad_field, b.bad_field) << rec;
    EXPECT_EQ(a.row, b.row) << rec;
  }
}

bool Scans(const std::vector<Field>& fields, const std::string& rec) {
  RecordScanner scanner(fields);
  std::string buf = rec + std::string(kPadding, ' ');
  std::vector<Value> row(fields.size());
  return scanner.Scan(std::string_view(buf.data(), rec.size()), kPadding, row.data());
}

std::vector<std::string> Generated(size_t n, double malformed) {
  GeneratorOptions o;
  o.start_ms = 1'769'538'590'000;
  o.seed = 7;
  o.malformed_fraction = malformed;
  Generator gen(o);
  std::string lines;
  gen.Next(n, lines);
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < lines.size()) {
    const size_t nl = lines.find('\n', pos);
    out.push_back(lines.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

TEST(RecordScannerTest, TakesEveryWellFormedGeneratedRecord) {
  // Escapes, non-ASCII text, mixed case: all of the generator's well-formed records are the
  // scanner's, so none of them pays for simdjson.
  RecordParser full(LabFields(), RecordParser::Path::kFullOnly);
  size_t accepted = 0;
  for (const std::string& rec : Generated(5000, 0.05)) {
    if (!ParseWith(full, LabFields().size(), rec).why.empty()) continue;
    ++accepted;
    EXPECT_TRUE(Scans(LabFields(), rec)) << rec;
  }
  EXPECT_GT(accepted, 4000U);
}

TEST(RecordScannerTest, AgreesWithTheFullParserOnGeneratedRecords) {
  for (const std::string& rec : Generated(5000, 0.2)) {
    ExpectSame(LabFields(), rec);
    ExpectSame(Fields(), rec);
  }
}

std::vector<std::string> EdgeCases() {
  const char* base = R"({"timestamp":1000,"status":"200","severity":"High","source_ip":"1.2.3.4",)"
                     R"("user_id":"u","content":"c","d":1.5,"b":true)";
  std::vector<std::string> cases;
  for (const char* tail : {"}",
                           " } ",
                           "}\r",
                           "}\t",
                           "} x",
                           "}}",
                           ",}",
                           "",
                           ",\"x\":[1,{\"y\":null}]}",
                           ",\"x\":{}}",
                           ",\"x\":\"a\\u00e9\\ud83d\\ude00\"}",
                           ",\"x\":\"\\ud83d\"}",
                           ",\"x\":\"\\ude00\"}",
                           ",\"x\":\"\\q\"}",
                           ",\"x\":\"tab\there\"}",
                           ",\"x\":01}",
                           ",\"x\":-0}",
                           ",\"x\":1.}",
                           ",\"x\":1e400}",
                           ",\"x\":truex}",
                           ",\"x\":nul}",
                           ",\"x\":\"\xc3\xa9\"}",
                           ",\"x\":\"\xc3\"}",
                           ",\"x\":\"\xed\xa0\x80\"}",
                           ",\"x\":\"\xf4\x90\x80\x80\"}",
                           ",\"x\":\"\xe0\x80\xaf\"}",
                           ",\"\\u0078\":1}",
                           ",\"timestamp\":2000}",
                           ",\"timestamp\":\"2000\"}",
                           ",\"content\":\"a\\\"b\\\\c\\/\"}",
                           ",\"content\":\"\\u0000\"}",
                           ",\"content\":\"\\u00e9\\u4e2d\\ud83d\\ude00\"}",
                           ",\"d\":-0.0}",
                           ",\"d\":5}",
                           ",\"d\":1e-400}",
                           ",\"d\":1.7976931348623157e308}",
                           ",\"d\":4.9e-324}",
                           ",\"d\":0.1e1}",
                           ",\"d\":-0.099999999999999999999999}",
                           ",\"d\":0.1000000000000000055511151231257827}",
                           ",\"d\":1234567890123456789}",
                           ",\"d\":12345678901234567890}",
                           ",\"d\":123456789012345678901234567890}",
                           ",\"b\":false}",
                           ",\"b\":null}",
                           ",\"b\":1}",
                           ",\"user_id\":null}"}) {
    cases.push_back(base + std::string(tail));
  }
  for (const char* ts :
       {"0", "-0", "-1", "123456789012345678", "1234567890123456789", "9223372036854775807",
        "9223372036854775808", "1.0", "1e3", "01", "- 1", "1 ", " 1"}) {
    cases.push_back(std::string(R"({"timestamp":)") + ts +
                    R"(,"status":"1","severity":"s","source_ip":"i","user_id":"u","content":"c"})");
  }
  for (const char* whole : {"", " ", "{}", "[]", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\" 1}",
                            "{,}", "\xef\xbb\xbf{}", "{\"timestamp\":1}"}) {
    cases.push_back(whole);
  }
  return cases;
}

TEST(RecordScannerTest, AgreesWithTheFullParserOnEdgeCases) {
  for (const std::string& rec : EdgeCases()) {
    ExpectSame(Fields(), rec);
    ExpectSame(LabFields(), rec);
  }
}

// Integers of every length (read with two 8-byte loads up to 16 digits), tokens on both sides of
// 64-byte block edges, blocks with more than 16 and 32 tokens, records of 40 to 560 bytes, and a
// stray byte at every place.
std::vector<std::string> TokenLayoutCases() {
  std::vector<std::string> cases;
  const std::string digits = "9876543210987654321";
  for (size_t n = 1; n <= digits.size(); ++n) {
    for (const char* sign : {"", "-"}) {
      for (const char* pad : {"", " "}) {
        cases.push_back(
            std::string(R"({"timestamp":)") + pad + sign + digits.substr(0, n) + pad +
            R"(,"status":"1","severity":"s","source_ip":"i","user_id":"u","content":"c"})");
      }
    }
  }
  cases.push_back(
      R"({"timestamp":12 34,"status":"1","severity":"s","source_ip":"i","user_id":"u","content":"c"})");
  cases.push_back(
      R"({"timestamp":00,"status":"1","severity":"s","source_ip":"i","user_id":"u","content":"c"})");
  // Many short keys nobody reads: up to 5 tokens per 6 bytes.
  std::string dense = "{";
  for (int k = 0; k < 60; ++k)
    dense += "\"" + std::string(1, static_cast<char>('a' + k % 26)) +
             "\":" + std::to_string(k % 10) + ",";
  std::string strings = "{";
  for (int k = 0; k < 40; ++k) strings += "\"k\":\"\",";
  const std::string lab =
      R"("timestamp":5,"status":"1","severity":"s","source_ip":"i","user_id":"u","content":"c"})";
  cases.push_back(dense + lab);
  cases.push_back(strings + lab);
  for (size_t len = 40; len <= 560; len += 7) {
    // A string padded so the record is `len` bytes long, to move every token across block edges.
    const std::string head = R"({"x":")";
    const std::string tail = R"(",)" + lab;
    if (len > head.size() + tail.size())
      cases.push_back(head + std::string(len - head.size() - tail.size(), 'y') + tail);
  }
  const std::string plain = Generated(1, 0.0)[0];
  for (const std::string& rec : {plain, dense + lab}) {
    for (size_t at = 0; at <= rec.size(); ++at) {
      for (const char* stray : {"x", " ", "\"", ":", ",", "{", "}", "[", "1"}) {
        cases.push_back(rec.substr(0, at) + stray + rec.substr(at));
      }
    }
  }
  return cases;
}

TEST(RecordScannerTest, AgreesWithTheFullParserAcrossTokenLayouts) {
  for (const std::string& rec : TokenLayoutCases()) {
    ExpectSame(Fields(), rec);
    ExpectSame(LabFields(), rec);
  }
}

// Random edits of generated records with the bytes JSON's grammar turns on, each after the
// record it was made from.
std::vector<std::string> MutatedCases(int rounds) {
  std::vector<std::string> cases;
  const std::vector<std::string> recs = Generated(400, 0.0);
  const std::string alphabet = "{}[]:,\"\\ \t-+.eE0123456789tfnulx\x80\xc3\xa9\x01/u";
  std::mt19937_64 rng(11);
  for (int round = 0; round < rounds; ++round) {
    std::string rec = recs[rng() % recs.size()];
    cases.push_back(rec);
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !rec.empty(); ++e) {
      const size_t at = rng() % rec.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          rec[at] = c;
          break;
        case 1:
          rec.insert(rec.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          rec.erase(at, 1);
      }
    }
    cases.push_back(rec);
  }
  return cases;
}

TEST(RecordScannerTest, AgreesWithTheFullParserOnMutatedRecords) {
  for (const std::string& rec : MutatedCases(4000)) {
    ExpectSame(LabFields(), rec);
    ExpectSame(Fields(), rec);
  }
}

// Records as a batch holds them: each followed by `separator` ("\n" as a file source cuts
// lines, the newline not part of the record; "" as a Kafka source glues them), record k at
// bytes[starts[k], starts[k + 1]), then kPadding bytes of `pad`.
struct Glued {
  std::string bytes;
  std::vector<uint32_t> starts{0};
};
Glued Glue(const std::vector<std::string>& recs, const std::string& separator, char pad) {
  Glued g;
  for (const std::string& rec : recs) {
    g.bytes += rec + separator;
    g.starts.push_back(static_cast<uint32_t>(g.bytes.size()));
  }
  g.bytes += std::string(kPadding, pad);
  return g;
}

// Every record of `recs` parsed as a batch parses it, a run at a time (RecordParser::IndexRun),
// against the full parser record by record. `separator` follows each record: "\n" as a file
// source cuts lines (the newline is not part of the record), "" as a Kafka source glues them.
void ExpectSameInRuns(const std::vector<Field>& fields, const std::vector<std::string>& recs,
                      const std::string& separator) {
  const auto [bytes, starts] = Glue(recs, separator, '"');  // bytes a record could continue with
  RecordParser full(fields, RecordParser::Path::kFullOnly);
  for (auto path : {RecordParser::Path::kScanFirst, RecordParser::Path::kScanFirstAvx2}) {
    RecordParser parser(fields, path);
    size_t runs = 0;
    for (size_t i = 0; i < recs.size();) {
      const size_t n = parser.IndexRun(bytes.data(), starts.data() + i, recs.size() - i);
      ++runs;
      if (n == 0) {  // longer than a run: parsed alone
        EXPECT_GT(recs[i].size(), RecordScanner::kRunBytes);
        ++i;
        continue;
      }
      for (size_t k = 0; k < n; ++k, ++i) {
        // The full parser reads the same bytes: simdjson's reason for some errors depends on the
        // bytes after the record.
        const std::string_view rec(bytes.data() + starts[i], recs[i].size());
        const size_t padding = bytes.size() - starts[i + 1];
        auto outcome = [&](RecordParser& p, bool indexed) {
          std::vector<Value> row(fields.size());
          Outcome o;
          const char* why = indexed ? p.ParseIndexed(k, rec, padding, row.data())
                                    : p.Parse(rec, padding, row.data());
          if (why != nullptr) {
            o.why = why;
            o.bad_field = p.last_bad_field();
          } else {
            for (const Value& v : row) o.row.push_back(Show(v));
          }
          return o;
        };
        const Outcome a = outcome(parser, true);
        const Outcome b = outcome(full, false);
        EXPECT_EQ(a.why, b.why) << recs[i];
        EXPECT_EQ(a.bad_field, b.bad_field) << recs[i];
        EXPECT_EQ(a.row, b.row) << recs[i];
      }
    }
    EXPECT_LT(runs, recs.size());  // runs of several records
  }
}

TEST(RecordScannerTest, TakesEveryWellFormedRecordOfARunWhateverCameBefore) {
  // Each record of a run starts afresh: outside strings, escapes, UTF-8 sequences and scalars,
  // whatever the record before it left open; and the run's well-formed records are all the
  // scanner's (the engine's speed is there).
  const std::vector<std::string> good = Generated(200, 0.0);
  const std::vector<std::string> open = {
      "{\"a\":\"x", "{\"a\":\"x\\", "{\"a\":\"\\u00", "{\"a\":\"\xc3", "{\"a\":1", "\"", "\\",
      "1",          "{\"a\":\"\\\""};
  for (const char* separator : {"\n", ""}) {
    std::vector<std::string> recs;
    for (size_t i = 0; i < good.size(); ++i) {
      recs.push_back(open[i % open.size()]);
      recs.push_back(good[i]);
    }
    const auto [bytes, starts] = Glue(recs, separator, ' ');
    for (bool avx512 : {true, false}) {
      RecordScanner scanner(LabFields(), avx512);
      std::vector<Value> row(LabFields().size());
      const size_t records = starts.size() - 1;
      size_t runs = 0;
      size_t taken = 0;
      for (size_t i = 0; i < records; ++runs) {
        const size_t n = scanner.IndexRun(bytes.data(), starts.data() + i, records - i);
        ASSERT_GT(n, 0U);
        for (size_t k = 0; k < n; ++k, ++i) {
          if (i % 2 == 0) continue;  // the open one
          EXPECT_TRUE(scanner.ScanIndexed(k, good[i / 2], row.data()))
              << "after " << open[(i / 2) % open.size()] << ": " << good[i / 2];
          ++taken;
        }
      }
      EXPECT_LT(runs, records / 10);
      // All by their layout but the first, which it is learned from.
      EXPECT_EQ(scanner.laid_out_records(), taken - 1);
    }
  }
}

TEST(RecordScannerTest, ARunOfManyEmptyRecordsStaysWithinTheRunsSize) {
  // Empty records (Kafka tombstones) take no bytes: a run holds at most kRunBytes records all
  // the same, and the records after them are still read.
  const std::string good = Generated(1, 0.0)[0];
  const size_t empties = RecordScanner::kRunBytes + 2000;
  std::vector<std::string> recs(empties);
  recs.push_back(good);
  const auto [bytes, starts] = Glue(recs, "", ' ');
  for (bool avx512 : {true, false}) {
    RecordScanner scanner(LabFields(), avx512);
    std::vector<Value> row(LabFields().size());
    const size_t records = starts.size() - 1;
    size_t i = 0;
    while (i < records) {
      const size_t n = scanner.IndexRun(bytes.data(), starts.data() + i, records - i);
      ASSERT_GT(n, 0U);
      ASSERT_LE(n, RecordScanner::kRunBytes);
      if (i + n == records) {
        EXPECT_TRUE(scanner.ScanIndexed(n - 1, good, row.data()));
      }
      i += n;
    }
  }
}

TEST(RecordScannerTest, AgreesWithTheFullParserOnRunsOfRecords) {
  // The index carries state from one 64-byte block to the next (strings, escapes, UTF-8
  // sequences, scalars) and each record must start afresh, whatever the one before it left open;
  // records that share a layout are read by it.
  std::vector<std::string> recs = Generated(3000, 0.2);
  for (const auto& more : {EdgeCases(), TokenLayoutCases(), MutatedCases(1500)}) {
    recs.insert(recs.end(), more.begin(), more.end());
  }
  for (const char* unclosed : {"{\"a\":\"x", "{\"a\":\"x\\", "{\"a\":\"\\u00", "{\"a\":1\xc3"}) {
    // A record left inside a string, an escape or a UTF-8 sequence, then a well-formed one.
    recs.push_back(unclosed);
    recs.push_back(recs[0]);
  }
  // Junk before a record's object, after a record that ends the same way.
  for (const char* junk : {"1", "x", "\\", "\xc3"}) {
    recs.push_back(junk);
    recs.push_back(junk + recs[0]);
  }
  recs.push_back(std::string(RecordScanner::kRunBytes + 10, ' ') + recs[0]);  // too long for a run
  recs.push_back(recs[0]);
  for (const char* separator : {"\n", ""}) {
    ExpectSameInRuns(LabFields(), recs, separator);
    ExpectSameInRuns(Fields(), recs, separator);
  }
}

// Records of one layout, `head` + 0 to 69 bytes + each of `middles` + `"}`: those the full parser
// takes are all read by the layout, with the AVX-512 and the AVX2 index (none was flagged for the
// walk, and the index found the right quotes). Returns how many, less the four of plain text.
size_t ExpectTheValidOnesReadByTheLayout(const std::string& head,
                                         const std::vector<std::string>& middles) {
  std::vector<std::string> valid(4, head + "plain\"}");
  RecordParser full(LabFields(), RecordParser::Path::kFullOnly);
  for (size_t pad = 0; pad < 70; ++pad) {
    for (const std::string& m : middles) {
      const std::string rec = head + std::string(pad, 'x') + m + "\"}";
      if (ParseWith(full, LabFields().size(), rec).why.empty()) valid.push_back(rec);
    }
  }
  const auto [bytes, starts] = Glue(valid, "", ' ');
  for (bool avx512 : {true, false}) {
    RecordScanner scanner(LabFields(), avx512);
    std::vector<Value> row(LabFields().size());
    for (size_t i = 0; i < valid.size();) {
      const size_t n = scanner.IndexRun(bytes.data(), starts.data() + i, valid.size() - i);
      EXPECT_GT(n, 0U);
      if (n == 0) return 0;
      for (size_t k = 0; k < n; ++k, ++i) EXPECT_TRUE(scanner.ScanIndexed(k, valid[i], row.data()));
    }
    EXPECT_EQ(scanner.laid_out_records(), valid.size() - 1) << "avx512 " << avx512;
  }
  return valid.size() - 4;
}

TEST(RecordScannerTest, AgreesWithTheFullParserOnEscapesAtEveryOffset) {
  // Every kind of escape, valid or not, at every offset from a block's start (and so across
  // blocks), in records of one layout read by it: which quotes escapes escape, which escapes
  // JSON has, and surrogate pairs, whole, split or alone.
  const std::vector<std::string> escapes = {
      R"(\u0063)", R"(\u00E9)", R"(\ud83d\ude00)", R"(\uD83D\uDE00)", R"(\udbff\udfff)",
      R"(\ud83d)", R"(\ude00)", R"(\ud83d\u0041)", R"(\ud83dx)",      R"(\ud7ff\ue000)",
      R"(\\)",     R"(\\\")",   R"(\")",           R"(\/\b\f\n\r\t)", R"(\u00)",
      R"(\u00g1)", R"(\x)",     R"(\\\\\")",       R"(\u")",          R"(\ud83d\")"};
  const std::string head = R"({"timestamp": 1, "status": "s", "severity": "x", "source_ip": "i",)"
                           R"( "user_id": "u", "content": ")";
  std::vector<std::string> recs(4, head + "plain\"}");
  for (size_t pad = 0; pad < 70; ++pad) {
    for (const std::string& e : escapes) {
      recs.push_back(head + std::string(pad, 'x') + e + "y\"}");
      recs.push_back(head + std::string(pad, 'x') + e + "\"}");
    }
  }
  // The content read (its escapes decoded), and not read (only checked by the index).
  const std::vector<Field> time_only = {{"timestamp", Type::kInt64}};
  for (const char* separator : {"\n", ""}) {
    ExpectSameInRuns(LabFields(), recs, separator);
    ExpectSameInRuns(time_only, recs, separator);
  }
  // The valid ones are all read by the layout: the index found the right quotes.
  EXPECT_GT(ExpectTheValidOnesReadByTheLayout(head, escapes), 70U * 10);
}

TEST(RecordScannerTest, AgreesWithTheFullParserOnUtf8AtEveryOffset) {
  // Sequences of every length, valid or not, at every offset from a block's start (so they run
  // across blocks), in a string the query reads and in one it only checks, and outside strings:
  // the bounds of each lead's second byte (overlong forms, surrogates, above U+10FFFF), bytes
  // never in UTF-8, stray and missing continuation bytes, and a sequence cut by the record's end.
  const std::vector<std::string> sequences = {"\xc3\xa9",
                                              "\xc2\x80",
                                              "\xdf\xbf",
                                              "\xe0\xa0\x80",
                                              "\xe0\x9f\xbf",
                                              "\xed\x9f\xbf",
                                              "\xed\xa0\x80",
                                              "\xee\x80\x80",
                                              "\xef\xbf\xbf",
                                              "\xf0\x90\x80\x80",
                                              "\xf0\x8f\xbf\xbf",
                                              "\xf4\x8f\xbf\xbf",
                                              "\xf4\x90\x80\x80",
                                              "\xf0\x9f\x92\xa5",
                                              "\xc0\x80",
                                              "\xc1\xbf",
                                              "\xf5\x80\x80\x80",
                                              "\xff",
                                              "\x80",
                                              "\xbf\xbf",
                                              "\xc3",
                                              "\xe2\x82",
                                              "\xf0\x9f\x92",
                                              "\xc3\xa9\xa9",
                                              "\xe2\x82\xac\x80",
                                              "\xc3\xc3\xa9",
                                              "\xe2\x28\xa1",
                                              "\xf0\x9f\x92\xa5\xf0\x9f"};
  const std::string head = R"({"timestamp": 1, "status": "s", "severity": "x", "source_ip": "i",)"
                           R"( "user_id": "u", "content": ")";
  std::vector<std::string> recs(4, head + "plain\"}");
  for (size_t pad = 0; pad < 70; ++pad) {
    for (const std::string& q : sequences) {
      const std::string x(pad, 'x');
      recs.push_back(head + x + q + "y\"}");
      recs.push_back(head + x + q + "\"}");
      recs.push_back(head + R"(c", "other": ")" + x + q + "\"}");  // a value only checked
      recs.push_back(head + x + "\"}" + q);                        // after the record's end
    }
  }
  const std::vector<Field> time_only = {{"timestamp", Type::kInt64}};
  for (const char* separator : {"\n", ""}) {
    ExpectSameInRuns(LabFields(), recs, separator);
    ExpectSameInRuns(time_only, recs, separator);
  }
  // The valid ones are all read by the layout: no valid sequence flagged its record.
  EXPECT_EQ(ExpectTheValidOnesReadByTheLayout(head, sequences), 70U * 10);  // ten are valid
}

// What the run index's search for the raw prefilter's text must answer for a record, byte by
// byte: it holds the text ignoring ASCII case, or a backslash.
bool HoldsText(std::string_view rec, std::string_view text) {
  if (rec.find('\\') != std::string_view::npos) return true;
  std::string lower(rec);
  for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return lower.find(text) != std::string::npos;
}

TEST(RecordScannerTest, AgreesWithTheFullParserOnStringsDenseWithEscapes) {
  // Decoding 64 bytes at a time: strings of up to 300 bytes made of escapes of every valid kind
  // (ASCII ones such as \u0041 and \u005C, others of two to four bytes of UTF-8, simple ones and
  // runs of backslashes) between runs of 0 to 9 plain bytes, so escapes fall at every place of a
  // block and across blocks, many to a block.
  const std::vector<std::string> pieces = {
      R"(\u0063)", R"(\u0041)", R"(\u005C)",       R"(\u0022)", R"(\u007f)",
      R"(\u0000)", R"(\u001F)", R"(\u0080)",       R"(\u00E9)", R"(\u07FF)",
      R"(\u0800)", R"(\uFFFF)", R"(\ud83d\ude00)", R"(\n)",     R"(\t)",
      R"(\")",     R"(\\)",     R"(\/)",           R"(\b)",     R"(\f)",
      R"(\r)",     R"(\\\\)",   R"(\\\")",         "\xc3\xa9",  "\xf0\x9f\x92\xa5"};
  const std::string head = R"({"timestamp": 1, "status": "s", "severity": "x", "source_ip": "i",)"
                           R"( "user_id": "u", "content": ")";
  std::mt19937 rng(11);
  std::vector<std::string> recs(4, head + "plain\"}");
  for (int r = 0; r < 3000; ++r) {
    std::string content;
    const size_t target = rng() % 300;
    while (content.size() < target) {
      content += std::string(rng() % 10, static_cast<char>('a' + rng() % 26));
      content += pieces[rng() % pieces.size()];
    }
    recs.push_back(head + content + "\"}");
  }
  for (const char* separator : {"\n", ""}) ExpectSameInRuns(LabFields(), recs, separator);
}

TEST(RecordScannerTest, FlagsTheRightRecordsOfARunWithEmptyOnes) {
  // Empty records (a Kafka message may be empty) start where the next one does: the index still
  // flags escapes, bytes outside ASCII, control characters and the prefilter's text on the record
  // that holds them.
  const std::string plain = R"({"timestamp": 1, "status": "s", "severity": "x", "source_ip": "i",)"
                            R"( "user_id": "u", "content": "plain"})";
  const std::string text = R"({"timestamp": 1, "status": "s", "severity": "x", "source_ip": "i",)"
                           R"( "user_id": "u", "content": "a CRASH"})";
  const std::string escaped = R"({"timestamp": 1, "status": "s", "severity": "x",)"
                              R"( "source_ip": "i", "user_id": "u", "content": "\u0063rash\n"})";
  const std::string tab = R"({"timestamp": 1, "status": "s", "severity": "x", "source_ip": "i",)"
                          "\t\"user_id\": \"u\", \"content\": \"\xc3\xa9\"}";
  const std::string bad = R"({"timestamp": 1, "status": "s", "severity": "x", "source_ip": "i",)"
                          R"( "user_id": "u", "content": "\x"})";
  std::vector<std::string> recs = {plain, plain, plain, plain};
  for (int r = 0; r < 40; ++r) {
    for (const std::string* rec : {&text, &escaped, &tab, &bad, &plain}) {
      for (int e = 0; e < r % 3; ++e) recs.emplace_back();
      recs.push_back(*rec);
    }
  }
  recs.resize(recs.size() + 3);  // empty records last
  ExpectSameInRuns(LabFields(), recs, "");
  const auto [bytes, starts] = Glue(recs, "", ' ');
  for (bool avx512 : {true, false}) {
    RecordScanner scanner(LabFields(), avx512);
    scanner.SetText("crash");
    for (size_t i = 0; i < recs.size();) {
      const size_t n = scanner.IndexRun(bytes.data(), starts.data() + i, recs.size() - i);
      ASSERT_GT(n, 0U);
      for (size_t k = 0; k < n; ++k, ++i) {
        EXPECT_EQ(scanner.MayHoldText(k), HoldsText(recs[i], "crash"))
            << "avx512 " << avx512 << " record " << i << ": " << recs[i];
      }
    }
  }
}

TEST(RecordScannerTest, FindsThePrefiltersTextInEveryRecordOfARun) {
  // Generated records (one in ten with escapes or text outside ASCII), edge cases and mutated
  // ones, and the text at every offset from a block's start, at a record's end, and split over
  // two records (which holds it in neither).
  std::vector<std::string> recs = Generated(2000, 0.1);
  for (const auto& more : {EdgeCases(), MutatedCases(500)}) {
    recs.insert(recs.end(), more.begin(), more.end());
  }
  const std::string long_text(70, 'q');  // longer than a block
  for (size_t pad = 0; pad < 140; ++pad) {
    recs.push_back(R"({"content":")" + std::string(pad % 70, ' ') +
                   (pad < 70 ? "CrasH" : long_text) + "\"}");
    recs.push_back(R"({"content":")" + std::string(pad, 'x') + "cras" + long_text.substr(1) +
                   "\"}");
  }
  recs.push_back(R"({"content":"crash)");
  recs.push_back(R"({"content":"a cra)");
  recs.push_back(R"(sh"})");
  // The text, an escape, a character outside ASCII and a control character on a record's first
  // byte (with no separator, right after the record before).
  recs.push_back("crash at the start");
  recs.push_back("\xc3\xa9 at the start");
  recs.push_back(R"(\u0063rash at the start)");
  recs.push_back("\tcrash");
  for (const std::string& text :
       std::vector<std::string>{"crash", "c", "vulnerability", "user_10", "\xc3\xa9", long_text}) {
    size_t holding = 0;
    for (const char* separator : {"\n", ""}) {
      // Padding the text's last byte could match.
      const auto [bytes, starts] = Glue(recs, separator, 'h');
      for (bool avx512 : {true, false}) {
        RecordScanner scanner(LabFields(), avx512);
        scanner.SetText(text);
        for (size_t i = 0; i < recs.size();) {
          const size_t n = scanner.IndexRun(bytes.data(), starts.data() + i, recs.size() - i);
          ASSERT_GT(n, 0U);
          for (size_t k = 0; k < n; ++k, ++i) {
            const bool expected = HoldsText(recs[i], text);
            holding += expected ? 1 : 0;
            EXPECT_EQ(scanner.MayHoldText(k), expected)
                << "text '" << text << "' avx512 " << avx512 << " separator '" << separator
                << "': " << recs[i];
          }
        }
      }
    }
    EXPECT_GT(holding, 0U) << text;
    if (text != "c") {
      EXPECT_LT(holding, 4 * recs.size()) << text;
    }
  }
}

// What each record of a run says: its outcome (Outcome: verdict, reason, field, row) and the
// prefilter's answer, printed.
std::string Said(RecordParser& parser, size_t k, std::string_view rec, size_t padding,
                 size_t fields) {
  std::vector<Value> row(fields);
  const char* why = parser.ParseIndexed(k, rec, padding, row.data());
  std::string out =
      why == nullptr ? "ok" : std::string(why) + " " + std::to_string(parser.last_bad_field());
  if (why == nullptr) {
    for (const Value& v : row) out += " " + Show(v);
  }
  return out + (parser.MayHoldText(k) ? " text" : "");
}

// The lines of bytes[0, end) (a file batch left uncut: lines, then padding) read by CutRun, which
// finds them as it indexes them, agree with the same lines cut first and read by IndexRun: the
// same lines (a line longer than a run alone), outcomes, rows and prefilter answers.
void ExpectCutRunsAsIndexRuns(const std::vector<Field>& fields, const std::string& bytes,
                              size_t end, const std::string& text) {
  std::vector<uint32_t> lines{0};
  for (size_t p = 0; p < end; ++p) {
    if (bytes[p] == '\n') lines.push_back(static_cast<uint32_t>(p + 1));
  }
  if (lines.back() != end) lines.push_back(static_cast<uint32_t>(end));
  auto record = [&](const std::vector<uint32_t>& starts, size_t i) {
    size_t len = starts[i + 1] - starts[i];
    if (len > 0 && bytes[starts[i + 1] - 1] == '\n') --len;
    return std::string_view(bytes.data() + starts[i], len);
  };
  RecordParser cut(fields, RecordParser::Path::kScanFirst);
  RecordParser whole(fields, RecordParser::Path::kScanFirst);
  ASSERT_TRUE(cut.CutsRuns()) << "this test needs the AVX-512 index";
  cut.SetPrefilterText(text);
  whole.SetPrefilterText(text);
  std::vector<std::string> by_cut, by_whole;
  std::vector<uint32_t> starts{0};
  size_t runs = 0;
  while (starts.back() < end) {
    const size_t first = starts.size() - 1;
    const size_t n = cut.CutRun(bytes.data(), starts.back(), end, starts);
    ++runs;
    if (n == 0) {  // a line longer than a run: the caller cuts it
      const size_t from = starts.back();
      EXPECT_GT(std::min(bytes.find('\n', from), end) - from, RecordScanner::kRunBytes);
      starts.push_back(static_cast<uint32_t>(std::min(bytes.find('\n', from) + 1, end)));
      by_cut.emplace_back("alone");
      continue;
    }
    for (size_t k = 0; k < n; ++k) {
      const size_t i = first + k;
      by_cut.push_back(
          Said(cut, k, record(starts, i), bytes.size() - starts[i + 1], fields.size()));
    }
  }
  ASSERT_EQ(starts, lines);
  for (size_t i = 0; i + 1 < lines.size();) {
    const size_t n = whole.IndexRun(bytes.data(), lines.data() + i, lines.size() - 1 - i);
    if (n == 0) {
      by_whole.emplace_back("alone");
      ++i;
      continue;
    }
    for (size_t k = 0; k < n; ++k, ++i) {
      by_whole.push_back(
          Said(whole, k, record(lines, i), bytes.size() - lines[i + 1], fields.size()));
    }
  }
  ASSERT_EQ(by_cut.size(), by_whole.size());
  for (size_t i = 0; i < by_cut.size(); ++i) {
    EXPECT_EQ(by_cut[i], by_whole[i]) << "line " << i << ": " << record(lines, i);
  }
  EXPECT_LT(runs, by_cut.size());  // runs of several lines
}

TEST(RecordScannerTest, LinesFoundByTheIndexReadAsLinesCutBeforeIt) {
  // Generated, edge-case and mutated records (some holding raw newlines: two lines), blank lines
  // and runs of them, lines longer than a run, the prefilter's text at every offset, escapes and
  // UTF-8 across block edges, and batches ending with and without a last newline.
  std::vector<std::string> recs = Generated(3000, 0.2);
  for (const auto& more : {EdgeCases(), TokenLayoutCases(), MutatedCases(800)}) {
    recs.insert(recs.end(), more.begin(), more.end());
  }
  for (size_t pad = 0; pad < 70; ++pad) {
    recs.push_back(R"({"content":")" + std::string(pad, ' ') + "CrasH\u00e9Ã©" +
                   std::string(pad % 7, '\\') + "\"}");
    if (pad % 9 == 0) recs.insert(recs.end(), pad % 5 + 1, "");
  }
  recs.push_back(std::string(RecordScanner::kRunBytes + 10, ' ') + recs[0]);
  recs.push_back(recs[0]);
  recs.push_back(std::string(3 * RecordScanner::kRunBytes, 'x'));
  recs.insert(recs.end(), 200, "");  // a run of blank lines: blocks of 64 newlines
  recs.push_back(recs[1]);
  std::string lines;
  for (const std::string& r : recs) lines += r + "\n";
  for (const char* text : {"crash", ""}) {
    for (size_t cut : {size_t{0}, size_t{1}, size_t{77}}) {  // the last newline(s) dropped
      SCOPED_TRACE("text '" + std::string(text) + "', cut " + std::to_string(cut));
      const size_t end = lines.size() - cut;
      const std::string bytes = lines.substr(0, end) + std::string(kPadding, '"');
      ExpectCutRunsAsIndexRuns(LabFields(), bytes, end, text);
      ExpectCutRunsAsIndexRuns(Fields(), bytes, end, text);
    }
  }
}

TEST(RecordScannerTest, EscapedValuesStayValidWhenTheLayoutFailsAfterReadingThem) {
  // The layout reads (and decodes) a record's escaped strings before it finds a key that is not
  // the layout's; the walk then reads them again. The values must stay where they point (ASan
  // reports a read of a moved buffer).
  const std::string head = R"({"timestamp": 1, "status": "s", "severity": "x", "source_ip": "i",)"
                           R"( "user_id": "u", "content": "c", "extra": 1})";
  const std::string odd = R"({"timestamp": 1, "status": "\u0041", "severity": "x",)"
                          R"( "source_ip": "i", "user_id": "u", "content": "\u0042)" +
                          std::string(1000, 'x') + R"(", "other": 1})";
  const std::vector<std::string> recs = {head, head, head, odd};
  const auto [bytes, starts] = Glue(recs, "\n", ' ');
  for (bool avx512 : {true, false}) {
    RecordScanner scanner(LabFields(), avx512);
    std::vector<Value> row(LabFields().size());
    ASSERT_EQ(scanner.IndexRun(bytes.data(), starts.data(), recs.size()), recs.size());
    for (size_t k = 0; k + 1 < recs.size(); ++k)
      ASSERT_TRUE(scanner.ScanIndexed(k, head, row.data()));
    ASSERT_TRUE(scanner.ScanIndexed(recs.size() - 1, odd, row.data()));
    EXPECT_EQ(row[1].s, "A");
    EXPECT_EQ(row[5].s, "B" + std::string(1000, 'x'));
  }
}

TEST(RecordScannerTest, EscapedStringValuesStayValidForTheWholeRecord) {
  // Several escaped values in one record share the scanner's buffer: earlier ones must not move.
  const std::vector<Field> fields = {{"a", Type::kString}, {"b", Type::kString}};
  RecordScanner scanner(fields);
  std::string rec = R"({"a":"x\u0041y","b":")" + std::string(300, 'z') + R"(\n"})";
  std::string buf = rec + std::string(kPadding, ' ');
  std::vector<Value> row(2);
  ASSERT_TRUE(scanner.Scan(std::string_view(buf.data(), rec.size()), kPadding, row.data()));
  EXPECT_EQ(row[0].s, "xAy");
  EXPECT_EQ(row[1].s, std::string(300, 'z') + "\n");
}

}  // namespace
}  // namespace sluice
