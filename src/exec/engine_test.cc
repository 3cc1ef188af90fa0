// Engine behaviour on hand-built queries (no SQL), with a fake source and a collecting sink.
#include "exec/engine.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <deque>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/time_format.h"
#include "format/json_writer.h"

namespace sluice {
namespace {

// Hands out fixed batches of one partition, a few per poll, then finishes.
class VectorSource : public Source {
 public:
  // Starts at record `start` (a checkpoint's position), which must be a batch boundary.
  VectorSource(const std::vector<std::string>& lines, size_t batch_size, size_t start = 0) {
    for (size_t i = start; i < lines.size(); i += batch_size) {
      RawBatch b;
      b.first_offset = Offset(static_cast<int64_t>(i));
      for (size_t j = i; j < std::min(lines.size(), i + batch_size); ++j) b.Add(lines[j]);
      b.Seal();
      batches_.push_back(std::move(b));
    }
  }
  Status Poll(std::vector<RawBatch>& out, size_t max_batches, std::chrono::milliseconds) override {
    for (size_t k = 0; k < max_batches && next_ < batches_.size(); ++k) {
      out.push_back(batches_[next_++]);
    }
    return Status::Ok();
  }
  bool Finished() const override { return next_ == batches_.size(); }
  std::vector<PartitionInfo> Partitions() const override { return {PartitionInfo{}}; }
  std::string Describe() const override { return "vector"; }

 private:
  std::vector<RawBatch> batches_;
  size_t next_ = 0;
};

class CollectSink : public Sink {
 public:
  Status Write(const OutputBatch& b) override {
    for (const auto& row : b.rows) {
      std::string s;
      for (const auto& v : row) {
        if (!s.empty()) s += "|";
        s += v.type == Type::kTimestamp ? FormatTimestamp(v.i)
             : v.type == Type::kString  ? v.s
                                        : std::to_string(v.i);
      }
      rows.push_back(s);
    }
    ++batches;
    return Status::Ok();
  }
  std::string Describe() const override { return "collect"; }
  std::vector<std::string> rows;
  int batches = 0;
};

ExprPtr Column(int slot, Type t) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::kColumn;
  e->slot = slot;
  e->type = t;
  return e;
}

// SELECT window.start, user_id, count(*) FROM logs GROUP BY window(timestamp, '10 seconds'),
// user_id
BoundQuery WindowedCount() {
  BoundQuery q;
  q.input_fields = {{"timestamp", Type::kInt64}, {"user_id", Type::kString}};
  q.event_time_slot = 0;
  q.aggregating = true;
  q.window = WindowSpec{10'000, 10'000, 0};
  q.group_keys.push_back(Column(1, Type::kString));
  q.group_key_names = {"user_id"};
  AggCall c;
  c.kind = AggKind::kCountStar;
  c.text = "count(1)";
  q.aggregates.push_back(std::move(c));
  q.select.push_back({"window_start", Column(0, Type::kTimestamp)});
  q.select.push_back({"user_id", Column(2, Type::kString)});
  q.select.push_back({"n", Column(3, Type::kInt64)});
  return q;
}

std::string Rec(int64_t ts, const std::string& user) {
  return R"({"timestamp": )" + std::to_string(ts) + R"(, "user_id": ")" + user + R"("})";
}

std::vector<std::string> RunQuery(const BoundQuery& q, const std::vector<std::string>& lines,
                                  int threads, size_t batch_size, RunCounters* counters = nullptr,
                                  OutputMode mode = OutputMode::kAppend,
                                  Sink* late_sink = nullptr) {
  VectorSource src(lines, batch_size);
  CollectSink sink;
  EngineOptions o;
  o.threads = threads;
  o.watermark_delay_ms = 5'000;
  o.trigger_ms = 0;
  o.mode = mode;
  Engine e(q, o, src, sink);
  if (late_sink != nullptr) e.SetLateSink(late_sink);
  EXPECT_TRUE(e.Run().ok());
  if (counters) *counters = e.counters();
  return sink.rows;
}

// An input at rest (like a regular file) whose reader keeps up unevenly: each Poll hands out
// between 1 and 3 batches, as timing would decide.
class UnevenFileSource : public VectorSource {
 public:
  UnevenFileSource(const std::vector<std::string>& lines, size_t batch_size, uint64_t seed)
      : VectorSource(lines, batch_size), seed_(seed) {}
  Status Poll(std::vector<RawBatch>& out, size_t max_batches,
              std::chrono::milliseconds t) override {
    seed_ = seed_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return VectorSource::Poll(out, std::min<size_t>(max_batches, 1 + (seed_ >> 33) % 3), t);
  }
  bool AtRest() const override { return true; }

