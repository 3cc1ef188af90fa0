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

// A dev cluster whose topic `logs` of `partitions` holds `count` generated records keyed by
// user_id; `url` is set to the topic's URL.
Result<std::unique_ptr<DevCluster>> ClusterWithRecords(int partitions, int64_t count,
                                                       std::string& url) {
  auto cluster = DevCluster::Start(1, {DevTopic{"logs", partitions}});
  if (!cluster.ok()) return cluster.status();
  url = "kafka://" + (*cluster)->bootstrap() + "/logs";
  GeneratorOptions gen;
  gen.count = count;
  gen.paced = false;
  gen.start_ms = 1'768'142'570'000;
  SLUICE_RETURN_IF_ERROR(
      GenerateToKafka(gen, RecordKey::kUserId, url, KafkaClientOptions{}, nullptr));
  return cluster;
}

TEST(KafkaSource, AvailableNowReadsEveryRecordOnceInOffsetOrderAndFinishes) {
  std::string url;
  auto cluster = ClusterWithRecords(3, 3000, url);
  ASSERT_TRUE(cluster.ok()) << cluster.status().message();

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

// A restart replays the epoch its checkpoint's offsets log planned: whatever arrives first, the
// source hands out exactly the planned batches in the planned order, then reads on as usual.
TEST(KafkaSource, ReplayedCutsComeFirstInTheirOrderThenReadingGoesOn) {
  std::string url;
  auto cluster = ClusterWithRecords(2, 2000, url);
  ASSERT_TRUE(cluster.ok()) << cluster.status().message();
  int64_t held[2] = {0, 0};  // records per partition
  {
    // The end offsets of a bounded read are the records each partition holds.
    std::vector<PartitionPosition> zero = {{PartitionId(0), Offset(0), -1},
                                           {PartitionId(1), Offset(0), -1}};
    auto counter = MakeKafkaSource(url, KafkaClientOptions{}, /*available_now=*/true, &zero);
    ASSERT_TRUE(counter.ok()) << counter.status().message();
    for (const PartitionInfo& p : (*counter)->Partitions()) held[p.id.value] = p.target_offset;
  }
  ASSERT_GT(held[0], 20);
  ASSERT_GT(held[1], 20);

  // A continuous read from a checkpoint at offsets 0 (it would cut at whatever has arrived).
  std::vector<PartitionPosition> start = {{PartitionId(0), Offset(0), -1},
                                          {PartitionId(1), Offset(0), -1}};
  auto source = MakeKafkaSource(url, KafkaClientOptions{}, /*available_now=*/false, &start);
  ASSERT_TRUE(source.ok()) << source.status().message();
  auto cut = [](int32_t p, int64_t first, int64_t end) {
    return BatchCut{PartitionId(p), Offset(first), Offset(end)};
  };
  const std::vector<BatchCut> planned = {cut(1, 0, 7), cut(0, 0, 11), cut(1, 7, 8),
                                         cut(0, 11, held[0] - 3), cut(1, 8, held[1] / 2)};
  ASSERT_TRUE((*source)->ReplayCuts(planned));
  std::vector<BatchCut> got;
  int64_t next[2] = {0, 0};
  int64_t records = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<RawBatch> batches;
  while (records < held[0] + held[1] && std::chrono::steady_clock::now() < deadline) {
    batches.clear();
    ASSERT_TRUE((*source)->Poll(batches, 2, std::chrono::milliseconds(100)).ok());
    for (const RawBatch& b : batches) {
      got.push_back(b.cut());
      EXPECT_EQ(b.first_offset.value, next[b.partition.value]) << "partition " << b.partition.value;
      next[b.partition.value] = b.end_position().next_offset.value;
      records += static_cast<int64_t>(b.size());
    }
  }
  EXPECT_EQ(records, held[0] + held[1]);
  ASSERT_GT(got.size(), planned.size());
  EXPECT_EQ(std::vector<BatchCut>(got.begin(), got.begin() + static_cast<long>(planned.size())),
            planned);
  EXPECT_EQ(next[0], held[0]);
  EXPECT_EQ(next[1], held[1]);
}

}  // namespace
}  // namespace sluice
