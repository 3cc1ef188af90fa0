#include "kafka/broker_health.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

// Shaped like librdkafka's statistics: brokers (the internal one, a bootstrap one, a learned
// one), then a topic whose partitions have "fetch_state", then the group's "state".
std::string Stats(const char* bootstrap_state, const char* learned_state) {
  return std::string(R"({"name":"sluice#consumer-1","type":"consumer","brokers":{)") +
         R"(":0/internal":{"name":":0/internal","nodeid":-1,"nodename":"","source":"internal","state":"UP","stateage":1},)" +
         R"("127.0.0.1:9092/bootstrap":{"name":"127.0.0.1:9092/bootstrap","nodeid":-1,"nodename":"127.0.0.1:9092","source":"configured","state":")" +
         bootstrap_state + R"(","stateage":1},)" +
         R"("127.0.0.1:9092/1":{"name":"127.0.0.1:9092/1","nodeid":1,"nodename":"127.0.0.1:9092","source":"learned","state":")" +
         learned_state + R"(","stateage":1}},)" +
         R"("topics":{"logs":{"partitions":{"0":{"partition":0,"fetch_state":"active"}}}},)" +
         R"("cgrp":{"state":"up","join_state":"steady"}})";
}

TEST(CountBrokersUp, CountsConnectedBrokersButNotTheInternalOne) {
  EXPECT_EQ(CountBrokersUp(Stats("INIT", "UP")), 1);
  EXPECT_EQ(CountBrokersUp(Stats("UP", "UP")), 2);
  EXPECT_EQ(CountBrokersUp(Stats("DOWN", "CONNECT")), 0);
  EXPECT_EQ(CountBrokersUp(R"({"name":"x","brokers":{}})"), -1);
}

TEST(BrokerHealth, ReportsAnOutageAfterTwoSecondsThenEveryThirtyAndTheRecovery) {
  using std::chrono::seconds;
  BrokerHealth h;
  const BrokerHealth::Clock::time_point t0{};
  h.OnStatistics(Stats("INIT", "UP"), t0);
  EXPECT_TRUE(h.reachable());
  EXPECT_FALSE(h.DueReport("gen", "b:1", t0 + seconds(1)).has_value());

  h.OnError(RD_KAFKA_RESP_ERR__TRANSPORT, "Connection refused");
  h.OnStatistics(Stats("DOWN", "DOWN"), t0 + seconds(10));
  EXPECT_FALSE(h.reachable());
  EXPECT_FALSE(h.DueReport("gen", "b:1", t0 + seconds(11)).has_value());  // a blip so far
  std::optional<std::string> line = h.DueReport("gen", "b:1", t0 + seconds(12));
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("cannot reach Kafka at b:1 for 2 s (Connection refused)"), std::string::npos)
      << *line;
  EXPECT_FALSE(h.DueReport("gen", "b:1", t0 + seconds(30)).has_value());
  h.OnStatistics(Stats("DOWN", "CONNECT"), t0 + seconds(40));
  EXPECT_TRUE(h.DueReport("gen", "b:1", t0 + seconds(42)).has_value());  // 30 s after the first

  h.OnStatistics(Stats("INIT", "UP"), t0 + seconds(50));
  EXPECT_TRUE(h.reachable());
  line = h.DueReport("gen", "b:1", t0 + seconds(50));
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("reachable again after 40 s"), std::string::npos) << *line;
  EXPECT_FALSE(h.DueReport("gen", "b:1", t0 + seconds(51)).has_value());
}

TEST(BrokerHealth, AnUnreportedBlipIsForgottenSilently) {
  BrokerHealth h;
  const BrokerHealth::Clock::time_point t0{};
  h.OnStatistics(Stats("DOWN", "DOWN"), t0);
  h.OnStatistics(Stats("INIT", "UP"), t0 + std::chrono::seconds(1));
  EXPECT_FALSE(h.DueReport("gen", "b:1", t0 + std::chrono::seconds(5)).has_value());
}

}  // namespace
}  // namespace sluice
