// Engine behaviour on hand-built queries (no SQL), with a fake source and a collecting sink.
#include "exec/engine.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/time_format.h"

namespace sluice {
namespace {

// Hands out fixed batches of one partition, a few per poll, then finishes.
class VectorSource : public Source {
 public:
  VectorSource(const std::vector<std::string>& lines, size_t batch_size) {
    for (size_t i = 0; i < lines.size(); i += batch_size) {
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

// SELECT window.start, user_id, count(*) FROM logs GROUP BY window(timestamp, '10 seconds'), user_id
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
                                  OutputMode mode = OutputMode::kAppend) {
  VectorSource src(lines, batch_size);
  CollectSink sink;
  EngineOptions o;
  o.threads = threads;
  o.watermark_delay_ms = 5'000;
  o.trigger_ms = 0;
  o.mode = mode;
  Engine e(q, o, src, sink);
  EXPECT_TRUE(e.Run().ok());
  if (counters) *counters = e.counters();
  return sink.rows;
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
  std::vector<std::string> lines = {Rec(1000, "a"), "not json", R"({"timestamp": "x", "user_id": "a"})",
                                    R"({"user_id": "a"})", "", Rec(1001, "a") + " trailing"};
  RunCounters c;
  auto rows = RunQuery(q, lines, 2, 3, &c);
  EXPECT_EQ(c.malformed_records, 4);
  EXPECT_EQ(c.input_records, 5);  // the blank line is not a record
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], "1970-01-01 00:00:00|a|1");
}

TEST(EngineTest, SameOutputForAnyThreadCount) {
  auto q = WindowedCount();
  std::vector<std::string> lines;
  uint64_t x = 7;
  for (int i = 0; i < 20'000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const int64_t jitter = static_cast<int64_t>((x >> 33) % 15'000);
    lines.push_back(Rec(1'000'000 + i * 10 - jitter, "u" + std::to_string((x >> 20) % 37)));
  }
  RunCounters c1, c3;
  auto one = RunQuery(q, lines, 1, 1000, &c1);
  auto three = RunQuery(q, lines, 3, 1000, &c3);
  EXPECT_GT(c1.late_records, 0);  // the input does exercise lateness
  EXPECT_EQ(c1.late_records, c3.late_records);
  EXPECT_EQ(one, three);
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

}  // namespace
}  // namespace sluice
