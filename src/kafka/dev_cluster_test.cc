#include "kafka/dev_cluster.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "kafka/producer.h"
#include "kafka/topic_dump.h"

namespace sluice {
namespace {

TEST(DevTopic, ParsesNameAndPartitions) {
  EXPECT_EQ(ParseDevTopic("logs:4")->partitions, 4);
  EXPECT_EQ(ParseDevTopic("logs")->name, "logs");
  EXPECT_FALSE(ParseDevTopic("logs:0").ok());
  EXPECT_FALSE(ParseDevTopic(":3").ok());
  EXPECT_FALSE(ParseDevTopic("x:abc").ok());
}

TEST(DevCluster, CommandsAreCheckedAndAcknowledged) {
  Result<std::unique_ptr<DevCluster>> c = DevCluster::Start(2, {{"logs", 4}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  DevCluster& cl = **c;
  EXPECT_NE(cl.bootstrap().find("127.0.0.1:"), std::string::npos);
  EXPECT_EQ(cl.Execute("down 1").value(), "ok down 1");
  EXPECT_EQ(cl.Execute("up all").value(), "ok up all");
  EXPECT_EQ(cl.Execute("errors Fetch 3 NOT_LEADER_FOR_PARTITION,REQUEST_TIMED_OUT").value(),
            "ok errors Fetch 3 NOT_LEADER_FOR_PARTITION,REQUEST_TIMED_OUT");
  EXPECT_TRUE(cl.Execute("clear fetch").ok());
  EXPECT_TRUE(cl.Execute("rtt 2 10").ok());
  EXPECT_TRUE(cl.Execute("leader logs 0 2").ok());
  EXPECT_TRUE(cl.Execute("topic other:2").ok());
  EXPECT_FALSE(cl.Execute("down 3").ok());  // only brokers 1..2
  EXPECT_FALSE(cl.Execute("errors Bogus 1 NOT_LEADER_FOR_PARTITION").ok());
  EXPECT_FALSE(cl.Execute("errors Fetch 1 NO_SUCH_ERROR").ok());
  // Kafka's spelling and librdkafka's.
  EXPECT_TRUE(cl.Execute("errors Fetch 1 UNKNOWN_TOPIC_OR_PARTITION").ok());
  EXPECT_TRUE(cl.Execute("errors Fetch 1 UNKNOWN_TOPIC_OR_PART").ok());
  EXPECT_TRUE(cl.Execute("errors Fetch 1 NOT_LEADER_OR_FOLLOWER,MESSAGE_TOO_LARGE").ok());
  EXPECT_TRUE(cl.Execute("clear Fetch").ok());
  EXPECT_FALSE(cl.Execute("errors Fetch x NOT_LEADER_FOR_PARTITION").ok());
  Result<std::string> unknown = cl.Execute("explode");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("down ID|all"), std::string::npos);
}

// The TCP_NODELAY of the broker's end of a connection that this process opened to `port`:
// 1 or 0, -1 if the mock has not accepted it yet.
int BrokerSideNoDelay(int port, int client_fd) {
  sockaddr_in client{};
  socklen_t len = sizeof(client);
  if (::getsockname(client_fd, reinterpret_cast<sockaddr*>(&client), &len) != 0) return -1;
  DIR* dir = ::opendir("/proc/self/fd");
  int found = -1;
  while (const dirent* e = dir != nullptr ? ::readdir(dir) : nullptr) {
    const int fd = std::atoi(e->d_name);
    sockaddr_in local{}, peer{};
    socklen_t l1 = sizeof(local), l2 = sizeof(peer);
    if (fd <= 2 || fd == client_fd ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &l1) != 0 ||
        ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &l2) != 0 ||
        local.sin_family != AF_INET || ntohs(local.sin_port) != port ||
        peer.sin_port != client.sin_port) {
      continue;
    }
    int v = 0;
    socklen_t vl = sizeof(v);
    if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0) found = v != 0 ? 1 : 0;
  }
  if (dir != nullptr) ::closedir(dir);
  return found;
}

