// GeneratorSource restarted at record N hands out exactly the batches an uninterrupted run
// handed out from N on (Generator::Skip itself is tested in gen/generator_test.cc).
#include "source/generator_source.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

// Unpaced, with every random feature on, so skipping must consume the same random draws.
GeneratorOptions Options() {
  GeneratorOptions o;
  o.paced = false;
  o.rate = 50'000;
  o.start_ms = 1'768'142'570'000;
  o.seed = 1234;
  o.jitter_ms = 500;
  o.late_fraction = 0.01;
  o.malformed_fraction = 0.02;
  return o;
}

// What a run saw of one batch.
struct SeenBatch {
  int64_t first_offset;
  std::string data;
  size_t records;
  bool operator==(const SeenBatch&) const = default;
};

std::vector<SeenBatch> PollAll(GeneratorSource& src) {
  std::vector<SeenBatch> seen;
  for (int polls = 0; !src.Finished() && polls < 1000; ++polls) {
    std::vector<RawBatch> out;
    EXPECT_TRUE(src.Poll(out, 2, std::chrono::milliseconds(0)).ok());
    for (const RawBatch& b : out) seen.push_back({b.first_offset.value, b.data, b.size()});
  }
  EXPECT_TRUE(src.Finished());
  return seen;
}

TEST(GeneratorSourceTest, RestartAtAPositionHandsOutTheSameBatchesFromThere) {
  GeneratorOptions o = Options();
  o.count = 45'000;
  GeneratorSource whole(o);
  const auto all = PollAll(whole);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[2].first_offset, 20'000);

  PartitionPosition at;
  at.next_offset = Offset(20'000);
  GeneratorSource restarted(o, &at);
  EXPECT_EQ(restarted.Partitions()[0].next_offset, Offset(20'000));
  EXPECT_EQ(restarted.Partitions()[0].end_offset, 45'000);
  const auto rest = PollAll(restarted);
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest[0].first_offset, 20'000);
  EXPECT_EQ(rest, std::vector<SeenBatch>(all.begin() + 2, all.end()));
  EXPECT_EQ(restarted.Partitions()[0].next_offset, Offset(45'000));
}

TEST(GeneratorSourceTest, RestartWithTheRecordedStartTimeRepeatsAWallClockRun) {
  // Without --start-ms the event-time origin is the wall clock: a restart gets it back from the
  // checkpoint's source values, as the source factory does.
  GeneratorOptions o = Options();
  o.start_ms.reset();
  o.count = 12'000;
  GeneratorSource whole(o);
  const auto values = whole.RestoreValues();
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0].first, "generator.start_ms");
  const auto all = PollAll(whole);

  GeneratorOptions restored = o;
  restored.start_ms = values[0].second;
  PartitionPosition at;
  at.next_offset = Offset(10'000);
  GeneratorSource restarted(restored, &at);
  EXPECT_EQ(restarted.RestoreValues(), values);
  EXPECT_EQ(PollAll(restarted), std::vector<SeenBatch>(all.begin() + 1, all.end()));
}

TEST(GeneratorSourceTest, RestartAtTheCountIsFinished) {
  GeneratorOptions o = Options();
  o.count = 500;
  PartitionPosition at;
  at.next_offset = Offset(500);
  GeneratorSource src(o, &at);
  EXPECT_TRUE(src.Finished());
  std::vector<RawBatch> out;
  EXPECT_TRUE(src.Poll(out, 2, std::chrono::milliseconds(0)).ok());
  EXPECT_TRUE(out.empty());
}

// A paced generator cuts batches by the clock; a restart that replays a planned epoch hands
// out the planned cuts at once (their records are long due), then paces on.
TEST(GeneratorSourceTest, APacedRestartHandsOutTheReplayedCutsAtOnce) {
  GeneratorOptions o = Options();
  o.paced = true;
  o.rate = 1'000;  // a batch of 500 records would take half a second to come due
  const PartitionPosition start{PartitionId(0), Offset(100), -1};
  GeneratorSource src(o, &start);
  const std::vector<BatchCut> planned = {{PartitionId(0), Offset(100), Offset(600)},
                                         {PartitionId(0), Offset(600), Offset(601)}};
  ASSERT_TRUE(src.ReplayCuts(planned));
  std::vector<RawBatch> out;
  ASSERT_TRUE(src.Poll(out, 8, std::chrono::milliseconds(0)).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].cut(), planned[0]);
  EXPECT_EQ(out[1].cut(), planned[1]);
  // The same records as an unpaced run at that rate makes at those offsets.
  GeneratorOptions unpaced = o;
  unpaced.paced = false;
  GeneratorSource same(unpaced, &start);
  std::vector<RawBatch> want;
  ASSERT_TRUE(same.Poll(want, 1, std::chrono::milliseconds(0)).ok());
  ASSERT_EQ(want.size(), 1u);
  EXPECT_TRUE(out[0].record(499) == want[0].record(499));
  EXPECT_TRUE(out[1].record(0) == want[0].record(500));
}

}  // namespace
}  // namespace sluice
