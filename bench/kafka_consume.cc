// Raw librdkafka batch consumption of a whole topic by one process: the yardstick that
// bench/kafka_consume_bench.sh compares `sluice run` against. Assigns every partition from its
// earliest offset, drains with rd_kafka_consume_batch_queue until each partition reached the
// high watermark it had at the start, touches every payload byte (so the work is comparable
// to copying it), and prints "records bytes seconds records_per_s".
//
// Usage: kafka_consume BOOTSTRAP TOPIC
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s BOOTSTRAP TOPIC\n", argv[0]);
    return 2;
  }
  const char* topic = argv[2];
  const auto t0 = std::chrono::steady_clock::now();
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const char* props[][2] = {
      {"bootstrap.servers", argv[1]},           {"group.id", "kafka-consume-bench"},
      {"enable.auto.commit", "false"},          {"enable.partition.eof", "true"},
      {"max.partition.fetch.bytes", "4194304"}, {"fetch.wait.max.ms", "100"},
      {"queued.min.messages", "200000"}};
  for (auto& kv : props) {
    if (rd_kafka_conf_set(conf, kv[0], kv[1], err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s\n", err);
      return 2;
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "%s\n", err);
    return 2;
  }
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 1, nullptr, &md, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "cannot reach %s\n", argv[1]);
    return 2;
  }
  int partitions = 0;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (std::string_view(md->topics[i].topic) == topic) partitions = md->topics[i].partition_cnt;
  }
  rd_kafka_metadata_destroy(md);
  if (partitions == 0) {
    std::fprintf(stderr, "no topic %s\n", topic);
    return 2;
  }
  // End offsets of all partitions in one ListOffsets request (as sluice does).
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_END;
  }
  if (rd_kafka_offsets_for_times(rk, list, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "cannot read end offsets\n");
    return 2;
  }
  std::vector<int64_t> end(static_cast<size_t>(partitions)), next(static_cast<size_t>(partitions));
  int remaining = 0;
  for (int i = 0; i < list->cnt; ++i) {
    end[static_cast<size_t>(list->elems[i].partition)] = list->elems[i].offset;
    if (list->elems[i].offset > 0) ++remaining;
    list->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  // The start offsets too, as sluice resolves them: an assignment at the logical BEGINNING makes
  // librdkafka query it itself, which it defers by 500 ms when the partition has not joined its
  // broker thread yet (about half the runs on dev-kafka).
  if (rd_kafka_offsets_for_times(rk, list, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "cannot read start offsets\n");
    return 2;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(rk);

  std::vector<rd_kafka_message_t*> msgs(4096);
  int64_t records = 0, bytes = 0;
  uint64_t checksum = 0;
  while (remaining > 0) {
    ssize_t n = rd_kafka_consume_batch_queue(q, 0, msgs.data(), msgs.size());
    if (n == 0) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
      if (m == nullptr) continue;
      msgs[0] = m;
      n = 1;
    }
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = msgs[static_cast<size_t>(i)];
      const size_t p = static_cast<size_t>(m->partition);
      if ((m->err == 0 || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) && next[p] < end[p]) {
        if (m->err == 0) {
          ++records;
          bytes += static_cast<int64_t>(m->len);
          const unsigned char* b = static_cast<const unsigned char*>(m->payload);
          for (size_t k = 0; k < m->len; k += 64) checksum += b[k];
        }
        next[p] = m->offset + (m->err == 0 ? 1 : 0);
        if (next[p] >= end[p]) --remaining;
      }
      rd_kafka_message_destroy(m);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%lld %lld %.3f %.0f\n", static_cast<long long>(records),
              static_cast<long long>(bytes), secs, static_cast<double>(records) / secs);
  std::fprintf(stderr, "(checksum %llu)\n", static_cast<unsigned long long>(checksum));
  rd_kafka_queue_destroy(q);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}
