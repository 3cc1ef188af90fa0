// BatchBufferPool: a sealed batch reads back what was appended, followed by zero padding; its
// buffer returns to the pool when the batch's last reference goes, and is reused with pages
// left from before; growth keeps the bytes; what the pool keeps is bounded.
#include "source/batch_buffer_pool.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace sluice {
namespace {

// Builds a batch of `records` as the Kafka source does.
RawBatch Build(BatchBufferPool& pool, const std::vector<std::string>& records, size_t expected) {
  RawBatch b;
  BatchBuffer buf = pool.Take(expected);
  for (const std::string& r : records) {
    buf.Append(r.data(), r.size());
    b.starts.push_back(static_cast<uint32_t>(buf.size()));
  }
  buf.SealInto(b);
  EXPECT_FALSE(buf.valid());
  return b;
}

TEST(BatchBufferPool, SealedBatchHoldsTheRecordsThenZeroPadding) {
  auto pool = BatchBufferPool::Make();
  RawBatch b = Build(*pool, {"{\"a\":1}", "", "{\"b\":22}"}, 0);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.record(0), "{\"a\":1}");
  EXPECT_EQ(b.record(1), "");
  EXPECT_EQ(b.record(2), "{\"b\":22}");
  ASSERT_EQ(b.bytes_size(), b.starts.back() + kBatchPadding);
  EXPECT_EQ(b.padding_after(2), kBatchPadding);
  for (size_t i = b.starts.back(); i < b.bytes_size(); ++i) EXPECT_EQ(b.bytes()[i], '\0') << i;
}

TEST(BatchBufferPool, BufferComesBackWhenTheLastCopyOfTheBatchGoesAndIsReused) {
  auto pool = BatchBufferPool::Make();
  RawBatch b = Build(*pool, {std::string(5000, 'x')}, 0);
  const char* first = b.bytes();
  RawBatch copy = b;  // the engine may hold a batch in more than one place
  b = RawBatch();
  EXPECT_EQ(pool->free_buffers(), 0u);
  copy = RawBatch();
  EXPECT_EQ(pool->free_buffers(), 1u);
  // The reused buffer's old bytes are overwritten and the padding zeroed again.
  RawBatch again = Build(*pool, {"yy"}, 0);
  EXPECT_EQ(again.bytes(), first);
  EXPECT_EQ(again.record(0), "yy");
  for (size_t i = 2; i < again.bytes_size(); ++i) EXPECT_EQ(again.bytes()[i], '\0') << i;
  EXPECT_EQ(pool->free_buffers(), 0u);
}

TEST(BatchBufferPool, AnUnsealedBufferGoesBackWhenDropped) {
  auto pool = BatchBufferPool::Make();
  {
    BatchBuffer buf = pool->Take(BatchBufferPool::kHugeFrom);
    buf.Append("abc", 3);
    BatchBuffer moved = std::move(buf);
    EXPECT_FALSE(buf.valid());  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(moved.size(), 3u);
  }
  EXPECT_EQ(pool->free_buffers(), 1u);
}

TEST(BatchBufferPool, GrowingPastTheReservationKeepsTheBytes) {
  auto pool = BatchBufferPool::Make();
  // 40 MiB in 1 MiB records: more than a buffer reserves at first (4 MiB), several times over.
  std::vector<std::string> records;
  for (int i = 0; i < 40; ++i) records.emplace_back(1 << 20, static_cast<char>('a' + i % 26));
  RawBatch b = Build(*pool, records, 0);
  ASSERT_EQ(b.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(b.record(i).size(), records[i].size());
    EXPECT_EQ(b.record(i).front(), records[i].front()) << i;
    EXPECT_EQ(b.record(i).back(), records[i].back()) << i;
  }
}

TEST(BatchBufferPool, KeepsAtMostMaxFreeBuffers) {
  auto pool = BatchBufferPool::Make();
  std::vector<RawBatch> live;
  for (size_t i = 0; i < BatchBufferPool::kMaxFree + 5; ++i) live.push_back(Build(*pool, {"r"}, 0));
  live.clear();
  EXPECT_EQ(pool->free_buffers(), BatchBufferPool::kMaxFree);
}

TEST(BatchBufferPool, BatchesOutliveThePoolHandle) {
  RawBatch b;
  {
    auto pool = BatchBufferPool::Make();
    b = Build(*pool, {"kept"}, 0);
  }
  EXPECT_EQ(b.record(0), "kept");
}

}  // namespace
}  // namespace sluice
