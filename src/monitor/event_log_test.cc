#include "monitor/event_log.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "monitor/progress_json.h"

namespace sluice {
namespace {

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-eventlog-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

TriggerProgress Trigger(int64_t id) {
  TriggerProgress p;
  p.batch_id = id;
  p.timestamp_ms = 1'769'538'590'000 + id * 5000;
  p.num_input_rows = 100'000 + id;
  p.input_rows_per_second = 20'000.5;
  p.processed_rows_per_second = 2'000'000.25;
  p.duration = {4990, 30, 10, 2, 1, 3, 46'123, 5000};
  p.max_event_time_ms = p.timestamp_ms - 500;
  p.watermark_ms = p.timestamp_ms - 5500;
  p.state = {1000, 310 + id, 200, 4, 96'000};
  p.late_rows = 4;
  p.malformed_rows = 2;
  p.output_rows = 37;
  p.sources.push_back(
      {"generator", {{PartitionId(0), id * 100'000, (id + 1) * 100'000}}, 100'000 + id});
  p.sink_description = "console";
  return p;
}

// Fills `m` as a run of three triggers would, writing its event log into `dir`.
std::string WriteRun(RunMonitor& m, const std::string& dir) {
  QueryInfo q;
  q.id = "q-1";
  q.run_id = "run-1";
  q.name = "crash_monitor";
  q.sql = "SELECT 1";
  q.output_mode = "append";
  q.trigger_interval_ms = 5000;
  q.started_ms = 1'769'538'585'000;
  m.SetQueryInfo(q);
  auto w = EventLogWriter::Open(dir, m);
  EXPECT_TRUE(w.ok()) << w.status().message();
  for (int64_t id = 0; id < 3; ++id) {
    m.PublishTrigger(Trigger(id));
    PartitionStatus ps;
    ps.records_total = (id + 1) * 100'000;
    ps.next_offset = ps.records_total;
    ps.watermark_ms = 1'769'538'584'000;
    m.SetPartitions({ps});
    m.SetWindows({{1'769'538'580'000, 1'769'538'590'000, 50, 9990, 1'769'538'590'000}},
                 1'769'538'584'000);
    ResultsSnapshot rs;
    rs.batch_id = id;
    rs.output_mode = "append";
    rs.columns = {"user_id", "n"};
    rs.rows = {{"user_1", "3"}};
    m.SetResults(rs);
    (*w)->AppendTrigger(m);
  }
  m.SetState(RunState::kFinished);
  m.SetEndedMs(1'769'538'606'000);
  (*w)->AppendEnd(m, 1'769'538'606'000);
  return (*w)->path();
}

TEST(EventLog, ReplayShowsWhatTheRunShowed) {
  const std::string dir = TempDir();
  RunMonitor run;
  const std::string path = WriteRun(run, dir);
  EXPECT_EQ(path, dir + "/run-1.jsonl");

  RunMonitor replay;
  ASSERT_TRUE(LoadEventLog(path, replay).ok());
  const int64_t later = 1'769'538'700'000;
  EXPECT_EQ(HistoryJson(replay, std::nullopt), HistoryJson(run, std::nullopt));
  EXPECT_EQ(QueryJson(replay, later), QueryJson(run, later));
  EXPECT_EQ(PartitionsJson(replay), PartitionsJson(run));
  EXPECT_EQ(WindowsJson(replay), WindowsJson(run));
  EXPECT_EQ(ResultsJson(replay), ResultsJson(run));
  EXPECT_EQ(replay.state().first, RunState::kFinished);
  EXPECT_EQ(replay.totals().input_rows, 300'003);

  auto runs = ListEventLogs(dir);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].run_id, "run-1");
  EXPECT_EQ((*runs)[0].name, "crash_monitor");
  std::filesystem::remove_all(dir);
}

TEST(EventLog, ALogCutShortLoadsUpToItsLastWholeLine) {
  const std::string dir = TempDir();
  RunMonitor run;
  const std::string path = WriteRun(run, dir);
  std::ifstream in(path);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  {
    std::ofstream out(path, std::ios::trunc);
    out << first << "\n" << second << "\n" << second.substr(0, second.size() / 2);  // torn
  }
  RunMonitor replay;
  ASSERT_TRUE(LoadEventLog(path, replay).ok());
  EXPECT_EQ(replay.totals().triggers, 1);
  EXPECT_EQ(replay.state().first, RunState::kFailed);
  std::filesystem::remove_all(dir);
}

TEST(EventLog, AFileThatIsNotAnEventLogIsRefused) {
  const std::string dir = TempDir();
  { std::ofstream(dir + "/x.jsonl") << "{\"timestamp\": 1}\n"; }
  RunMonitor m;
  EXPECT_FALSE(LoadEventLog(dir + "/x.jsonl", m).ok());
  auto runs = ListEventLogs(dir);
  ASSERT_TRUE(runs.ok());
  EXPECT_TRUE(runs->empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sluice
