#include "kafka/producer.h"

namespace sluice {

Result<std::unique_ptr<KafkaProducer>> KafkaProducer::Open(const KafkaEndpoint& ep,
                                                           const KafkaProperties& defaults) {
  std::unique_ptr<KafkaProducer> p(new KafkaProducer(ep));
  Result<KafkaConf> conf = MakeKafkaConf(ep.bootstrap, defaults, ep.properties);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &KafkaProducer::DeliveryCb);
  rd_kafka_conf_set_stats_cb(conf->get(), &KafkaProducer::StatsCb);
  rd_kafka_conf_set_error_cb(conf->get(), &KafkaProducer::ErrorCb);
  rd_kafka_conf_set_opaque(conf->get(), p.get());
  Result<KafkaHandle> rk = NewKafkaHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk.ok()) return rk.status();
  p->rk_ = std::move(*rk);
  Result<int> partitions =
      CheckKafkaTopic(p->rk_.get(), ep.bootstrap, ep.topic, TopicCreation::kAllow);
  if (!partitions.ok()) return partitions.status();
  p->rkt_ = rd_kafka_topic_new(p->rk_.get(), ep.topic.c_str(), nullptr);
  if (p->rkt_ == nullptr) {
    return Status::InvalidArgument("cannot use Kafka topic '" + ep.topic +
                                   "': " + KafkaErrorText(rd_kafka_last_error()));
  }
  return p;
}

KafkaProducer::~KafkaProducer() {
  if (rkt_ != nullptr) rd_kafka_topic_destroy(rkt_);
}

int KafkaProducer::StatsCb(rd_kafka_t* /*rk*/, char* json, size_t len, void* opaque) {
  static_cast<KafkaProducer*>(opaque)->health_.OnStatistics(std::string_view(json, len),
                                                            BrokerHealth::Clock::now());
  return 0;  // librdkafka frees the text
}

void KafkaProducer::ErrorCb(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  // Fatal errors also fail the next Send (rd_kafka_fatal_error is checked there).
  static_cast<KafkaProducer*>(opaque)->health_.OnError(static_cast<rd_kafka_resp_err_t>(err),
                                                       reason != nullptr ? reason : "");
}

void KafkaProducer::DeliveryCb(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(opaque);
  self->last_report_ = BrokerHealth::Clock::now();
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->delivered_;
    return;
  }
  if (self->failed_++ == 0) self->first_error_ = rd_kafka_err2str(m->err);
}

Status KafkaProducer::Send(std::string_view key, std::string_view value,
                           const std::atomic<bool>* stop, const KafkaHeader* header,
                           int32_t partition) {
  // librdkafka takes non-const pointers but copies (RD_KAFKA_MSG_F_COPY) and never writes.
  void* payload = const_cast<char*>(value.data());
  const void* k = key.empty() ? nullptr : key.data();
  auto produce = [&]() -> rd_kafka_resp_err_t {
    if (header == nullptr) {
      return rd_kafka_produce(rkt_, partition, RD_KAFKA_MSG_F_COPY, payload, value.size(), k,
                              key.size(), nullptr) == 0
                 ? RD_KAFKA_RESP_ERR_NO_ERROR
                 : rd_kafka_last_error();
    }
    // librdkafka's RD_KAFKA_V_* macros are C casts in GNU statement expressions.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wpedantic"
    return rd_kafka_producev(rk_.get(), RD_KAFKA_V_RKT(rkt_), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_VALUE(payload, value.size()), RD_KAFKA_V_KEY(k, key.size()),
                             RD_KAFKA_V_HEADER(header->name.c_str(), header->value.data(),
                                               static_cast<ssize_t>(header->value.size())),
                             RD_KAFKA_V_END);
#pragma GCC diagnostic pop
  };
  rd_kafka_resp_err_t err;
  while ((err = produce()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_fatal_error(rk_.get(), why, sizeof(why));
        return Status::Unavailable(std::string("Kafka producer failed: ") + why);
      }
      return Status::Unavailable("cannot produce to Kafka topic " + ep_.topic + ": " +
                                 KafkaErrorText(err));
    }
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
      return Status::Unavailable("interrupted while the producer queue was full");
    }
    rd_kafka_poll(rk_.get(), 10);  // the queue is full: let deliveries free space
  }
  ++sent_;
  return Status::Ok();
}

void KafkaProducer::Flush(int timeout_ms) {
  rd_kafka_flush(rk_.get(), timeout_ms);
  rd_kafka_poll(rk_.get(), 0);
  if (sent_ - delivered_ - failed_ > 0) {
    // Not delivered in time: drop it now (each gets a failed delivery report) rather than have
    // rd_kafka_destroy wait for message.timeout.ms.
    const int64_t failed_before = failed_;
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk_.get(), 1000);
    rd_kafka_poll(rk_.get(), 0);
    if (failed_before == 0 && failed_ > 0) {
      first_error_ = "not delivered within " + std::to_string(timeout_ms) + " ms of the end";
      if (!health_.last_error().empty()) first_error_ += " (" + health_.last_error() + ")";
    }
  }
  // Whatever is still queued will not be delivered before we exit.
  int64_t undelivered = sent_ - delivered_ - failed_;
  if (undelivered > 0) {
    if (failed_ == 0) first_error_ = "not delivered before the flush timeout";
    failed_ += undelivered;
  }
}

}  // namespace sluice
