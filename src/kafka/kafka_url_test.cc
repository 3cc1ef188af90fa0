#include "kafka/kafka_url.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace sluice {
namespace {

TEST(KafkaUrl, ParsesBrokersTopicAndParameters) {
  Result<KafkaUrl> u = ParseKafkaUrl(
      "kafka://a:9092,b:9093/logs?group.id=g1&startingOffsets=earliest&fetch.wait.max.ms=10");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->bootstrap, "a:9092,b:9093");
  EXPECT_EQ(u->topic, "logs");
  ASSERT_EQ(u->params.size(), 3u);
  EXPECT_EQ(u->params[0], (std::pair<std::string, std::string>{"group.id", "g1"}));
  EXPECT_EQ(u->params[1], (std::pair<std::string, std::string>{"startingOffsets", "earliest"}));
  EXPECT_EQ(u->params[2].first, "fetch.wait.max.ms");
}

TEST(KafkaUrl, AcceptsIpv6HostWithoutPortAndPercentEscapes) {
  Result<KafkaUrl> u = ParseKafkaUrl("kafka://[::1]:9092,broker/my.topic-1_x?sasl.password=a%26b");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->bootstrap, "[::1]:9092,broker");
  EXPECT_EQ(u->topic, "my.topic-1_x");
  EXPECT_EQ(u->params[0].second, "a&b");
}

TEST(KafkaUrl, StartingOffsetsAliasIsNormalized) {
  Result<KafkaUrl> u = ParseKafkaUrl("kafka://h:1/t?starting.offsets=latest");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->params[0].first, "startingOffsets");
}

void ExpectError(std::string_view url, std::string_view fragment) {
  Result<KafkaUrl> u = ParseKafkaUrl(url);
  ASSERT_FALSE(u.ok()) << url;
  EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(u.status().message().find(fragment), std::string::npos) << u.status().message();
  // Every error shows the expected form.
  EXPECT_NE(u.status().message().find("kafka://HOST:PORT"), std::string::npos);
}

TEST(KafkaUrl, BadUrlsSayWhatIsWrong) {
  ExpectError("http://h:1/t", "must start with kafka://");
  ExpectError("kafka://h:1", "missing '/TOPIC'");
  ExpectError("kafka:///t", "missing broker address");
  ExpectError("kafka://h:1/", "missing topic name");
  ExpectError("kafka://h:abc/t", "port 'abc' is not a number");
  ExpectError("kafka://h:70000/t", "out of range");
  ExpectError("kafka://h:/t", "missing port");
  ExpectError("kafka://h:1,/t", "empty broker address");
  ExpectError("kafka://:9092/t", "missing host");
  ExpectError("kafka://h:1/a/b", "invalid character '/'");
  ExpectError("kafka://h:1/t?startingOffsets=middle", "'earliest' or 'latest'");
  ExpectError("kafka://h:1/t?novalue", "not KEY=VALUE");
  ExpectError("kafka://h:1/t?a=%zz", "bad %-escape");
}

TEST(KafkaUrl, IsKafkaUrl) {
  EXPECT_TRUE(IsKafkaUrl("kafka://x/y"));
  EXPECT_FALSE(IsKafkaUrl("file:x"));
}

TEST(KafkaUrl, LabDestinationFromEnvironment) {
  unsetenv("KAFKA_BROKER");
  unsetenv("KAFKA_TOPIC");
  EXPECT_FALSE(LabKafkaDestination().has_value());
  setenv("KAFKA_BROKER", "kafka:9092", 1);
  EXPECT_EQ(LabKafkaDestination().value(), "kafka://kafka:9092/logs");
  setenv("KAFKA_TOPIC", "events", 1);
  EXPECT_EQ(LabKafkaDestination().value(), "kafka://kafka:9092/events");
  unsetenv("KAFKA_BROKER");
  unsetenv("KAFKA_TOPIC");
}

}  // namespace
}  // namespace sluice
