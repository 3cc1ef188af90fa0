#include "web/ui_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "monitor/testing/synthetic_run.h"
#include "web/ui_assets.h"

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

// A raw client socket connected to the server (closed on destruction).
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(RawConnection&& o) noexcept : fd_(o.fd_), connected_(o.connected_) { o.fd_ = -1; }
  RawConnection& operator=(RawConnection&&) = delete;
  bool connected() const { return connected_; }
  bool Send(std::string_view s) {
    return send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Everything until the server closes (or `timeout` passes).
  std::string ReadAll(std::chrono::milliseconds timeout) {
    std::string got;
    const Clock::time_point end = Clock::now() + timeout;
    while (Clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      if (poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  // True once the server has closed the connection (EOF or reset), false if still open.
  bool ClosedByServer() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return false;
    char c;
    return recv(fd_, &c, 1, MSG_PEEK) <= 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

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
  EXPECT_NE(res->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
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
  for (const char* f :
       {"id", "runId", "timestamp", "numInputRows", "inputRowsPerSecond", "processedRowsPerSecond",
        "durationMs", "eventTime", "stateOperators", "sources", "sink"}) {
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
  EXPECT_NE(res->body.find("# TYPE sluice_input_rows_total counter\nsluice_input_rows_total "),
            std::string::npos);
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
  for (const char* path :
       {"/../etc/passwd", "/%2e%2e/etc/passwd", "/..%2fetc%2fpasswd", "//etc/passwd",
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

TEST_F(UiServerTest, AGetWithABodyGets413) {
  RawConnection c(server_->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send("GET /api/progress HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
  EXPECT_EQ(c.ReadAll(std::chrono::seconds(5)).substr(0, 12), "HTTP/1.1 413");
  RawConnection big(server_->port());
  ASSERT_TRUE(big.Send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n" +
                       std::string(4000, 'x')));
  EXPECT_EQ(big.ReadAll(std::chrono::seconds(5)).substr(0, 12), "HTTP/1.1 413");
  EXPECT_EQ(Status(client_->Get("/api/progress")), 200);
}

// A few hundred idle connections and some that trickle a request a byte at a time must not keep
// the UI from answering (they used to hold its three threads for as long as they lasted).
TEST_F(UiServerTest, SlowAndIdleClientsDoNotBlockOthers) {
  std::vector<RawConnection> idle;
  for (int i = 0; i < 300; ++i) {
    idle.emplace_back(server_->port());
    ASSERT_TRUE(idle.back().connected()) << i;
  }
  std::vector<RawConnection> slow;
  for (int i = 0; i < 20; ++i) {
    slow.emplace_back(server_->port());
    ASSERT_TRUE(slow.back().Send("GET /api/progress HTTP/1.1\r\nHo"));
  }
  for (int round = 0; round < 3; ++round) {
    const Clock::time_point start = Clock::now();
    EXPECT_EQ(Status(client_->Get("/api/progress")), 200);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2)) << "round " << round;
    for (RawConnection& c : slow) c.Send("s");
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

// A client that keeps sending a byte now and then is cut off once the whole request has taken
// the deadline (10 s), not only when one read times out.
TEST_F(UiServerTest, ARequestTricklingInIsCutOffAtItsDeadline) {
  RawConnection c(server_->port());
  ASSERT_TRUE(c.Send("GET /api/progress HTTP/1.1\r\n"));
  const Clock::time_point start = Clock::now();
  bool closed = false;
  while (!closed && Clock::now() - start < std::chrono::seconds(20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    c.Send("X");
    closed = c.ClosedByServer();
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(14));
}

TEST_F(UiServerTest, StopDoesNotWaitForSlowClients) {
  std::vector<RawConnection> slow;
  for (int i = 0; i < 5; ++i) {
    slow.emplace_back(server_->port());
    ASSERT_TRUE(slow.back().Send("GET / HTTP/1.1\r\n"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const Clock::time_point start = Clock::now();
  server_->Stop();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
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
