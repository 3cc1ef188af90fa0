#include "kafka/fetch_memory.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace sluice {
namespace {

TEST(FetchMemoryTest, LargeFreedBlocksStayInTheHeap) {
  // The sanitizers' allocators take mallopt and ignore it, and report no arena: the Release
  // stage of `make test` runs this test (ctest's fetch_memory_release).
  if (!KeepFetchMemory() || mallinfo2().arena == 0) {
    GTEST_SKIP() << "not glibc's allocator (a sanitizer build)";
  }
  constexpr size_t kBlock = size_t{8} << 20;  // a fetch's worth of decompressed records
  const struct mallinfo2 before = mallinfo2();
  void* p = std::malloc(kBlock);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, kBlock);
  // From the heap: glibc's default would map a block this large on its own.
  EXPECT_EQ(mallinfo2().hblks, before.hblks);
  std::free(p);
  // Not trimmed: the heap still holds the freed block, to be reused without page faults.
  const struct mallinfo2 after = mallinfo2();
  EXPECT_GE(after.arena, before.arena + kBlock);
  EXPECT_GE(after.fordblks, kBlock);
}

TEST(FetchMemoryTest, SecondCallChangesNothing) {
  const bool first = KeepFetchMemory();
  EXPECT_EQ(KeepFetchMemory(), first);
}

}  // namespace
}  // namespace sluice
