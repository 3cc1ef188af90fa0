// The Kafka source against an in-process dev cluster (librdkafka's mock brokers): an
// available-now read hands out every record the topic holds once, in offset order per
// partition, then finishes. `make test` also runs it under TSan, with librdkafka's threads
// fetching while the source polls.
#include "source/kafka_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gen/generator.h"
#include "kafka/dev_cluster.h"
#include "kafka/generator_to_kafka.h"

namespace sluice {
namespace {

TEST(KafkaSource, AvailableNowReadsEveryRecordOnceInOffsetOrderAndFinishes) {
  auto cluster = DevCluster::Start(1, {DevTopic{"logs", 3}});
  ASSERT_TRUE(cluster.ok()) << cluster.status().message();
  const std::string url = "kafka://" + (*cluster)->bootstrap() + "/logs";
  GeneratorOptions gen;
  gen.count = 3000;
  gen.paced = false;
  gen.start_ms = 1'768'142'570'000;
  ASSERT_TRUE(GenerateToKafka(gen, RecordKey::kUserId, url, KafkaClientOptions{}, nullptr).ok());

  KafkaClientOptions kafka;
  kafka.starting_offsets = "earliest";
  kafka.starting_offsets_set = true;
  auto source = MakeKafkaSource(url, kafka, /*available_now=*/true);
  ASSERT_TRUE(source.ok()) << source.status().message();
  std::map<int32_t, int64_t> next_offset;  // per partition
  int64_t records = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<RawBatch> batches;
  while (!(*source)->Finished() && std::chrono::steady_clock::now() < deadline) {
    batches.clear();
    ASSERT_TRUE((*source)->Poll(batches, 16, std::chrono::milliseconds(100)).ok());
    for (const RawBatch& b : batches) {
      int64_t& next = next_offset[b.partition.value];
      for (size_t i = 0; i < b.size(); ++i) {
        EXPECT_GE(b.offset(i), next) << "partition " << b.partition.value;
        next = b.offset(i) + 1;
      }
      records += static_cast<int64_t>(b.size());
    }
  }
  EXPECT_TRUE((*source)->Finished());
  EXPECT_EQ(records, 3000);
  EXPECT_EQ(next_offset.size(), 3u);
}

}  // namespace
}  // namespace sluice
