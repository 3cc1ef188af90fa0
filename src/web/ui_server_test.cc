#include "web/ui_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <simdjson.h>

#include "monitor/testing/synthetic_run.h"
#include "web/ui_assets.h"

namespace sluice {
namespace {

class UiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_.Start(monitor_);
    for (int i = 0; i < 15; ++i) run_.Step(monitor_);
    auto server = UiServer::Start("127.0.0.1", 0, monitor_);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(5, 0);
  }

  simdjson::dom::element GetJson(const std::string& path) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json; charset=utf-8") << path;
    docs_.emplace_back(res->body);
    auto doc = parsers_.emplace_back().parse(docs_.back());
    EXPECT_EQ(doc.error(), simdjson::SUCCESS) << path << ": " << res->body;
    return doc.value_unsafe();
  }

  int Status(const httplib::Result& res) { return res ? res->status : -1; }

  RunMonitor monitor_;
  SyntheticRun run_{1768142570000};
  std::unique_ptr<UiServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::deque<simdjson::dom::parser> parsers_;
  std::deque<simdjson::padded_string> docs_;
};

TEST_F(UiServerTest, ServesTheUi) {
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("<title>sluice"), std::string::npos);
  EXPECT_NE(res->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  for (const char* asset : {"/app.js", "/style.css"}) {
    auto r = client_->Get(asset);
    ASSERT_TRUE(r) << asset;
    EXPECT_EQ(r->status, 200) << asset;
    EXPECT_FALSE(r->body.empty()) << asset;
  }
  // uPlot is bundled whenever npm worked at build time.
  if (FindUiAsset("/uPlot.iife.min.js") != nullptr) {
    auto r = client_->Get("/uPlot.iife.min.js");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("uPlot"), std::string::npos);
  }
}

TEST_F(UiServerTest, ProgressHasSparkFields) {
  auto p = GetJson("/api/progress");
  EXPECT_EQ(int64_t(p["batchId"]), 14);
  for (const char* f : {"id", "runId", "timestamp", "numInputRows", "inputRowsPerSecond",
                        "processedRowsPerSecond", "durationMs", "eventTime", "stateOperators", "sources", "sink"}) {
    EXPECT_EQ(p[f].error(), simdjson::SUCCESS) << f;
  }
}

TEST_F(UiServerTest, EveryPageEndpointAnswersJson) {
  EXPECT_EQ(simdjson::dom::array(GetJson("/api/progress/history")).size(), 15u);
  EXPECT_EQ(simdjson::dom::array(GetJson("/api/progress/history?after=12")).size(), 2u);
  EXPECT_EQ(std::string_view(GetJson("/api/query")["name"]), "crash_monitor");
  EXPECT_EQ(simdjson::dom::array(GetJson("/api/plan")["nodes"]).size(), 8u);
  EXPECT_EQ(simdjson::dom::array(GetJson("/api/partitions")["partitions"]).size(), 3u);
  EXPECT_GT(simdjson::dom::array(GetJson("/api/windows")["windows"]).size(), 0u);
  EXPECT_EQ(simdjson::dom::array(GetJson("/api/results")["columns"]).size(), 4u);
  EXPECT_EQ(simdjson::dom::array(GetJson("/api/workers")["workers"]).size(), 2u);
}

TEST_F(UiServerTest, MetricsAreInPrometheusTextFormat) {
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res->body.find("# TYPE sluice_input_rows_total counter\nsluice_input_rows_total "), std::string::npos);
  EXPECT_NE(res->body.find("sluice_partition_lag{partition=\"0\"}"), std::string::npos);
}

TEST_F(UiServerTest, HeadIsAllowedAndHasNoBody) {
  auto res = client_->Head("/api/progress");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(res->body.empty());
}

TEST_F(UiServerTest, WritesAreRefusedAndChangeNothing) {
  auto before = monitor_.totals().input_rows;
  auto post = client_->Post("/api/progress", "{\"batchId\":0}", "application/json");
  EXPECT_EQ(Status(post), 405);
  if (post) {
    EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  }
  EXPECT_EQ(Status(client_->Put("/metrics", "x", "text/plain")), 405);
  EXPECT_EQ(Status(client_->Delete("/")), 405);
  EXPECT_EQ(Status(client_->Patch("/api/plan", "x", "text/plain")), 405);
  EXPECT_EQ(Status(client_->Options("/")), 405);
  EXPECT_EQ(monitor_.totals().input_rows, before);
}

TEST_F(UiServerTest, UnknownAndHostilePathsGet4xx) {
  EXPECT_EQ(Status(client_->Get("/nope")), 404);
  EXPECT_EQ(Status(client_->Get("/api/progress/")), 404);
  for (const char* path : {"/../etc/passwd", "/%2e%2e/etc/passwd", "/..%2fetc%2fpasswd", "//etc/passwd",
                           "/..\\..\\windows", "/app.js%00.html", "/api/progress/history?after=x"}) {
    int s = Status(client_->Get(path));
    EXPECT_TRUE(s >= 400 && s < 500) << path << " -> " << s;
  }
}

TEST_F(UiServerTest, HugeHeadersGet4xx) {
  httplib::Headers one_huge{{"X-Huge", std::string(64 * 1024, 'a')}};
  int s = Status(client_->Get("/api/progress", one_huge));
  EXPECT_TRUE((s >= 400 && s < 500) || s == -1) << s;  // 4xx, or httplib drops the connection
  httplib::Headers many;
  for (int i = 0; i < 200; ++i) many.emplace("X-H" + std::to_string(i), std::string(100, 'b'));
  EXPECT_EQ(Status(client_->Get("/api/progress", many)), 431);
  EXPECT_EQ(Status(client_->Get(("/" + std::string(20000, 'a')).c_str())), 414);
  // The server still answers afterwards.
  EXPECT_EQ(Status(client_->Get("/api/progress")), 200);
}

TEST_F(UiServerTest, StopIsIdempotentAndFreesThePort) {
  int port = server_->port();
  server_->Stop();
  server_->Stop();
  auto again = UiServer::Start("127.0.0.1", port, monitor_);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ((*again)->url(), "http://127.0.0.1:" + std::to_string(port) + "/");
}

TEST_F(UiServerTest, ABusyPortIsAClearError) {
  auto second = UiServer::Start("127.0.0.1", server_->port(), monitor_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("--ui"), std::string::npos);
}

}  // namespace
}  // namespace sluice
