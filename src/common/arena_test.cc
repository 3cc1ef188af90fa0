#include "common/arena.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

TEST(Arena, CopiesStayValidUntilReset) {
  Arena arena(16);
  std::string_view a = arena.Copy("hello");
  std::string_view b = arena.Copy(std::string(100, 'x'));  // larger than the first block
  std::string_view c = arena.Copy("world");
  EXPECT_EQ(a, "hello");
  EXPECT_EQ(b, std::string(100, 'x'));
  EXPECT_EQ(c, "world");
}

TEST(Arena, ResetKeepsMemorySoWarmUseDoesNotGrow) {
  Arena arena(64);
  for (int i = 0; i < 3; ++i) {
    arena.Copy(std::string(40, 'a'));
    arena.Copy(std::string(40, 'b'));
    arena.Reset();
  }
  size_t warm = arena.capacity();
  for (int i = 0; i < 1000; ++i) {
    arena.Copy(std::string(40, 'a'));
    arena.Copy(std::string(40, 'b'));
    arena.Reset();
  }
  EXPECT_EQ(arena.capacity(), warm);
}

TEST(Arena, AllocationsDoNotOverlap) {
  Arena arena(8);
  char* p = arena.Allocate(5);
  char* q = arena.Allocate(5);
  std::memset(p, 'p', 5);
  std::memset(q, 'q', 5);
  EXPECT_EQ(std::string(p, 5), "ppppp");
  EXPECT_EQ(std::string(q, 5), "qqqqq");
}

}  // namespace
}  // namespace sluice
