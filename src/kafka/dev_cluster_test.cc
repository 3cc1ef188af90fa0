#include "kafka/dev_cluster.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

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