 private:
  uint64_t seed_;
};

TEST(EngineTest, TriggerZeroInUpdateModeGivesTheSameTriggersOnAFileWhateverTheTimingAndThreads) {
  auto q = WindowedCount();
  std::vector<std::string> lines;
  for (int i = 0; i < 3'000; ++i)
    lines.push_back(Rec(1'000'000 + i * 37, "u" + std::to_string(i % 5)));
  std::vector<std::string> first;
  int first_batches = 0;
  for (const auto& [threads, seed] : {std::pair{1, 1}, {2, 2}, {3, 3}, {2, 4}}) {
    UnevenFileSource src(lines, 50, static_cast<uint64_t>(seed));
    CollectSink sink;
    EngineOptions o;
    o.threads = threads;
    o.watermark_delay_ms = 5'000;
    o.trigger_ms = 0;
    o.mode = OutputMode::kUpdate;
    Engine e(q, o, src, sink);
    ASSERT_TRUE(e.Run().ok());
    if (first.empty()) {
      first = sink.rows;
      first_batches = sink.batches;
      // 60 batches of 50 records: a trigger after 16, 32, 48 and 60 batches, and the final
      // emission when the end of the input closes every window.
      EXPECT_EQ(first_batches, 5);
      continue;
    }
    EXPECT_EQ(sink.rows, first) << threads << " threads, seed " << seed;
    EXPECT_EQ(sink.batches, first_batches) << threads << " threads, seed " << seed;
  }
}

TEST(EngineTest, CountsPerWindowAndKeyAndClosesAllAtEnd) {
  auto q = WindowedCount();
  const int64_t t0 = 1'768'142'570'000;  // 14:42:50 UTC, a window boundary
  std::vector<std::string> lines = {Rec(t0, "a"), Rec(t0 + 1, "a"), Rec(t0 + 2, "b"),
                                    Rec(t0 + 10'000, "a")};
  auto rows = RunQuery(q, lines, 1, 2);
  std::vector<std::string> want = {"2026-01-11 14:42:50|a|2", "2026-01-11 14:42:50|b|1",
                                   "2026-01-11 14:43:00|a|1"};
  EXPECT_EQ(rows, want);
}

// Runs `q` over `lines` in batches of two records, one batch per trigger, and returns every
// trigger's report; `stop_after` > 0 stops the engine after that many triggers.
std::vector<TriggerReport> ReportsPerBatch(const BoundQuery& q,
                                           const std::vector<std::string>& lines, OutputMode mode,
                                           std::vector<std::string>* rows = nullptr,
                                           RunCounters* counters = nullptr, int stop_after = 0) {
  VectorSource src(lines, 2);
  CollectSink sink;
  EngineOptions o;
  o.watermark_delay_ms = 5'000;
  o.trigger_ms = 0;
  o.round_batches = 1;
  o.mode = mode;
  Engine e(q, o, src, sink);
  std::vector<TriggerReport> reports;
  e.SetTriggerCallback([&](const TriggerReport& r) {
    reports.push_back(r);
    reports.back().output = nullptr;  // valid during the callback only
    if (static_cast<int>(reports.size()) == stop_after) e.Stop();
  });
  EXPECT_TRUE(e.Run().ok());
  if (rows) *rows = sink.rows;
  if (counters) *counters = e.counters();
  return reports;
}

TEST(EngineTest, TriggerReportsStateChangesWindowInputsAndPartitionOffsets) {
  auto q = WindowedCount();
  const int64_t t0 = 1'768'142'570'000;  // a window boundary
  // One batch of two records per trigger. Trigger 1's t0 + 20s moves the watermark to t0 + 15s,
  // which closes window [t0, t0 + 10s) and its two groups.
  std::vector<std::string> lines = {Rec(t0, "a"),          Rec(t0 + 1, "b"),
                                    Rec(t0 + 2, "a"),      Rec(t0 + 20'000, "a"),
                                    Rec(t0 + 21'000, "b"), Rec(t0 + 21'001, "b")};
  const auto reports = ReportsPerBatch(q, lines, OutputMode::kAppend);
  ASSERT_EQ(reports.size(), 4u);  // three batches, then the end of the input

  const TriggerReport& r0 = reports[0];
  EXPECT_EQ(r0.input_rows, 2);
  EXPECT_EQ(r0.state_changes.updated, 2);
  EXPECT_EQ(r0.state_changes.removed, 0);
  EXPECT_EQ(r0.state_rows, 2);
  ASSERT_EQ(r0.open_windows.size(), 1u);
  EXPECT_EQ(r0.open_windows[0], (WindowSize{t0, 2, 2}));
  ASSERT_EQ(r0.partitions.size(), 1u);
  EXPECT_EQ(r0.partitions[0].start_offset, 0);
  EXPECT_EQ(r0.partitions[0].end_offset, 2);
  EXPECT_EQ(r0.partitions[0].rows, 2);

  const TriggerReport& r1 = reports[1];
  EXPECT_EQ(r1.state_changes.updated, 2);  // a in the first window, a in the third
  EXPECT_EQ(r1.state_changes.removed, 2);  // the first window's a and b
  EXPECT_EQ(r1.state_rows, 1);
  EXPECT_EQ(r1.output_rows, 2);
  ASSERT_EQ(r1.open_windows.size(), 1u);
  EXPECT_EQ(r1.open_windows[0], (WindowSize{t0 + 20'000, 1, 1}));
  EXPECT_EQ(r1.partitions[0].start_offset, 2);
  EXPECT_EQ(r1.partitions[0].end_offset, 4);
  EXPECT_EQ(r1.watermark, t0 + 15'000);

  const TriggerReport& r2 = reports[2];
  EXPECT_EQ(r2.state_changes.updated, 1);  // b twice in the third window: one group
  EXPECT_EQ(r2.open_windows[0], (WindowSize{t0 + 20'000, 2, 3}));

  // The end of the input: no records, every window closes; the watermark shown is the data's.
  const TriggerReport& r3 = reports[3];
  EXPECT_EQ(r3.input_rows, 0);
  EXPECT_EQ(r3.state_changes.removed, 2);
  EXPECT_EQ(r3.state_rows, 0);
  EXPECT_EQ(r3.partitions[0].start_offset, 6);
  EXPECT_EQ(r3.partitions[0].end_offset, 6);
  EXPECT_EQ(r3.watermark, t0 + 21'001 - 5'000);
  for (const auto& r : reports) {
    EXPECT_EQ(r.busy_ns, r.parse_ns + r.aggregate_ns + r.emit_ns + r.sink_ns + r.checkpoint_ns);
  }
}

// A sink slow on one trigger only: that trigger's busy time is mostly its own sink's.
class SlowOnceSink : public CollectSink {
 public:
  explicit SlowOnceSink(int slow_write) : slow_write_(slow_write) {}
  Status Write(const OutputBatch& b) override {
    if (writes_++ == slow_write_) std::this_thread::sleep_for(std::chrono::milliseconds(40));
    return CollectSink::Write(b);
  }

 private:
  int slow_write_;
  int writes_ = 0;
};

TEST(EngineTest, ATriggersIntervalHoldsAllOfItsBusyTimeItsOwnSinkIncluded) {
  auto q = WindowedCount();
  const int64_t t0 = 1'768'142'570'000;
  std::vector<std::string> lines;
  for (int i = 0; i < 8; ++i) lines.push_back(Rec(t0 + i * 1'000, "u" + std::to_string(i % 3)));
  VectorSource src(lines, 2);
  SlowOnceSink sink(/*slow_write=*/2);
  EngineOptions o;
  o.watermark_delay_ms = 5'000;
  o.trigger_ms = 0;
  o.round_batches = 1;
  Engine e(q, o, src, sink);
  std::vector<TriggerReport> reports;
  e.SetTriggerCallback([&](const TriggerReport& r) {
    reports.push_back(r);
    reports.back().output = nullptr;
  });
  ASSERT_TRUE(e.Run().ok());
  ASSERT_EQ(reports.size(), 5u);  // four batches, then the end of the input
  EXPECT_GE(reports[2].sink_ns, 40'000'000);
  for (const auto& r : reports) {
    // Spark's triggerExecution fits in the time since the end of the trigger before: the input rate
    // and the processing rate divide the same rows by the wall time and by the busy part of it.
    EXPECT_LE(r.busy_ns / 1'000'000, r.wall_ms) << "trigger " << r.batch_id;
  }
}

// A live input: one batch per poll, a few milliseconds apart, never at rest.
class TricklingSource : public VectorSource {
 public:
  using VectorSource::VectorSource;
  Status Poll(std::vector<RawBatch>& out, size_t, std::chrono::milliseconds timeout) override {
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(timeout, kEvery));
    return VectorSource::Poll(out, 1, timeout);
  }
  static constexpr std::chrono::milliseconds kEvery{3};
};

// A sink slower than the trigger interval on every write; keeps when each write started and
// ended.
class SlowSink : public CollectSink {
 public:
  explicit SlowSink(std::chrono::milliseconds slow) : slow_(slow) {}
  Status Write(const OutputBatch& b) override {
    starts.push_back(std::chrono::steady_clock::now());
    std::this_thread::sleep_for(slow_);
    ends.push_back(std::chrono::steady_clock::now());
    return CollectSink::Write(b);
  }
  std::vector<std::chrono::steady_clock::time_point> starts;
  std::vector<std::chrono::steady_clock::time_point> ends;

 private:
  std::chrono::milliseconds slow_;
};

// WindowedCount in update mode over `records` records that trickle in one per poll, into `sink`;
// the input rows of each trigger.
std::vector<int64_t> RunIntoSlowSink(int records, EngineOptions o, SlowSink& sink) {
  auto q = WindowedCount();
  const int64_t t0 = 1'768'142'570'000;
  std::vector<std::string> lines;
  for (int i = 0; i < records; ++i) {
    lines.push_back(Rec(t0 + i * 100, "u" + std::to_string(i % 3)));
  }
  TricklingSource src(lines, 1);
  o.watermark_delay_ms = 5'000;
  o.mode = OutputMode::kUpdate;
  Engine e(q, o, src, sink);
  std::vector<int64_t> rows;
  e.SetTriggerCallback([&](const TriggerReport& r) { rows.push_back(r.input_rows); });
  EXPECT_TRUE(e.Run().ok());
  return rows;
}

TEST(EngineTest, ATriggerLongerThanItsIntervalStartsTheNextIntervalWhereItEnded) {
  // Spark starts the next micro-batch at once after a long one, with all the input that arrived
  // meanwhile. Here the next trigger reads for a whole interval first: counted from the slow
  // trigger's start, it would be due after a single batch, and every batch would be a trigger.
  SlowSink sink(std::chrono::milliseconds(60));
  EngineOptions o;
  o.trigger_ms = 30;
  RunIntoSlowSink(60, o, sink);
  ASSERT_GE(sink.starts.size(), 3u);  // two triggers by the schedule at least, then the end
  // The last write is the end of the input's, due whenever the input ends.
  for (size_t k = 1; k + 1 < sink.starts.size(); ++k) {
    EXPECT_GE(sink.starts[k] - sink.ends[k - 1], std::chrono::milliseconds(o.trigger_ms))
        << "trigger " << k;
  }
}

TEST(EngineTest, AfterATriggerLongerThanItsIntervalOneThatReadItsCapIsDueAtOnce) {
  // As Spark starts the next micro-batch at once, with up to maxOffsetsPerTrigger: a trigger
  // that has read its cap does not wait for the interval to pass after a slow one.
  SlowSink sink(std::chrono::milliseconds(150));
  EngineOptions o;
  o.trigger_ms = 100;
  o.max_records_per_trigger = 2;
  // The cap holds; the end of the input has no records left.
  ASSERT_EQ(RunIntoSlowSink(8, o, sink), (std::vector<int64_t>{2, 2, 2, 2, 0}));
  // Two batches arrive about 6 ms after a trigger: the next is due then, well within the 100 ms
  // interval that waiting for the schedule would add after the slow sink.
  for (size_t k = 1; k + 1 < sink.starts.size(); ++k) {
    EXPECT_LT(sink.starts[k] - sink.ends[k - 1], std::chrono::milliseconds(o.trigger_ms))
        << "trigger " << k;
  }
}

TEST(EngineTest, CompleteModeCountsOnlyTheGroupsATriggerChanged) {
  auto q = WindowedCount();
  const int64_t t0 = 1'768'142'570'000;
  std::vector<std::string> lines = {Rec(t0, "a"), Rec(t0 + 1, "b"), Rec(t0 + 2, "a"),
                                    Rec(t0 + 3, "a")};
  const auto reports = ReportsPerBatch(q, lines, OutputMode::kComplete);
  ASSERT_GE(reports.size(), 2u);
  EXPECT_EQ(reports[0].state_changes.updated, 2);
  EXPECT_EQ(reports[1].state_changes.updated, 1);  // only a, although the state holds a and b
  EXPECT_EQ(reports[1].state_changes.removed, 0);
}

TEST(EngineTest, StopWithoutCheckpointEmitsEveryWindowReadSoFar) {
  auto q = WindowedCount();
  const int64_t t0 = 1'768'142'570'000;
  std::vector<std::string> lines = {Rec(t0, "a"), Rec(t0 + 1, "b"), Rec(t0 + 2, "a"),
                                    Rec(t0 + 3, "a")};
  std::vector<std::string> rows;
  RunCounters counters;
  const auto reports = ReportsPerBatch(q, lines, OutputMode::kAppend, &rows, &counters, 1);
  // The window is still open at the stop, yet what was read is emitted, and every record read
  // was in a trigger report; the second batch is never read.
  std::vector<std::string> want = {"2026-01-11 14:42:50|a|1", "2026-01-11 14:42:50|b|1"};
  EXPECT_EQ(rows, want);
  int64_t reported_rows = 0;
  for (const auto& r : reports) reported_rows += r.input_rows;
  EXPECT_EQ(counters.input_records, 2);
  EXPECT_EQ(reported_rows, counters.input_records);
}

TEST(EngineTest, RecordsBehindTheWatermarkOfEarlierBatchesAreLate) {
  auto q = WindowedCount();
  const int64_t t0 = 1'768'142'570'000;
  // Batch 0 moves the watermark to t0 + 30s - 5s; batch 1's record in [t0, t0+10s) is late,
  // but a record in the same batch as the max is not (lateness is judged per batch).
  std::vector<std::string> lines = {Rec(t0, "a"), Rec(t0 + 30'000, "a"), Rec(t0 + 1, "a"),
                                    Rec(t0 + 20'000, "b")};
  RunCounters c;
  auto rows = RunQuery(q, lines, 1, 2, &c);
  EXPECT_EQ(c.late_records, 1);
  EXPECT_EQ(c.input_records, 4);
  std::vector<std::string> want = {"2026-01-11 14:42:50|a|1", "2026-01-11 14:43:10|b|1",
                                   "2026-01-11 14:43:20|a|1"};
  EXPECT_EQ(rows, want);
}

TEST(EngineTest, AWindowEndingExactlyAtTheWatermarkIsClosed) {
  auto q = WindowedCount();
  const int64_t t0 = 1'768'142'570'000;
  // Batch 0 puts the watermark at t0 + 15s - 5s = the end of [t0, t0 + 10s): Spark's rule
  // (window end <= watermark) makes batch 1's record in that window late.
  std::vector<std::string> lines = {Rec(t0 + 15'000, "a"), Rec(t0 + 1, "a")};
  RunCounters c;
  auto rows = RunQuery(q, lines, 1, 1, &c);
  EXPECT_EQ(c.late_records, 1);
  std::vector<std::string> want = {"2026-01-11 14:43:00|a|1"};
  EXPECT_EQ(rows, want);
}

TEST(EngineTest, MalformedRecordsAreCountedAndSkipped) {
  auto q = WindowedCount();
  std::vector<std::string> lines = {
      Rec(1000, "a"),        "not json", R"({"timestamp": "x", "user_id": "a"})",
      R"({"user_id": "a"})", "",         Rec(1001, "a") + " trailing"};
  RunCounters c;
  auto rows = RunQuery(q, lines, 2, 3, &c);
  EXPECT_EQ(c.malformed_records, 4);
  EXPECT_EQ(c.input_records, 5);  // the blank line is not a record
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], "1970-01-01 00:00:00|a|1");
}

TEST(EngineTest, EventTimesOutsideSparksTimestampRangeAreMalformed) {
  auto q = WindowedCount();
  // 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z are the ends of the range; one ms beyond
  // either, and the ends of int64 (whose windows would overflow), are malformed.
  std::vector<std::string> lines = {Rec(-62'135'596'800'000, "a"), Rec(253'402'300'799'999, "b"),
                                    Rec(-62'135'596'800'001, "c"), Rec(253'402'300'800'000, "d"),
                                    Rec(INT64_MAX, "e"),           Rec(INT64_MIN, "f")};
  RunCounters c;
  auto rows = RunQuery(q, lines, 1, 1, &c);
  EXPECT_EQ(c.malformed_records, 4);
  std::vector<std::string> want = {"0001-01-01 00:00:00|a|1", "9999-12-31 23:59:50|b|1"};
  EXPECT_EQ(rows, want);
}

// 20,000 records 10 ms apart in event time, each up to 15 s early (so that many are late), of
// `users` users.
std::vector<std::string> JitteredRecords(uint64_t seed, int users) {
  std::vector<std::string> lines;
  uint64_t x = seed;
  for (int i = 0; i < 20'000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const int64_t jitter = static_cast<int64_t>((x >> 33) % 15'000);
    lines.push_back(Rec(1'000'000 + i * 10 - jitter, "u" + std::to_string((x >> 20) % users)));
  }
  return lines;
}

TEST(EngineTest, SameOutputForAnyThreadCount) {
  auto q = WindowedCount();
  const auto lines = JitteredRecords(7, 37);
  RunCounters c1, c3;
  auto one = RunQuery(q, lines, 1, 1000, &c1);
  auto three = RunQuery(q, lines, 3, 1000, &c3);
  EXPECT_GT(c1.late_records, 0);  // the input does exercise lateness
  EXPECT_EQ(c1.late_records, c3.late_records);
  EXPECT_EQ(one, three);
}

// Without a late sink a tumbling-window count is combined per batch in the workers; with one,
// late rows are written one by one, so rows go to the aggregation step one by one (except in
// complete mode, where nothing is late).
TEST(EngineTest, RowsAreCombinedUnlessALateSinkWantsLateRowsOneByOne) {
  const auto q = WindowedCount();
  for (const OutputMode mode : {OutputMode::kAppend, OutputMode::kUpdate, OutputMode::kComplete}) {
    VectorSource src({}, 1);
    CollectSink sink, late;
    EngineOptions o;
    o.mode = mode;
    Engine e(q, o, src, sink);
    EXPECT_TRUE(e.combining());
    e.SetLateSink(&late);
    // Complete mode keeps every row: nothing is late, nothing to list.
    EXPECT_EQ(e.combining(), mode == OutputMode::kComplete);
  }
}

// Combined or one by one, a run gives the same rows and counts the same late records, in append
// and update mode, with any thread count.
TEST(EngineTest, RowsCombinedPerBatchGiveTheRowsAndLateCountsOfRowsOneByOne) {
  auto q = WindowedCount();
  const auto lines = JitteredRecords(11, 5);
  for (const OutputMode mode : {OutputMode::kAppend, OutputMode::kUpdate}) {
    for (const int threads : {1, 3}) {
      std::vector<std::vector<std::string>> rows;
      std::vector<RunCounters> counters;
      for (const bool late_sink : {false, true}) {
        CollectSink late;
        counters.emplace_back();
        rows.push_back(RunQuery(q, lines, threads, 1'000, &counters.back(), mode,
                                late_sink ? &late : nullptr));
        if (late_sink) {
          EXPECT_EQ(static_cast<int64_t>(late.rows.size()), counters.back().late_rows);
        }
      }
      SCOPED_TRACE("mode " + std::to_string(static_cast<int>(mode)) + ", threads " +
                   std::to_string(threads));
      EXPECT_GT(counters[1].late_records, 100);  // the input does exercise lateness
      EXPECT_EQ(counters[0].late_records, counters[1].late_records);
      EXPECT_EQ(counters[0].late_rows, counters[1].late_rows);
      EXPECT_EQ(rows[0], rows[1]);
    }
  }
}

// A JSON-lines sink in memory; with Formatting::kWorkers it asks for its rows formatted by the
// engine's workers (as the jsonl and Kafka sinks do), else it formats the values itself.
class JsonTextSink : public Sink {
 public:
  enum class Formatting : uint8_t { kSink, kWorkers };
  explicit JsonTextSink(Formatting f) : formatting_(f) {}
  std::unique_ptr<RowFormatter> MakeRowFormatter(
      const std::vector<std::string>& names) const override {
    if (formatting_ == Formatting::kSink) return nullptr;
    return std::make_unique<JsonRowFormatter>(names, TimeZone::Utc(),
                                              JsonRowFormatter::Newline::kYes);
  }
  Status Write(const OutputBatch& b) override {
    EXPECT_EQ(b.preformatted, formatting_ == Formatting::kWorkers);
    if (b.preformatted) {
      text += b.formatted.bytes;
      // The values beside the formatted rows are the batch's first rows.
      EXPECT_LE(b.rows.size(), b.num_rows());
      for (size_t i = 0; i < b.rows.size(); ++i) {
        std::string line;
        AppendJsonObject(line, b.column_names, b.rows[i], TimeZone::Utc());
        EXPECT_EQ(line + "\n", b.formatted.row(i));
      }
      preview_rows += b.rows.size();
    } else {
      for (const auto& row : b.rows) {
        AppendJsonObject(text, b.column_names, row, TimeZone::Utc());
        text += "\n";
      }
    }
    rows += b.num_rows();
    if (b.num_rows() > 0) ++batches;
    return Status::Ok();
  }
  std::string Describe() const override { return "json text"; }
  std::string text;
  size_t rows = 0;
  size_t batches = 0;  // with rows
  size_t preview_rows = 0;

 private:
  Formatting formatting_;
};

// SELECT user_id, timestamp AS t FROM logs WHERE user_id <> 'u3'
BoundQuery Projection() {
  BoundQuery q;
  q.input_fields = {{"timestamp", Type::kInt64}, {"user_id", Type::kString}};
  q.event_time_slot = 0;
  auto where = std::make_unique<Expr>();
  where->kind = ExprKind::kCompare;
  where->compare_op = CompareOp::kNe;
  where->type = Type::kBool;
  where->args.push_back(Column(1, Type::kString));
  auto lit = std::make_unique<Expr>();
  lit->kind = ExprKind::kLiteral;
  lit->type = Type::kString;
  lit->literal = OwnedValue(Value::String("u3"));
  where->args.push_back(std::move(lit));
  q.where = std::move(where);
  q.select.push_back({"user_id", Column(1, Type::kString)});
  q.select.push_back({"t", Column(0, Type::kInt64)});
  return q;
}

JsonTextSink RunProjection(const BoundQuery& q, const std::vector<std::string>& lines, int threads,
                           JsonTextSink::Formatting f, size_t preview = 200) {
  VectorSource src(lines, 7);
  JsonTextSink sink(f);
  EngineOptions o;
  o.threads = threads;
  o.trigger_ms = 0;
  o.result_preview_rows = preview;
  Engine e(q, o, src, sink);
  EXPECT_TRUE(e.Run().ok());
  return sink;
}

// Rows formatted by the worker threads (a projection's in the parallel step, an aggregation's
// on the pool at each trigger) are the bytes the sink would write, for any thread count.
// Returns how many triggers had rows.
size_t ExpectTheWorkersFormatAsTheSink(const BoundQuery& q, const std::vector<std::string>& lines,
                                       size_t want_rows) {
  const JsonTextSink want = RunProjection(q, lines, 1, JsonTextSink::Formatting::kSink);
  EXPECT_EQ(want.rows, want_rows);
  for (int threads : {1, 2, 3}) {
    const JsonTextSink got = RunProjection(q, lines, threads, JsonTextSink::Formatting::kWorkers);
    EXPECT_EQ(got.text, want.text) << threads << " threads";
    EXPECT_EQ(got.rows, want.rows);
    EXPECT_GT(got.preview_rows, 0u);
  }
  // The values kept beside the formatted rows (JsonTextSink checks they are the first ones)
  // stop at the preview's size per trigger.
  const JsonTextSink small = RunProjection(q, lines, 2, JsonTextSink::Formatting::kWorkers, 3);
  EXPECT_EQ(small.text, want.text);
  EXPECT_LT(small.preview_rows, small.rows);
  return want.batches;
}

TEST(EngineTest, AProjectionFormattedByTheWorkersWritesTheSameBytesForAnyThreadCount) {
  std::vector<std::string> lines;
  for (int i = 0; i < 500; ++i) {
    lines.push_back(Rec(1'000'000 + i, "u" + std::to_string(i % 7)));
    if (i % 50 == 0) lines.push_back("not json");
    if (i % 70 == 0) lines.push_back(R"({"timestamp": 5, "user_id": "tab\there \u00e9\"q\""})");
  }
  // Every 7th user is u3, filtered out.
  ExpectTheWorkersFormatAsTheSink(Projection(), lines, 500u - 71u + 8u);
}

TEST(EngineTest, AnAggregationsRowsFormattedOnThePoolAreTheBytesTheSinkWouldWrite) {
  // Two windows of 2,500 groups each: the first closes during the run (the second's records
  // take the watermark, 10 s behind, past its end), the second at the end. Some keys need
  // escaping.
  std::vector<std::string> lines;
  for (int i = 0; i < 12'000; ++i) {
    const std::string user = (i % 5 == 0 ? "q\\\"t\\\\u" : "u") + std::to_string(i % 2'500);
    lines.push_back(Rec(1'000'000 + i / 6'000 * 20'000 + i % 6'000, user));
  }
  EXPECT_EQ(ExpectTheWorkersFormatAsTheSink(WindowedCount(), lines, 5'000), 2U);
  auto ordered = WindowedCount();
  ordered.order_by = {{2, true}, {1, false}};
  ordered.limit = 2'100;  // per trigger
  EXPECT_EQ(ExpectTheWorkersFormatAsTheSink(ordered, lines, 2 * 2'100), 2U);
}

TEST(EngineTest, AProjectionsLimitCountsFormattedRowsOverTheWholeRun) {
  auto q = Projection();
  q.limit = 10;
  std::vector<std::string> lines;
  for (int i = 0; i < 100; ++i) lines.push_back(Rec(1'000 + i, "u" + std::to_string(i % 7)));
  const JsonTextSink want = RunProjection(q, lines, 1, JsonTextSink::Formatting::kSink);
  const JsonTextSink got = RunProjection(q, lines, 2, JsonTextSink::Formatting::kWorkers);
  EXPECT_EQ(want.rows, 10u);
  EXPECT_EQ(got.rows, 10u);
  EXPECT_EQ(got.text, want.text);
}

TEST(EngineTest, CompleteModeKeepsEveryRowAndDropsNothingAsLate) {
  auto q = WindowedCount();
  const int64_t t0 = 1'768'142'570'000;
  std::vector<std::string> lines = {Rec(t0 + 30'000, "a"), Rec(t0, "a")};
  RunCounters c;
  auto rows = RunQuery(q, lines, 1, 1, &c, OutputMode::kComplete);
  EXPECT_EQ(c.late_records, 0);
  // Each trigger repeats the whole table; the last one holds both windows.
  ASSERT_GE(rows.size(), 2u);
  EXPECT_EQ(rows[rows.size() - 2], "2026-01-11 14:42:50|a|1");
  EXPECT_EQ(rows.back(), "2026-01-11 14:43:20|a|1");
}

// Stops the engine from inside the trigger callback after `stop_after` triggers: the Stop path
// must still commit what was read, as Ctrl-C does.
struct Interrupted {
  std::vector<std::string> rows;
  std::optional<EpochRecord> epoch;
};

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-engine-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

// The checkpoint of the test query in `dir`, opened as a restart opens it.
std::unique_ptr<CheckpointStore> OpenTestCheckpoint(const std::string& dir) {
  QueryIdentity id;
  id.parts = {{"query", "windowed count"}};
  auto store = CheckpointStore::Open(dir, id);
  EXPECT_TRUE(store.ok()) << store.status().message();
  return store.ok() ? std::move(*store) : nullptr;
}

std::vector<std::string> RunCheckpointed(const BoundQuery& q, const std::vector<std::string>& lines,
                                         const std::string& dir, int threads, int stop_after,
                                         bool* finished) {
  auto store = OpenTestCheckpoint(dir);
  auto latest = store->LoadLatest();
  EXPECT_TRUE(latest.ok()) << latest.status().message();
  size_t start = 0;
  if (*latest) {
    for (const auto& p : (*latest)->positions) start = static_cast<size_t>(p.next_offset.value);
  }
  VectorSource src(lines, 1000, start);
  CollectSink sink;
  EngineOptions o;
  o.threads = threads;
  o.watermark_delay_ms = 5'000;
  o.trigger_ms = 0;
  o.round_batches = 4;  // several rounds per run
  o.state_partitions = 16;
  o.checkpoint = store.get();
  Engine e(q, o, src, sink);
  EXPECT_TRUE(e.Restore(*latest).ok());
  int triggers = 0;
  e.SetTriggerCallback([&](const TriggerReport&) {
    if (++triggers == stop_after) e.Stop();
  });
  EXPECT_TRUE(e.Run().ok());
  *finished = src.Finished();
  return sink.rows;
}

std::vector<std::string> JitteredLines(int n) {
  std::vector<std::string> lines;
  uint64_t x = 11;
  for (int i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const int64_t jitter = static_cast<int64_t>((x >> 33) % 15'000);
    lines.push_back(Rec(1'000'000 + i * 10 - jitter, "u" + std::to_string((x >> 20) % 53)));
  }
  return lines;
}

TEST(EngineTest, RestartsFromCheckpointsWithOtherThreadCountsGiveTheUninterruptedRows) {
  auto q = WindowedCount();
  const auto lines = JitteredLines(30'000);
  RunCounters whole;
  auto want = RunQuery(q, lines, 2, 1000, &whole);
  ASSERT_GT(whole.late_records, 0);
  const std::string dir = TempDir();
  std::vector<std::string> got;
  bool finished = false;
  const int threads[] = {2, 1, 3, 1, 2, 2, 2, 2, 2, 2};
  for (int run = 0; run < 10 && !finished; ++run) {
    // Each run stops after 2 of its triggers (a round of 4 batches each).
    auto rows = RunCheckpointed(q, lines, dir, threads[run], 2, &finished);
    got.insert(got.end(), rows.begin(), rows.end());
  }
  EXPECT_TRUE(finished);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  std::filesystem::remove_all(dir);
}

// Two partitions: p1 delivers one early record and then nothing; p0 moves on.
class TwoPartitionSource : public Source {
 public:
  explicit TwoPartitionSource(ManualClock* clock) : clock_(clock) {}
  Status Poll(std::vector<RawBatch>& out, size_t, std::chrono::milliseconds) override {
    if (clock_ != nullptr) clock_->Advance(1'000);  // a second of wall time per poll
    RawBatch b;
    if (step_ == 0) {
      b.partition = PartitionId(1);
      b.Add(Rec(0, "p1"));
    } else if (step_ <= 10) {
      b.partition = PartitionId(0);
      b.first_offset = Offset(step_ - 1);
      b.Add(Rec(step_ * 10'000, "p0"));
    } else if (step_ == 11) {
      b.partition = PartitionId(0);
      b.first_offset = Offset(10);
      b.Add(Rec(5'000, "old"));  // late only if p1 stopped holding the watermark back
    } else {
      return Status::Ok();
    }
    b.Seal();
    out.push_back(std::move(b));
    ++step_;
    return Status::Ok();
  }
  bool Finished() const override { return step_ > 11; }
  std::vector<PartitionInfo> Partitions() const override {
    PartitionInfo p0, p1;
    p1.id = PartitionId(1);
    return {p0, p1};
  }
  std::string Describe() const override { return "two partitions"; }

 private:
  ManualClock* clock_;
  int step_ = 0;
};

int64_t LateRecordsWithIdleness(bool clock_moves) {
  ManualClock clock(1'000'000);
  TwoPartitionSource src(clock_moves ? &clock : nullptr);
  CollectSink sink;
  EngineOptions o;
  o.threads = 1;
  o.watermark_delay_ms = 1'000;
  o.idle_timeout_ms = 3'000;
  o.trigger_ms = 0;
  o.clock = &clock;
  const BoundQuery q = WindowedCount();  // the engine borrows it
  Engine e(q, o, src, sink);
  EXPECT_TRUE(e.Run().ok());
  return e.counters().late_records;
}

TEST(EngineTest, AnIdlePartitionStopsHoldingTheWatermarkByTheInjectedClock) {
  EXPECT_EQ(LateRecordsWithIdleness(/*clock_moves=*/true), 1);
  // The same input with the clock standing still: p1 is never idle, nothing is late.
  EXPECT_EQ(LateRecordsWithIdleness(/*clock_moves=*/false), 0);
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// The cuts of `script` from `from` on (per partition), a cut that straddles it shortened.
std::vector<BatchCut> CutsFrom(const std::vector<BatchCut>& script,
                               std::map<int32_t, int64_t> from) {
  std::vector<BatchCut> out;
  for (BatchCut c : script) {
    const int64_t at = from[c.partition.value];
    if (c.end.value <= at) continue;
    c.first = Offset(std::max(c.first.value, at));
    out.push_back(c);
  }
  return out;
}

// Records of two partitions handed out in a scripted order of cuts, as a live Kafka topic read
// at some speed would be: which records form a batch is whatever the script says. Starts at
// the first cut at a checkpoint's positions and takes replayed cuts as a Kafka source does.
class ScriptedSource : public Source {
 public:
  ScriptedSource(const std::vector<std::vector<std::string>>& partitions,
                 std::vector<BatchCut> script, const std::vector<PartitionPosition>& start)
      : partitions_(partitions) {
    std::map<int32_t, int64_t> at;
    for (const auto& p : start) at[p.partition.value] = p.next_offset.value;
    const auto cuts = CutsFrom(script, at);
    script_.assign(cuts.begin(), cuts.end());
  }
  Status Poll(std::vector<RawBatch>& out, size_t max_batches, std::chrono::milliseconds) override {
    for (size_t k = 0; k < max_batches; ++k) {
      std::deque<BatchCut>& from = replay_.empty() ? script_ : replay_;
      if (from.empty()) break;
      const BatchCut c = from.front();
      from.pop_front();
      RawBatch b;
      b.partition = c.partition;
      b.first_offset = c.first;
      for (int64_t o = c.first.value; o < c.end.value; ++o) {
        b.Add(partitions_[static_cast<size_t>(c.partition.value)][static_cast<size_t>(o)]);
      }
      b.Seal();
      handed_out.push_back(c);
      out.push_back(std::move(b));
    }
    return Status::Ok();
  }
  bool ReplayCuts(const std::vector<BatchCut>& cuts) override {
    replay_.assign(cuts.begin(), cuts.end());
    // The script goes on after the replayed batches.
    std::map<int32_t, int64_t> end;
    for (const BatchCut& c : cuts) end[c.partition.value] = c.end.value;
    const auto rest = CutsFrom(std::vector<BatchCut>(script_.begin(), script_.end()), end);
    script_.assign(rest.begin(), rest.end());
    return true;
  }
  bool Finished() const override { return script_.empty() && replay_.empty(); }
  std::vector<PartitionInfo> Partitions() const override {
    PartitionInfo p1;
    p1.id = PartitionId(1);
    return {PartitionInfo{}, p1};
  }
  std::string Describe() const override { return "scripted"; }

  std::vector<BatchCut> handed_out;

 private:
  const std::vector<std::vector<std::string>>& partitions_;
  std::deque<BatchCut> script_;
  std::deque<BatchCut> replay_;
};

// Like a JSON-lines file sink: rows of an epoch become output at its commit; a restart drops
// what the last commit did not cover. Can fail the Prepare of one epoch (a full disk).
class CommitSink : public Sink {
 public:
  Status Write(const OutputBatch& b) override {
    for (const auto& row : b.rows) {
      std::string s = std::to_string(b.batch_id);
      for (const auto& v : row) s += "|" + (v.type == Type::kString ? v.s : std::to_string(v.i));
      pending_.push_back(s);
    }
    return Status::Ok();
  }
  Status Recover(std::string_view) override {
    pending_.clear();
    return Status::Ok();
  }
  Result<std::string> Prepare(int64_t epoch) override {
    if (epoch == fail_at) return Status::IOError("No space left on device");
    return std::string();
  }
  Status Commit(int64_t) override {
    committed.insert(committed.end(), pending_.begin(), pending_.end());
    pending_.clear();
    return Status::Ok();
  }
  std::string Describe() const override { return "commit"; }

  int64_t fail_at = -1;
  std::vector<std::string> committed;

 private:
  std::vector<std::string> pending_;
};

// Cuts each partition into batches of 1..max records, interleaved in a seeded order.
std::vector<BatchCut> RandomCuts(const std::vector<std::vector<std::string>>& parts, uint64_t seed,
                                 int64_t max) {
  std::vector<BatchCut> cuts;
  std::vector<int64_t> next(parts.size(), 0);
  while (true) {
    std::vector<int32_t> open;
    for (size_t p = 0; p < parts.size(); ++p) {
      if (next[p] < static_cast<int64_t>(parts[p].size())) open.push_back(static_cast<int32_t>(p));
    }
    if (open.empty()) return cuts;
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    const int32_t p = open[(seed >> 33) % open.size()];
    const int64_t n = std::min<int64_t>(1 + static_cast<int64_t>((seed >> 20) % max),
                                        static_cast<int64_t>(parts[p].size()) - next[p]);
    cuts.push_back(BatchCut{PartitionId(p), Offset(next[p]), Offset(next[p] + n)});
    next[p] += n;
  }
}

struct ScriptedRun {
  std::vector<std::string> committed;
  std::vector<BatchCut> handed_out;
  bool ok = false;
};

ScriptedRun RunScripted(const BoundQuery& q, const std::vector<std::vector<std::string>>& parts,
                        const std::vector<BatchCut>& script, const std::string& dir,
                        int64_t fail_at = -1, int64_t trigger_ms = 0) {
  auto store = OpenTestCheckpoint(dir);
  auto latest = store->LoadLatest();
  EXPECT_TRUE(latest.ok()) << latest.status().message();
  ScriptedSource src(parts, script,
                     *latest ? (*latest)->positions : std::vector<PartitionPosition>{});
  CommitSink sink;
  sink.fail_at = fail_at;
  EngineOptions o;
  o.threads = 2;
  o.watermark_delay_ms = 3'000;
  o.trigger_ms = trigger_ms;
  o.round_batches = 5;
  o.state_partitions = 8;
  o.checkpoint = store.get();
  Engine e(q, o, src, sink);
  EXPECT_TRUE(e.Restore(*latest).ok());
  ScriptedRun r;
  r.ok = e.Run().ok();
  r.committed = sink.committed;
  r.handed_out = src.handed_out;
  return r;
}

TEST(EngineTest, AnEpochPlannedButNotCommittedIsReplayedWithItsCutsGivingTheSameBytes) {
  auto q = WindowedCount();
  // Two partitions of jittered records: where batches are cut decides which records are late.
  const auto lines = JitteredLines(6'000);
  std::vector<std::vector<std::string>> parts(2);
  for (size_t i = 0; i < lines.size(); ++i) parts[i % 2].push_back(lines[i]);
  const std::vector<BatchCut> x = RandomCuts(parts, 5, 400);
  const std::string ref_dir = TempDir();
  const ScriptedRun want = RunScripted(q, parts, x, ref_dir);
  ASSERT_TRUE(want.ok);
  ASSERT_FALSE(want.committed.empty());

  // The same cuts; epoch 3's commit fails (a full disk) after its round was planned.
  const int64_t k = 3;
  const std::string dir = TempDir();
  const ScriptedRun failed = RunScripted(q, parts, x, dir, k);
  ASSERT_FALSE(failed.ok);
  const std::vector<BatchCut> planned(x.begin() + k * 5, x.begin() + (k + 1) * 5);
  {
    auto plan = OpenTestCheckpoint(dir)->LoadPlan(k);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_EQ(*plan, (std::vector<std::vector<BatchCut>>{planned}));
  }

  // The restarted source would cut the rest otherwise (as a live topic read at another speed):
  // everything after epoch 2 in batches of up to 1,000 records.
  const std::vector<BatchCut> y = RandomCuts(parts, 77, 1'000);
  const ScriptedRun resumed = RunScripted(q, parts, y, dir);
  ASSERT_TRUE(resumed.ok);
  // The recorded cuts are what the restart used first, in their order.
  ASSERT_GE(resumed.handed_out.size(), planned.size());
  EXPECT_EQ(std::vector<BatchCut>(resumed.handed_out.begin(),
                                  resumed.handed_out.begin() + static_cast<long>(planned.size())),
            planned);
  std::vector<std::string> got = failed.committed;
  got.insert(got.end(), resumed.committed.begin(), resumed.committed.end());
  // Byte for byte, epoch numbers included, what an uninterrupted run with those cuts writes:
  // the cuts of x up to epoch 3, then y's.
  std::vector<BatchCut> combined(x.begin(), x.begin() + (k + 1) * 5);
  combined.insert(combined.end(), resumed.handed_out.begin() + static_cast<long>(planned.size()),
                  resumed.handed_out.end());
  const std::string whole_dir = TempDir();
  const ScriptedRun whole = RunScripted(q, parts, combined, whole_dir);
  ASSERT_TRUE(whole.ok);
  EXPECT_EQ(got, whole.committed);

  // The test can fail: without the replay, epoch 3 would have been cut as y cuts it, and the
  // rows differ.
  std::vector<BatchCut> unplanned(x.begin(), x.begin() + k * 5);
  std::map<int32_t, int64_t> committed_end;
  for (const BatchCut& c : unplanned) committed_end[c.partition.value] = c.end.value;
  for (const BatchCut& c : CutsFrom(y, committed_end)) unplanned.push_back(c);
  const std::string other_dir = TempDir();
  EXPECT_NE(RunScripted(q, parts, unplanned, other_dir).committed, whole.committed);

  // With a trigger interval the replayed epoch still ends after its planned round, not when the
  // interval is over (later rounds would join it): its rows are those of the first attempt, as
  // the run with x's cuts wrote them. An epoch of that run that wrote rows, not its last.
  auto epoch_rows = [](const std::vector<std::string>& rows, int64_t epoch) {
    std::vector<std::string> out;
    for (const std::string& row : rows) {
      if (row.rfind(std::to_string(epoch) + "|", 0) == 0) out.push_back(row);
    }
    return out;
  };
  int64_t k2 = 1;
  while (epoch_rows(want.committed, k2).empty()) ++k2;
  ASSERT_LT(static_cast<size_t>(k2 + 1) * 5, x.size());  // rounds of x come after it
  const std::string slow_dir = TempDir();
  ASSERT_FALSE(RunScripted(q, parts, x, slow_dir, k2).ok);
  const ScriptedRun slow = RunScripted(q, parts, y, slow_dir, -1, /*trigger_ms=*/60'000);
  ASSERT_TRUE(slow.ok);
  EXPECT_EQ(epoch_rows(slow.committed, k2), epoch_rows(want.committed, k2));
  for (const auto& d : {ref_dir, dir, whole_dir, other_dir, slow_dir}) {
    std::filesystem::remove_all(d);
  }
}

}  // namespace
}  // namespace sluice
