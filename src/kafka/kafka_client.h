// librdkafka plumbing shared by the Kafka source, sink, generator producer and dev-kafka dump:
// owning handles, configuration built from an endpoint, and the start-up check that turns an
// unreachable broker or a missing topic into a clear error within seconds instead of a hang.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "kafka/kafka_options.h"

namespace sluice {

struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
// Destroys the handle; a consumer is closed first (leaves its group) unless already closed.
struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const;
};
struct KafkaQueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct KafkaPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaConfDeleter>;
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, KafkaQueueDeleter>;
using KafkaPartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaPartitionListDeleter>;

// How long start-up waits for the broker before failing with a message.
inline constexpr int kKafkaStartupTimeoutMs = 5000;

// bootstrap.servers, then `defaults` (sluice's choices), then `properties` (the user's, which
// win). InvalidArgument names a property librdkafka rejects.
[[nodiscard]] Result<KafkaConf> MakeKafkaConf(std::string_view bootstrap,
                                              const KafkaProperties& defaults,
                                              const KafkaProperties& properties);

// rd_kafka_new; takes ownership of `conf` on success and failure alike.
[[nodiscard]] Result<KafkaHandle> NewKafkaHandle(rd_kafka_type_t type, KafkaConf conf);

// Asks the cluster for the topic's metadata within kKafkaStartupTimeoutMs. Returns the number of
// partitions; InvalidArgument if no broker answers (wrong address, broker down) or the topic
// does not exist, saying what to check. TopicCreation::kAllow asks for the topic alone, which
// lets a broker with auto.create.topics.enable create it (producers); kNever lists all topics,
// which never creates one (consumers: a typo must not create an empty topic to wait on).
enum class TopicCreation : uint8_t { kNever, kAllow };
[[nodiscard]] Result<int> CheckKafkaTopic(rd_kafka_t* rk, std::string_view bootstrap,
                                          std::string_view topic, TopicCreation creation);

// Creates `topic` with `partitions` partitions (Admin API CreateTopics) unless it exists, and
// returns its partition count (which may differ if it existed before).
[[nodiscard]] Result<int> EnsureKafkaTopic(rd_kafka_t* rk, std::string_view bootstrap,
                                           std::string_view topic, int partitions);

// "Local: Broker transport failure" style text for an error code.
std::string KafkaErrorText(rd_kafka_resp_err_t err);

}  // namespace sluice
