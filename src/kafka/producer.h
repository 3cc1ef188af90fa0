// KafkaProducer: the producer behind the Kafka sink and `sluice gen --to kafka://`. Messages are
// copied into librdkafka's queue; delivery reports are counted, never dropped silently.
// Not thread-safe: one owner thread calls Send/Poll/Flush (delivery reports run inside them).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "kafka/broker_health.h"
#include "kafka/kafka_client.h"
#include "kafka/kafka_options.h"

namespace sluice {

// One message header (e.g. the epoch that produced a row).
struct KafkaHeader {
  std::string name;
  std::string value;
};

class KafkaProducer {
 public:
  // Creates the producer (defaults, then the endpoint's properties) and checks within about 5 s
  // that the broker answers; InvalidArgument otherwise.
  static Result<std::unique_ptr<KafkaProducer>> Open(const KafkaEndpoint& ep,
                                                     const KafkaProperties& defaults);
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Queues one message for the topic, partitioned by key (empty key: no key) unless a partition
  // is given. While the local
  // queue is full, serves delivery reports and retries; gives up (Unavailable) if `stop` is set
  // or on a fatal producer error.
  [[nodiscard]] Status Send(std::string_view key, std::string_view value,
                            const std::atomic<bool>* stop = nullptr,
                            const KafkaHeader* header = nullptr,
                            int32_t partition = RD_KAFKA_PARTITION_UA);
  // Serves delivery reports without blocking.
  void Poll() { rd_kafka_poll(rk_.get(), 0); }
  // Waits up to timeout_ms for queued messages; what is still undelivered is purged (so the
  // producer can be destroyed at once) and counts as failed.
  void Flush(int timeout_ms);

  int64_t sent() const { return sent_; }            // handed to librdkafka
  int64_t delivered() const { return delivered_; }  // acknowledged by the broker
  int64_t failed() const { return failed_; }        // delivery failed after librdkafka's retries
  const std::string& first_error() const { return first_error_; }
  // Whether the brokers answer (needs statistics.interval.ms, see kKafkaStatisticsIntervalMs).
  BrokerHealth& health() { return health_; }
  // When the last delivery report (success or failure) arrived; the opening time before any.
  BrokerHealth::Clock::time_point last_report() const { return last_report_; }
  const KafkaEndpoint& endpoint() const { return ep_; }

 private:
  explicit KafkaProducer(KafkaEndpoint ep) : ep_(std::move(ep)) {}
  static void DeliveryCb(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
  static int StatsCb(rd_kafka_t* rk, char* json, size_t len, void* opaque);
  static void ErrorCb(rd_kafka_t* rk, int err, const char* reason, void* opaque);

  KafkaEndpoint ep_;
  KafkaHandle rk_;
  rd_kafka_topic_t* rkt_ = nullptr;  // owned; destroyed before rk_
  int64_t sent_ = 0;
  int64_t delivered_ = 0;
  int64_t failed_ = 0;
  std::string first_error_;
  BrokerHealth health_;
  BrokerHealth::Clock::time_point last_report_ = BrokerHealth::Clock::now();
};

}  // namespace sluice
