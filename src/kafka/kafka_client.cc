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
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof(err)) !=
        RD_KAFKA_CONF_OK) {
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
      return Status::InvalidArgument("Kafka topic '" + name + "' does not exist at " +
                                     std::string(bootstrap) +
                                     "; create it first (sluice dev-kafka --topic " + name +
                                     ":4) or check the name");
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

}  // namespace sluice
