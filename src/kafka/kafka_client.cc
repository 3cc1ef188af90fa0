#include "kafka/kafka_client.h"

#include <string>

namespace sluice {

void KafkaHandleDeleter::operator()(rd_kafka_t* rk) const {
  if (rk == nullptr) return;
  if (rd_kafka_type(rk) == RD_KAFKA_CONSUMER && !rd_kafka_consumer_closed(rk)) {
    rd_kafka_consumer_close(rk);
  }
  rd_kafka_destroy(rk);
}

std::string KafkaErrorText(rd_kafka_resp_err_t err) { return rd_kafka_err2str(err); }

Result<KafkaConf> MakeKafkaConf(std::string_view bootstrap, const KafkaProperties& defaults,
                                const KafkaProperties& properties) {
  KafkaConf conf(rd_kafka_conf_new());
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) -> Status {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      return Status::InvalidArgument("Kafka property '" + k + "': " + err);
    }
    return Status::Ok();
  };
  SLUICE_RETURN_IF_ERROR(set("bootstrap.servers", std::string(bootstrap)));
  for (const auto& [k, v] : defaults) SLUICE_RETURN_IF_ERROR(set(k, v));
  for (const auto& [k, v] : properties) SLUICE_RETURN_IF_ERROR(set(k, v));
  return conf;
}

Result<KafkaHandle> NewKafkaHandle(rd_kafka_type_t type, KafkaConf conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof(err));
  if (rk == nullptr) {
    // rd_kafka_new leaves the conf with the caller on failure: `conf` still frees it.
    return Status::InvalidArgument(std::string("cannot create Kafka client: ") + err);
  }
  (void)conf.release();  // owned by rk now
  return KafkaHandle(rk);
}

Result<int> CheckKafkaTopic(rd_kafka_t* rk, std::string_view bootstrap, std::string_view topic,
                            TopicCreation creation) {
  std::string name(topic);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err;
  if (creation == TopicCreation::kAllow) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, name.c_str(), nullptr);
    if (rkt == nullptr) {
      return Status::InvalidArgument("cannot use Kafka topic '" + name +
                                     "': " + KafkaErrorText(rd_kafka_last_error()));
    }
    err = rd_kafka_metadata(rk, 0, rkt, &md, kKafkaStartupTimeoutMs);
    rd_kafka_topic_destroy(rkt);
  } else {
    // No topic handle either: creating one makes librdkafka ask for (and maybe create) it.
    err = rd_kafka_metadata(rk, 1, nullptr, &md, kKafkaStartupTimeoutMs);
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::InvalidArgument(
        "cannot reach Kafka at " + std::string(bootstrap) + " within " +
        std::to_string(kKafkaStartupTimeoutMs / 1000) + " s (" + KafkaErrorText(err) +
        "); check the host:port in the kafka:// URL and that the broker is running "
        "(`sluice dev-kafka` prints its address)");
  }
  std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> holder(
      md, &rd_kafka_metadata_destroy);
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (name != t.topic) continue;
    if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || (t.err == 0 && t.partition_cnt == 0)) {
      return Status::InvalidArgument(
          "Kafka topic '" + name + "' does not exist at " + std::string(bootstrap) +
          "; create it first (sluice dev-kafka --topic " + name + ":4) or check the name");
    }
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::InvalidArgument("Kafka topic '" + name + "' at " + std::string(bootstrap) +
                                     ": " + KafkaErrorText(t.err));
    }
    return t.partition_cnt;
  }
  return Status::InvalidArgument("Kafka topic '" + name + "' does not exist at " +
                                 std::string(bootstrap));
}

namespace {

// One CreateTopics request; `broker` >= 0 sends it there instead of to the controller.
Status CreateTopicOnce(rd_kafka_t* rk, std::string_view bootstrap, const std::string& name,
                       int partitions, int32_t broker, int timeout_ms) {
  char err[512] = {};
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(name.c_str(), partitions, -1, err, sizeof(err));
  if (nt == nullptr) return Status::InvalidArgument("cannot create topic '" + name + "': " + err);
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, err, sizeof(err));
  if (broker >= 0) rd_kafka_AdminOptions_set_broker(opts, broker, err, sizeof(err));
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms + 500);
  Status st;
  if (ev == nullptr) {
    st = Status::Unavailable("no answer from Kafka at " + std::string(bootstrap) +
                             " while creating topic '" + name + "'");
  } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    st = Status::Unavailable("cannot create topic '" + name +
                             "': " + rd_kafka_event_error_string(ev));
  } else if (const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev)) {
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n; ++i) {
      const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        st = Status::Unavailable("cannot create topic '" + name + "': " + KafkaErrorText(e));
      }
    }
  }
  if (ev != nullptr) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_NewTopic_destroy(nt);
  return st;
}

}  // namespace

Result<int> EnsureKafkaTopic(rd_kafka_t* rk, std::string_view bootstrap, std::string_view topic,
                             int partitions) {
  const std::string name(topic);
  if (Result<int> exists = CheckKafkaTopic(rk, bootstrap, topic, TopicCreation::kNever);
      exists.ok()) {
    return exists;
  }
  Status st = CreateTopicOnce(rk, bootstrap, name, partitions, -1, 3000);
  if (!st.ok()) {
    // librdkafka's mock cluster (sluice dev-kafka) names no controller: ask a broker directly.
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, nullptr, &md, kKafkaStartupTimeoutMs) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      const int32_t broker = md->broker_cnt > 0 ? md->brokers[0].id : -1;
      rd_kafka_metadata_destroy(md);
      if (broker >= 0) st = CreateTopicOnce(rk, bootstrap, name, partitions, broker, 3000);
    }
  }
  if (!st.ok()) {
    // No CreateTopics (librdkafka's mock cluster behind `sluice dev-kafka` lacks it): a broker
    // that creates topics on first use makes it with its default partition count.
    Result<int> created = CheckKafkaTopic(rk, bootstrap, topic, TopicCreation::kAllow);
    if (!created.ok()) {
      return Status::Unavailable(st.message() + "; create it yourself with " +
                                 std::to_string(partitions) + " partitions");
    }
  }
  // The metadata may lag the creation by a moment.
  for (int attempt = 0;; ++attempt) {
    Result<int> got = CheckKafkaTopic(rk, bootstrap, topic, TopicCreation::kNever);
    if (got.ok() || attempt >= 20) return got;
    rd_kafka_poll(rk, 100);
  }
}

}  // namespace sluice
