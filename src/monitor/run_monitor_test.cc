#include "monitor/run_monitor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>

namespace sluice {
namespace {

TriggerProgress Trigger(int64_t id, int64_t rows) {
  TriggerProgress p;
  p.batch_id = id;
  p.num_input_rows = rows;
  p.late_rows = 1;
  p.malformed_rows = 2;
  p.output_rows = 3;
  p.duration.total_us = 10'000;
  return p;
}

TEST(RunMonitor, LatestIsNullBeforeTheFirstTrigger) {
  RunMonitor m;
  EXPECT_EQ(m.latest(), nullptr);
  EXPECT_TRUE(m.history().empty());
  EXPECT_NE(m.query(), nullptr);
  EXPECT_NE(m.windows(), nullptr);
  EXPECT_NE(m.results(), nullptr);
}

TEST(RunMonitor, HistoryKeepsTheNewestTriggersOldestFirst) {
  RunMonitor m;
  const int64_t n = RunMonitor::kHistorySize + 25;
  for (int64_t i = 0; i < n; ++i) m.PublishTrigger(Trigger(i, 100));
  auto h = m.history();
  ASSERT_EQ(h.size(), RunMonitor::kHistorySize);
  EXPECT_EQ(h.front()->batch_id, 25);
  EXPECT_EQ(h.back()->batch_id, n - 1);
  EXPECT_EQ(m.latest()->batch_id, n - 1);
  auto last3 = m.history(3);
  ASSERT_EQ(last3.size(), 3u);
  EXPECT_EQ(last3[0]->batch_id, n - 3);
}

TEST(RunMonitor, PublishTriggerAccumulatesTotals) {
  RunMonitor m;
  m.PublishTrigger(Trigger(0, 100));
  m.PublishTrigger(Trigger(1, 50));
  RunTotals t = m.totals();
  EXPECT_EQ(t.triggers, 2);
  EXPECT_EQ(t.input_rows, 150);
  EXPECT_EQ(t.late_rows, 2);
  EXPECT_EQ(t.malformed_rows, 4);
  EXPECT_EQ(t.output_rows, 6);
  EXPECT_EQ(t.busy_us, 20'000);
  EXPECT_EQ(m.latest()->totals.input_rows, 150);
  EXPECT_EQ(m.history().front()->totals.input_rows, 100);  // stamped when published
}

TEST(RunMonitor, FirstTriggerMarksTheRunRunning) {
  RunMonitor m;
  EXPECT_EQ(m.state().first, RunState::kStarting);
  m.PublishTrigger(Trigger(0, 1));
  EXPECT_EQ(m.state().first, RunState::kRunning);
  m.SetState(RunState::kFailed, "broker gone");
  EXPECT_EQ(m.state().first, RunState::kFailed);
  EXPECT_EQ(m.state().second, "broker gone");
}

TEST(RunMonitor, ResultsAreBoundedButKeepTheirTotal) {
  RunMonitor m;
  ResultsSnapshot r;
  r.columns = {"a"};
  for (int i = 0; i < 1000; ++i) r.rows.push_back({std::to_string(i)});
  m.SetResults(std::move(r));
  EXPECT_EQ(m.results()->rows.size(), RunMonitor::kMaxResultRows);
  EXPECT_EQ(m.results()->total_rows, 1000);
}

TEST(RunMonitor, WindowsAreSortedAndBounded) {
  RunMonitor m;
  std::vector<WindowStatus> w;
  for (int64_t i = 2000; i > 0; --i) w.push_back({i * 10, i * 10 + 10, 1, 1, i * 10 + 10});
  m.SetWindows(std::move(w), 5);
  auto s = m.windows();
  EXPECT_EQ(s->open_windows, 2000);
  ASSERT_EQ(s->windows.size(), RunMonitor::kMaxWindows);
  EXPECT_EQ(s->windows.front().start_ms, 10);
  EXPECT_EQ(*s->watermark_ms, 5);
}

TEST(RunMonitor, SnapshotsStayValidWhileTheWriterReplacesThem) {
  RunMonitor m;
  m.PublishTrigger(Trigger(0, 1));
  auto held = m.latest();
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      auto h = m.history();
      for (size_t i = 1; i < h.size(); ++i) ASSERT_EQ(h[i]->batch_id, h[i - 1]->batch_id + 1);
      auto p = m.partitions();
      ASSERT_TRUE(p->empty() || p->front().next_offset >= 0);
    }
  });
  for (int64_t i = 1; i < 2000; ++i) {
    m.PublishTrigger(Trigger(i, i));
    m.SetPartitions({PartitionStatus{PartitionId(0), 1.0, i, i, i + 5}});
  }
  stop = true;
  reader.join();
  EXPECT_EQ(held->batch_id, 0);  // an old snapshot outlives its eviction from the ring
  EXPECT_EQ(m.partitions()->front().lag(), 5);
}

TEST(RunMonitor, PartitionLagIsUnknownWithoutAnEndOffset) {
  PartitionStatus p;
  p.next_offset = 10;
  EXPECT_EQ(p.lag(), -1);
  p.end_offset = 7;  // the end moved behind us (a refresh is stale): never negative
  EXPECT_EQ(p.lag(), 0);
}

TEST(RunMonitor, NewQueryIdLooksLikeAUuid) {
  std::string a = NewQueryId(), b = NewQueryId();
  EXPECT_TRUE(std::regex_match(
      a, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << a;
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace sluice
