#include "kafka/topic_dump.h"

#include <chrono>
#include <string_view>
#include <vector>

#include "common/utf8.h"
#include "kafka/kafka_client.h"

namespace sluice {

Status DumpTopic(const std::string& bootstrap, const std::string& topic,
                 const KafkaProperties& properties, DumpColumns columns, std::FILE* out,
                 TopicDumpStats* stats) {
  const auto start = std::chrono::steady_clock::now();
  KafkaProperties defaults = {
      {"group.id", "sluice-dump"},     {"client.id", "sluice-dump"},
      {"enable.auto.commit", "false"}, {"enable.partition.eof", "true"},
      {"fetch.wait.max.ms", "10"},     {"max.partition.fetch.bytes", "4194304"}};
  Result<KafkaConf> conf = MakeKafkaConf(bootstrap, defaults, properties);
  if (!conf.ok()) return conf.status();
  Result<KafkaHandle> rk = NewKafkaHandle(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!rk.ok()) return rk.status();
  Result<int> partitions = CheckKafkaTopic(rk->get(), bootstrap, topic, TopicCreation::kNever);
  if (!partitions.ok()) return partitions.status();
  rd_kafka_poll_set_consumer(rk->get());
  KafkaQueue queue(rd_kafka_queue_get_consumer(rk->get()));

  TopicDumpStats local;
  local.partitions = *partitions;
  std::vector<rd_kafka_message_t*> msgs(4096);
  std::string line;
  for (int32_t p = 0; p < *partitions; ++p) {
    int64_t lo = 0, hi = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk->get(), topic.c_str(), p, &lo,
                                                               &hi, kKafkaStartupTimeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable("cannot read offsets of " + topic + "[" + std::to_string(p) +
                                 "]: " + KafkaErrorText(err));
    }
    if (lo >= hi) continue;
    KafkaPartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = lo;
    if ((err = rd_kafka_assign(rk->get(), list.get())) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable("cannot assign " + topic + ": " + KafkaErrorText(err));
    }
    int64_t next = lo;
    auto absorb = [&](rd_kafka_message_t* m) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (m->partition == p && m->offset > next) next = m->offset;
      } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::fprintf(stderr, "sluice: dump: %s (retrying)\n", rd_kafka_message_errstr(m));
      } else if (m->partition == p && m->offset >= next && m->offset < hi) {
        next = m->offset + 1;
        ++local.records;
        local.bytes += static_cast<int64_t>(m->len);
        if (out != nullptr) {
          line.clear();
          if (columns.partition) {
            line += std::to_string(p) + "\t" + std::to_string(m->offset) + "\t";
          }
          if (columns.key) {
            if (m->key == nullptr) {
              line += "null";
            } else {
              AppendJsonString(line,
                               std::string_view(static_cast<const char*>(m->key), m->key_len));
            }
            line.push_back('\t');
          }
          line.append(static_cast<const char*>(m->payload), m->len);
          line.push_back('\n');
          std::fwrite(line.data(), 1, line.size(), out);
        }
      }
      rd_kafka_message_destroy(m);
    };
    while (next < hi) {
      // Drain without waiting (a batch call waits for a full array); block on one message only.
      ssize_t n = rd_kafka_consume_batch_queue(queue.get(), 0, msgs.data(), msgs.size());
      if (n < 0)
        return Status::Unavailable("consume failed: " + KafkaErrorText(rd_kafka_last_error()));
      for (ssize_t i = 0; i < n; ++i) absorb(msgs[static_cast<size_t>(i)]);
      if (n == 0) {
        if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk->get(), 100)) absorb(m);
      }
    }
    rd_kafka_assign(rk->get(), nullptr);
  }
  local.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (stats != nullptr) *stats = local;
  if (out != nullptr && std::fflush(out) != 0) return Status::IOError("cannot write the dump");
  return Status::Ok();
}

}  // namespace sluice
