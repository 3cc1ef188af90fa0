#include "checkpoint/epoch_record.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

EpochRecord FullRecord() {
  EpochRecord r;
  r.epoch = 12;
  r.committed_ms = 1'768'142'570'123;
  r.input_finished = true;
  r.positions = {{PartitionId(0), Offset(100), 12'345}, {PartitionId(7), Offset(-1), -1}};
  r.source_values = {{"generator.start_ms", -42}, {"", INT64_MAX}};
  r.watermark_ms = -5;
  r.max_event_ms = kMaxTime;
  r.partition_watermarks = {{PartitionId(0), kMinTime}, {PartitionId(3), 99}};
  r.input_records = 1;
  r.malformed_records = 2;
  r.filtered_records = 3;
  r.late_records = 4;
  r.late_rows = 5;
  r.output_rows = 6;
  r.triggers = 7;
  r.projected_rows_emitted = 8;
  r.sinks = {{"output", std::string("bin\0ary\xFF", 8)}, {"late", ""}};
  r.state_partitions = 64;
  r.state = {{3, 11, 20, 300, 0xFEDCBA9876543210ull, 17}, {60, 12, 320, 0, 1, 0}};
  return r;
}

std::string Encoded(const EpochRecord& r) {
  std::string out;
  ByteWriter w(out);
  r.Encode(w);
  return out;
}

TEST(EpochRecordTest, EveryFieldRoundTrips) {
  const EpochRecord in = FullRecord();
  const std::string bytes = Encoded(in);
  ByteReader r(bytes);
  EpochRecord out;
  ASSERT_TRUE(out.Decode(r));
  EXPECT_EQ(out.epoch, 12);
  EXPECT_EQ(out.committed_ms, in.committed_ms);
  EXPECT_TRUE(out.input_finished);
  ASSERT_EQ(out.positions.size(), 2u);
  EXPECT_EQ(out.positions[0].partition, PartitionId(0));
  EXPECT_EQ(out.positions[0].next_offset, Offset(100));
  EXPECT_EQ(out.positions[0].next_byte, 12'345);
  EXPECT_EQ(out.positions[1].partition, PartitionId(7));
  EXPECT_EQ(out.positions[1].next_offset, Offset(-1));
  EXPECT_EQ(out.positions[1].next_byte, -1);
  EXPECT_EQ(out.source_values, in.source_values);
  EXPECT_EQ(out.SourceValue("generator.start_ms", 0), -42);
  EXPECT_EQ(out.watermark_ms, -5);
  EXPECT_EQ(out.max_event_ms, kMaxTime);
  ASSERT_EQ(out.partition_watermarks.size(), 2u);
  EXPECT_EQ(out.partition_watermarks[0].partition, PartitionId(0));
  EXPECT_EQ(out.partition_watermarks[0].max_event_ms, kMinTime);
  EXPECT_EQ(out.partition_watermarks[1].partition, PartitionId(3));
  EXPECT_EQ(out.partition_watermarks[1].max_event_ms, 99);
  EXPECT_EQ((std::vector<int64_t>{out.input_records, out.malformed_records, out.filtered_records,
                                  out.late_records, out.late_rows, out.output_rows, out.triggers,
                                  out.projected_rows_emitted}),
            (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(out.sinks, in.sinks);
  ASSERT_NE(out.SinkState("output"), nullptr);
  EXPECT_EQ(*out.SinkState("output"), std::string("bin\0ary\xFF", 8));
  EXPECT_EQ(out.SinkState("dead-letter"), nullptr);
  EXPECT_EQ(out.state_partitions, 64u);
  ASSERT_EQ(out.state.size(), 2u);
  EXPECT_EQ(out.state[0].state_partition, 3u);
  EXPECT_EQ(out.state[0].file_epoch, 11);
  EXPECT_EQ(out.state[0].offset, 20u);
  EXPECT_EQ(out.state[0].length, 300u);
  EXPECT_EQ(out.state[0].checksum, 0xFEDCBA9876543210ull);
  EXPECT_EQ(out.state[0].rows, 17);
  EXPECT_EQ(out.state[1].state_partition, 60u);
  EXPECT_EQ(Encoded(out), bytes);
}

TEST(EpochRecordTest, EmptyRecordRoundTrips) {
  const std::string bytes = Encoded(EpochRecord{});
  ByteReader r(bytes);
  EpochRecord out;
  ASSERT_TRUE(out.Decode(r));
  EXPECT_EQ(out.watermark_ms, kMinTime);
  EXPECT_TRUE(out.positions.empty());
  EXPECT_TRUE(out.state.empty());
}

TEST(EpochRecordTest, EveryTruncationIsRefused) {
  const std::string bytes = Encoded(FullRecord());
  for (size_t len = 0; len < bytes.size(); ++len) {
    ByteReader r(std::string_view(bytes).substr(0, len));
    EpochRecord out;
    EXPECT_FALSE(out.Decode(r)) << "prefix of " << len;
  }
}

TEST(EpochRecordTest, TrailingBytesAreRefused) {
  const std::string bytes = Encoded(FullRecord()) + "x";
  ByteReader r(bytes);
  EpochRecord out;
  EXPECT_FALSE(out.Decode(r));
}

TEST(EpochRecordTest, NegativeEpochIsRefused) {
  EpochRecord in;
  in.epoch = -1;
  const std::string bytes = Encoded(in);
  ByteReader r(bytes);
  EpochRecord out;
  EXPECT_FALSE(out.Decode(r));
}

TEST(EpochRecordTest, HugeCountsAreRefusedWithoutAllocating) {
  std::string bytes;
  ByteWriter w(bytes);
  w.I64(1);
  w.I64(0);
  w.U8(0);
  w.Varint(uint64_t{1} << 58);  // positions
  bytes.append(100, '\0');
  ByteReader r(bytes);
  EpochRecord out;
  EXPECT_FALSE(out.Decode(r));
}

}  // namespace
}  // namespace sluice
