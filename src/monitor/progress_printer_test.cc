#include "monitor/progress_printer.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(ProgressPrinter, LineShowsRatesWatermarkGapStateAndLate) {
  TriggerProgress p;
  p.batch_id = 12;
  p.num_input_rows = 48211;
  p.input_rows_per_second = 96400;
  p.processed_rows_per_second = 1'234'000;
  p.duration.total_us = 39'000;
  p.max_event_time_ms = 1768142575000;
  p.watermark_ms = 1768142570000;
  p.state.rows_total = 3120;
  p.late_rows = 4;
  p.malformed_rows = 2;
  EXPECT_EQ(ProgressLine(p),
            "batch 12 | in 48,211 rows | input 96.4k rows/s | processed 1.23M rows/s | 39 ms | "
            "watermark 2026-01-11 14:42:50 (gap 5.0 s) | state 3,120 rows | late 4 | malformed 2");
  p.watermark_ms.reset();
  EXPECT_NE(ProgressLine(p).find("watermark -"), std::string::npos);
}

TEST(ProgressPrinter, SummaryReportsAveragesOverTheRun) {
  RunMonitor m;
  QueryInfo q;
  q.started_ms = 1'000'000;
  m.SetQueryInfo(q);
  TriggerProgress p;
  p.num_input_rows = 1'000'000;
  p.duration.total_us = 500'000;
  p.late_rows = 7;
  m.PublishTrigger(p);
  m.SetState(RunState::kFinished);
  std::string s = RunSummary(m, 1'000'000 + 2'000);
  EXPECT_NE(s.find("run finished"), std::string::npos) << s;
  EXPECT_NE(s.find("input rows:       1,000,000 in 2.00 s"), std::string::npos) << s;
  EXPECT_NE(s.find("input rate:       500.0k rows/s"), std::string::npos) << s;
  EXPECT_NE(s.find("processing rate:  2.00M rows/s"), std::string::npos) << s;
  EXPECT_NE(s.find("late rows:        7"), std::string::npos) << s;
}

TEST(ProgressPrinter, Formatting) {
  EXPECT_EQ(GroupThousands(0), "0");
  EXPECT_EQ(GroupThousands(999), "999");
  EXPECT_EQ(GroupThousands(1000), "1,000");
  EXPECT_EQ(GroupThousands(-1234567), "-1,234,567");
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(3 * 1024 * 1024), "3.0 MiB");
  EXPECT_EQ(UtcTime(1768142570194), "2026-01-11 14:42:50.194");
  EXPECT_EQ(UtcTime(1768142570000), "2026-01-11 14:42:50");
}

}  // namespace
}  // namespace sluice
