// The raw prefilter: which WHERE clauses give a text to search for, and that a batch processed
// with it passes exactly the rows WHERE passes when evaluated on every record.
#include "exec/raw_prefilter.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "exec/batch_processor.h"
#include "exec/evaluator.h"
#include "exec/like.h"
#include "exec/testing/test_query.h"
#include "format/record_parser.h"
#include "source/source.h"
#include "sql/binder.h"

namespace sluice {
namespace {

std::unique_ptr<BoundQuery> Compile(std::string_view sql) {
  return CompileForTest(sql, LabSchema(), "timestamp");
}

TEST(RawPrefilterTest, FindsTheTextAConjunctNeeds) {
  struct Case {
    const char* where;
    const char* text;  // "": no prefilter
  };
  const Case cases[] = {
      // Q2's and Q1's WHERE.
      {"lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')", "crash"},
      {"lower(content) LIKE '%vulnerability%' AND severity = 'High'", "vulnerability"},
      // Every shape with a literal part, lowered; the column itself, upper(), ILIKE, the
      // functions.
      {"content LIKE 'Disk%'", "disk"},
      {"content LIKE '%Full'", "full"},
      {"content LIKE 'exact'", "exact"},
      {"upper(content) LIKE '%CRASH%'", "crash"},
      {"content ILIKE '%CrAsH%'", "crash"},
      {"contains(content, 'Panic')", "panic"},
      {"startswith(user_id, 'user_1')", "user_1"},
      {"endswith(source_ip, '.29')", ".29"},
      // Of several conjuncts, nested ANDs included, the longest text.
      {"content LIKE '%ab%' AND (status = '500' AND source_ip LIKE '10.0.0%')", "10.0.0"},
      // Nothing to search for: an OR, a negation, a pattern with _ in it, '%', a computed string.
      {"content = 'x' OR content LIKE 'exact'", ""},
      {"content NOT LIKE '%crash%'", ""},
      {"content LIKE '%cr_sh%'", ""},
      {"content LIKE '%'", ""},
      {"content LIKE '%crash%' OR severity = 'High'", ""},
      {"concat(content, user_id) LIKE '%crash%'", ""},
      {"NOT (content LIKE '%crash%')", ""},
  };
  for (const Case& c : cases) {
    auto q = Compile("SELECT user_id FROM logs WHERE " + std::string(c.where));
    ASSERT_NE(q, nullptr) << c.where;
    EXPECT_EQ(PrefilterText(q->where.get()), c.text) << c.where;
  }
  EXPECT_EQ(PrefilterText(nullptr), "");
}

// The records a WHERE must see through its text in every spelling: upper case, escapes (of a
// letter, of a quote next to it), the text in another field only, the text at the record's
// very end, split over two records, and at every offset from a 64-byte block's start.
std::vector<std::string> Records() {
  std::vector<std::string> recs;
  auto rec = [](std::string_view severity, std::string_view content,
                std::string_view user = "user_1") {
    return R"({"timestamp": 1769536796547, "status": "200", "severity": ")" +
           std::string(severity) + R"(", "source_ip": "10.0.0.1", "user_id": ")" +
           std::string(user) + R"(", "content": ")" + std::string(content) + "\"}";
  };
  for (const char* severity : {"High", "Low"}) {
    for (const char* content : {"app crash detected", "APP CRASH", "CrAsH", "app cr\\u0061sh",
                                "\\u0063rash", "crash \\\" quoted", "cras", "rash", "c r a s h",
                                "crasH", "naïve crash résumé", "crushed", ""}) {
      recs.push_back(rec(severity, content));
    }
    recs.push_back(rec(severity, "nothing", "crash_user"));  // the text in another field only
  }
  // The text at each offset from a block's start, and at the end of the record's bytes.
  for (size_t pad = 0; pad < 70; ++pad) {
    recs.push_back(rec("High", std::string(pad, 'x') + "crash"));
    recs.push_back(rec("High", std::string(pad, 'x') + "cras"));
  }
  recs.push_back(R"({"timestamp": 1769536796547, "severity": "High", "content": "a cra)");
  recs.push_back(R"(sh b"})");  // malformed, and "cra" + "sh" split over two records
  return recs;
}

// How many rows pass WHERE, by evaluating it on every parsed record (no prefilter), and how
// many well-formed records hold neither the prefilter's text (ignoring ASCII case) nor a
// backslash: those the prefilter must reject.
struct Expected {
  int64_t passed = 0;
  int64_t without_text = 0;
};
Expected Reference(const BoundQuery& q, const std::vector<std::string>& recs) {
  RecordParser parser(q.input_fields, RecordParser::Path::kFullOnly);
  std::vector<Value> row(q.input_fields.size());
  Arena arena;
  const std::string text = PrefilterText(q.where.get());
  Expected e;
  for (const std::string& r : recs) {
    const std::string padded = r + std::string(kBatchPadding, ' ');
    if (parser.Parse(std::string_view(padded.data(), r.size()), kBatchPadding, row.data()) !=
        nullptr) {
      continue;
    }
    if (r.find('\\') == std::string::npos && !ContainsIgnoreAsciiCase(r, text)) ++e.without_text;
    arena.Reset();
    if (EvaluatePredicate(*q.where, row.data(), arena)) ++e.passed;
  }
  return e;
}

TEST(RawPrefilterTest, ABatchPassesWhatWherePassesWhateverTheSpelling) {
  const std::vector<std::string> recs = Records();
  for (const char* where :
       {"lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')",
        "content LIKE '%crash%'", "content ILIKE '%CRASH%'", "upper(content) LIKE '%CRASH%'",
        "contains(lower(content), 'crash')", "lower(content) LIKE 'crash%'", "content LIKE '%rash'",
        "lower(content) LIKE '%cr\\_sh%'", "content LIKE '%résumé'"}) {
    auto q = Compile("SELECT user_id FROM logs WHERE " + std::string(where));
    ASSERT_NE(q, nullptr);
    const Expected expected = Reference(*q, recs);
    for (const char* separator : {"\n", ""}) {  // as a file source and as a Kafka source cut
      RawBatch batch;
      for (const std::string& r : recs) batch.Add(r + separator);
      batch.Seal();
      BatchProcessor processor(*q, 0, 1);
      ParsedBatch parsed;
      processor.Process(batch, parsed);
      EXPECT_EQ(parsed.passed_filter, expected.passed)
          << where << " separator '" << separator << "'";
      // The prefilter took part: every well-formed record without the text skipped WHERE.
      EXPECT_EQ(parsed.prefiltered, expected.without_text) << where;
      EXPECT_GT(expected.without_text, static_cast<int64_t>(recs.size()) / 3) << where;
      EXPECT_EQ(parsed.out_offsets.size(), static_cast<size_t>(expected.passed)) << where;
    }
  }
  // The cases are not vacuous: the reference passes some and rejects some.
  auto q = Compile("SELECT user_id FROM logs WHERE lower(content) LIKE '%crash%'");
  const int64_t passed = Reference(*q, recs).passed;
  EXPECT_GT(passed, 70);
  EXPECT_LT(passed, static_cast<int64_t>(recs.size()) - 70);
}

}  // namespace
}  // namespace sluice
