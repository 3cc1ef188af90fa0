#include "monitor/progress_json.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "monitor/testing/synthetic_run.h"

namespace sluice {
namespace {

constexpr int64_t kStart = 1768142570000;

class ProgressJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_.Start(monitor_);
    for (int i = 0; i < 12; ++i) run_.Step(monitor_);
  }
  simdjson::dom::element Parse(const std::string& json) {
    docs_.emplace_back(json);
    return parser_.emplace_back().parse(docs_.back());
  }
  RunMonitor monitor_;
  SyntheticRun run_{kStart};
  std::deque<simdjson::dom::parser> parser_;
  std::deque<simdjson::padded_string> docs_;
};

TEST(ProgressJson, IsNullBeforeTheFirstTrigger) {
  RunMonitor m;
  EXPECT_EQ(ProgressJson(m), "null");
  EXPECT_EQ(HistoryJson(m, std::nullopt), "[]");
}

TEST_F(ProgressJsonTest, ProgressHasSparksStreamingQueryProgressFields) {
  auto p = Parse(ProgressJson(monitor_));
  EXPECT_EQ(std::string_view(p["id"]), "3f2b7c1e-9a4d-4e8b-b1c2-5d6e7f8a9b0c");
  EXPECT_FALSE(std::string_view(p["runId"]).empty());
  EXPECT_EQ(int64_t(p["batchId"]), 11);
  EXPECT_EQ(std::string_view(p["timestamp"]), "2026-01-11T14:43:01.000Z");
  EXPECT_GT(int64_t(p["numInputRows"]), 0);
  EXPECT_GT(double(p["inputRowsPerSecond"]), 0);
  EXPECT_GT(double(p["processedRowsPerSecond"]), 0);
  for (const char* phase :
       {"poll", "parseFilter", "aggregate", "emit", "sink", "checkpoint", "triggerExecution"}) {
    EXPECT_TRUE(p["durationMs"][phase].is_int64()) << phase;
  }
  EXPECT_TRUE(p["eventTime"]["max"].is_string());
  EXPECT_TRUE(p["eventTime"]["watermark"].is_string());
  auto state = p["stateOperators"].at(0);
  for (const char* f :
       {"numRowsTotal", "numRowsUpdated", "numRowsDroppedByWatermark", "memoryUsedBytes"}) {
    EXPECT_TRUE(state[f].is_int64()) << f;
  }
  auto source = p["sources"].at(0);
  EXPECT_TRUE(source["description"].is_string());
  EXPECT_LT(int64_t(source["startOffset"]["0"]), int64_t(source["endOffset"]["0"]));
  EXPECT_EQ(int64_t(source["numInputRows"]), int64_t(p["numInputRows"]));
  EXPECT_EQ(std::string_view(p["sink"]["description"]), "console");
  EXPECT_EQ(int64_t(p["sluice"]["watermarkGapMs"]), 5000);
  EXPECT_EQ(int64_t(p["sluice"]["totals"]["triggers"]), 12);
}

TEST_F(ProgressJsonTest, HistoryReturnsOnlyTriggersAfterTheGivenBatch) {
  auto all = Parse(HistoryJson(monitor_, std::nullopt));
  EXPECT_EQ(simdjson::dom::array(all).size(), 12u);
  auto newer = Parse(HistoryJson(monitor_, 9));
  simdjson::dom::array a = newer;
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(int64_t(a.at(0)["batchId"]), 10);
}

TEST_F(ProgressJsonTest, PageEndpointsParseAndCarryTheirFields) {
  auto q = Parse(QueryJson(monitor_, kStart + 12'000));
  EXPECT_EQ(std::string_view(q["state"]), "running");
  EXPECT_EQ(int64_t(q["uptimeMs"]), 12'000);
  EXPECT_GT(double(q["avgInputRowsPerSecond"]), 0);
  EXPECT_NE(std::string_view(q["sql"]).find("window(timestamp"), std::string_view::npos);

  auto plan = Parse(PlanJson(monitor_));
  simdjson::dom::array nodes = plan["nodes"];
  ASSERT_EQ(nodes.size(), 8u);
  EXPECT_EQ(std::string_view(nodes.at(0)["name"]), "Scan");
  EXPECT_GT(int64_t(nodes.at(0)["rowsOut"]), 0);
  EXPECT_EQ(int64_t(nodes.at(1)["children"].at(0)), 0);

  auto parts = Parse(PartitionsJson(monitor_));
  simdjson::dom::array pa = parts["partitions"];
  ASSERT_EQ(pa.size(), 3u);
  EXPECT_GE(int64_t(pa.at(0)["lag"]), 0);
  EXPECT_TRUE(pa.at(2)["idle"].is_bool());

  auto windows = Parse(WindowsJson(monitor_));
  simdjson::dom::array wa = windows["windows"];
  ASSERT_FALSE(wa.size() == 0);
  EXPECT_GE(int64_t(wa.at(0)["waitingForMs"]), 0);
  EXPECT_EQ(int64_t(wa.at(0)["firesAtMs"]), int64_t(wa.at(0)["endMs"]));

  auto results = Parse(ResultsJson(monitor_));
  EXPECT_EQ(simdjson::dom::array(results["columns"]).size(), 4u);
  EXPECT_EQ(int64_t(results["totalRows"]), 37);
  EXPECT_EQ(simdjson::dom::array(results["rows"].at(0)).size(), 4u);

  auto workers = Parse(WorkersJson(monitor_));
  EXPECT_EQ(simdjson::dom::array(workers["workers"]).size(), 2u);
  EXPECT_GT(int64_t(workers["process"]["residentMemoryBytes"]), 0);
}

TEST(ProgressJson, HostileStringsStayValidJson) {
  RunMonitor m;
  QueryInfo q;
  q.name = "a\"b\\c\n\x01\xFF";
  q.sql = "SELECT '</script><script>alert(1)</script>'";
  m.SetQueryInfo(q);
  ResultsSnapshot r;
  r.columns = {"c\"ol"};
  r.rows = {{"\xC3\x28 bad utf8"}};
  m.SetResults(r);
  simdjson::dom::parser parser;
  for (const std::string& doc : {QueryJson(m, 0), ResultsJson(m)}) {
    simdjson::padded_string padded(doc);
    EXPECT_EQ(parser.parse(padded).error(), simdjson::SUCCESS) << doc;
  }
}

}  // namespace
}  // namespace sluice
