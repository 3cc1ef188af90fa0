#include "bench/bench_context.h"

#include <gtest/gtest.h>

namespace sluice::bench {
namespace {

TEST(BenchContextTest, ParseSummaryReadsTheLastSummaryLine) {
  auto m = ParseSummary("sluice: 10 records\nsummary input_records=10 output_rows=3\n");
  EXPECT_EQ(m["input_records"], 10);
  EXPECT_EQ(m["output_rows"], 3);
  EXPECT_TRUE(ParseSummary("no summary here").empty());
}

TEST(BenchContextTest, PercentileIsNearestRank) {
  EXPECT_EQ(Percentile({5, 1, 3, 2, 4}, 50), 3);
  EXPECT_EQ(Percentile({5, 1, 3, 2, 4}, 99), 5);
  EXPECT_EQ(Percentile({7}, 1), 7);
}

}  // namespace
}  // namespace sluice::bench
