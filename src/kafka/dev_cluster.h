// DevCluster: a local Kafka for trying and testing sluice, built on librdkafka's mock cluster
// (rdkafka_mock.h). The brokers speak the Kafka protocol on loopback TCP ports chosen by the
// kernel (librdkafka 2.0 cannot be told a fixed port), so other processes find them through the
// bootstrap string. Limits: memory only, about 5 MiB (or 100,000 message sets) kept per
// partition (older data is dropped), no real transaction isolation, no TLS/SASL.
//
// Faults are injected with text commands (Execute), so tests can script them; see
// kDevClusterCommands. Owned by `sluice dev-kafka`; Execute may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kafka/kafka_client.h"

struct rd_kafka_mock_cluster_s;

namespace sluice {

struct DevTopic {
  std::string name;
  int partitions = 4;
};

// Parses "NAME:PARTITIONS" (or "NAME", 4 partitions).
[[nodiscard]] Result<DevTopic> ParseDevTopic(std::string_view spec);

inline constexpr std::string_view kDevClusterCommands =
    "  down ID|all                  disconnect broker ID (1..N) and refuse connections\n"
    "  up ID|all                    accept connections again\n"
    "  errors API COUNT ERR[,ERR]   the next COUNT requests of API (Produce, Fetch, ListOffsets,\n"
    "                               Metadata, OffsetCommit, OffsetFetch, FindCoordinator,\n"
    "                               JoinGroup, Heartbeat, SyncGroup, ... or a number) fail with\n"
    "                               ERR (e.g. NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT)\n"
    "  clear API                    drop errors still queued for API\n"
    "  rtt ID|all MS                delay every response of the broker by MS milliseconds\n"
    "  leader TOPIC PARTITION ID    move the partition's leadership to broker ID\n"
    "  topic NAME[:PARTITIONS]      create a topic\n"
    "  sleep MS                     (scripts) wait MS milliseconds before the next command\n";

class DevCluster {
 public:
  static Result<std::unique_ptr<DevCluster>> Start(int brokers,
                                                   const std::vector<DevTopic>& topics);
  ~DevCluster();
  DevCluster(const DevCluster&) = delete;
  DevCluster& operator=(const DevCluster&) = delete;

  // "127.0.0.1:PORT,..." for bootstrap.servers.
  const std::string& bootstrap() const { return bootstrap_; }
  int brokers() const { return brokers_; }

  // Runs one command of kDevClusterCommands (except sleep) and returns a one-line reply
  // ("ok down 1"); InvalidArgument says what is wrong with the line.
  [[nodiscard]] Result<std::string> Execute(std::string_view line);

 private:
  DevCluster() = default;
  Result<int> ParseBroker(std::string_view word) const;

  std::mutex mu_;   // serializes commands; the mock cluster has its own thread
  KafkaHandle rk_;  // the handle the mock cluster is attached to
  rd_kafka_mock_cluster_s* mcluster_ = nullptr;  // owned; destroyed before rk_
  std::string bootstrap_;
  int brokers_ = 0;
};

}  // namespace sluice