// Connects to the broker at `port` and waits for the mock to accept; returns BrokerSideNoDelay.
int ConnectAndReadNoDelay(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  int got = -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    for (int i = 0; i < 200 && got < 0; ++i) {
      got = BrokerSideNoDelay(port, fd);
      if (got < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ::close(fd);
  return got;
}

// Like a real broker, the mock answers without Nagle's delay (otherwise a response could wait
// 40 ms for the client's delayed ACK), also after a broker went down and came back.
TEST(DevCluster, BrokerConnectionsHaveNagleOff) {
  Result<std::unique_ptr<DevCluster>> c = DevCluster::Start(1, {{"logs", 1}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  const std::string& bs = (*c)->bootstrap();
  const int port = std::atoi(bs.c_str() + bs.find(':') + 1);
  EXPECT_EQ(ConnectAndReadNoDelay(port), 1);
  ASSERT_TRUE((*c)->Execute("down 1").ok());
  ASSERT_TRUE((*c)->Execute("up 1").ok());
  EXPECT_EQ(ConnectAndReadNoDelay(port), 1);
}

TEST(DevCluster, ProducedRecordsAreDumpedPartitionByPartition) {
  Result<std::unique_ptr<DevCluster>> c = DevCluster::Start(1, {{"logs", 3}});
  ASSERT_TRUE(c.ok());
  KafkaEndpoint ep;
  ep.bootstrap = (*c)->bootstrap();
  ep.topic = "logs";
  Result<std::unique_ptr<KafkaProducer>> p =
      KafkaProducer::Open(ep, {{"linger.ms", "1"}, {"enable.idempotence", "true"}});
  ASSERT_TRUE(p.ok()) << p.status().message();
  for (int i = 0; i < 3000; ++i) {
    std::string v = "{\"i\":" + std::to_string(i) + "}";
    ASSERT_TRUE((*p)->Send("user_" + std::to_string(i % 17), v).ok());
  }
  (*p)->Flush(10'000);
  EXPECT_EQ((*p)->delivered(), 3000);
  EXPECT_EQ((*p)->failed(), 0);

  char* buf = nullptr;
  size_t len = 0;
  std::FILE* mem = open_memstream(&buf, &len);
  TopicDumpStats stats;
  ASSERT_TRUE(
      DumpTopic((*c)->bootstrap(), "logs", {}, DumpColumns{.partition = true}, mem, &stats).ok());
  std::fclose(mem);
  EXPECT_EQ(stats.records, 3000);
  EXPECT_EQ(stats.partitions, 3);
  std::string text(buf, len);
  free(buf);
  // Partition by partition: partition numbers never decrease.
  int last = -1;
  size_t lines = 0;
  for (size_t pos = 0; pos < text.size(); pos = text.find('\n', pos) + 1) {
    int part = text[pos] - '0';
    EXPECT_GE(part, last);
    last = part;
    ++lines;
  }
  EXPECT_EQ(lines, 3000u);
}

TEST(KafkaClient, MissingTopicFailsClearly) {
  Result<std::unique_ptr<DevCluster>> c = DevCluster::Start(1, {{"logs", 1}});
  ASSERT_TRUE(c.ok());
  TopicDumpStats stats;
  Status st = DumpTopic((*c)->bootstrap(), "nope", {}, {}, nullptr, &stats);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'nope' does not exist"), std::string::npos) << st.message();
}

TEST(KafkaClient, UnreachableBrokerFailsWithinSeconds) {
  auto start = std::chrono::steady_clock::now();
  Status st = DumpTopic("127.0.0.1:1", "logs", {}, {}, nullptr, nullptr);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("cannot reach Kafka at 127.0.0.1:1"), std::string::npos)
      << st.message();
  EXPECT_LT(secs, 8.0);
}

}  // namespace
}  // namespace sluice
