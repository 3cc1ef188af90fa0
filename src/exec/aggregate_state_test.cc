// AggregateState checkpoint round trips on queries bound by the real binder, fed through the
// real BatchProcessor (so keys and arguments are encoded exactly as the engine encodes them).
#include "exec/aggregate_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "exec/batch_processor.h"
#include "exec/testing/test_query.h"
#include "exec/window_assigner.h"
#include "source/source.h"
#include "sql/binder.h"
#include "sql/schema_parser.h"

namespace sluice {
namespace {

constexpr int64_t kT0 = 1'768'142'570'000;  // a 10-second window boundary

std::unique_ptr<BoundQuery> Compile(std::string_view sql) {
  return CompileForTest(
      sql, ParseSchema("ts BIGINT, s STRING, i BIGINT, d DOUBLE, b BOOLEAN").value(), "ts");
}

// Record n of a deterministic input: 60 s of event time out of order, five strings (one empty,
// one not ASCII), negative and positive numbers, doubles that are never whole numbers.
std::string Record(int n) {
  static const char* const kStrings[] = {"alpha", "beta", "", "gamma \xC3\xA9", "delta"};
  const int64_t ts = kT0 + (static_cast<int64_t>(n) * 7919) % 60'000;
  const int64_t i = (n * 37) % 101 - 20;
  const double d = ((n * 13) % 97) / 8.0 - 5 + 1.0 / 16;
  char buf[256];
  std::snprintf(buf, sizeof(buf), R"({"ts": %lld, "s": "%s", "i": %lld, "d": %.17g, "b": %s})",
                static_cast<long long>(ts), kStrings[n % 5], static_cast<long long>(i), d,
                n % 3 == 0 ? "true" : "false");
  return buf;
}

std::vector<std::string> Records(int from, int to) {
  std::vector<std::string> out;
  for (int n = from; n < to; ++n) out.push_back(Record(n));
  return out;
}

// What the engine does with a batch: parse, key, and accumulate into every window of the row.
void Feed(const BoundQuery& q, AggregateState& state, const std::vector<std::string>& lines) {
  RawBatch batch;
  for (const auto& l : lines) batch.Add(l);
  batch.Seal();
  BatchProcessor processor(q, 1, 1);
  ParsedBatch parsed;
  processor.Process(batch, parsed);
  ASSERT_TRUE(parsed.malformed.empty()) << parsed.malformed[0].reason;
  const Bucket& bucket = parsed.buckets[0];
  for (const KeyedRow& r : bucket.rows) {
    const std::string_view key(bucket.bytes.data() + r.key_offset, r.key_len);
    const char* args = bucket.bytes.data() + r.key_offset + r.key_len;
    if (!q.window) {
      state.Accumulate(kNoWindow, key, args);
    } else {
      ForEachWindow(*q.window, r.event_time,
                    [&](int64_t start) { state.Accumulate(start, key, args); });
    }
  }
}

// Exact text of a value: type, and a double's bits (so -0.0 and NaN payloads count).
std::string Text(const OwnedValue& v) {
  switch (v.type) {
    case Type::kNull:
      return "NULL";
    case Type::kBool:
      return v.b ? "true" : "false";
    case Type::kInt64:
      return "i" + std::to_string(v.i);
    case Type::kTimestamp:
      return "t" + std::to_string(v.i);
    case Type::kDouble: {
      char buf[40];
      std::snprintf(buf, sizeof(buf), "d%g/%016llx", v.d,
                    static_cast<unsigned long long>(std::bit_cast<uint64_t>(v.d)));
      return buf;
    }
    case Type::kString:
      return "'" + v.s + "'";
  }
  return "?";
}

// Rows as sorted text: the order of groups within a window is a hash map's.
std::vector<std::string> Sorted(const std::vector<AggregateRow>& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) {
    std::string s;
    for (const auto& v : row) s += Text(v) + "|";
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> All(const AggregateState& state) {
  std::vector<AggregateRow> rows;
  state.CollectAll(rows);
  return Sorted(rows);
}

std::string Serialized(const AggregateState& state) {
  std::string bytes;
  ByteWriter w(bytes);
  state.Serialize(w);
  return bytes;
}

std::unique_ptr<AggregateState> Restored(const BoundQuery& q, const AggregateState& from) {
  auto restored = std::make_unique<AggregateState>(q);
  const Status st = restored->Deserialize(Serialized(from));
  EXPECT_TRUE(st.ok()) << st.message();
  return restored;
}

// Accumulates `records` rows, restores a copy and checks both hold the same rows.
void ExpectRoundTrip(std::string_view sql, int records = 300) {
  SCOPED_TRACE(sql);
  auto q = Compile(sql);
  ASSERT_NE(q, nullptr);
  AggregateState state(*q);
  Feed(*q, state, Records(0, records));
  ASSERT_GT(state.rows(), 0);
  auto restored = Restored(*q, state);
  EXPECT_EQ(restored->rows(), state.rows());
  EXPECT_EQ(restored->WindowSizes(), state.WindowSizes());
  EXPECT_EQ(All(*restored), All(state));
  // The restored state's keys are encoded as the engine encodes them: new rows for existing
  // groups land in those groups instead of making duplicates.
  Feed(*q, state, Records(records, records + 100));
  Feed(*q, *restored, Records(records, records + 100));
  EXPECT_EQ(restored->rows(), state.rows());
  EXPECT_EQ(All(*restored), All(state));
}

constexpr std::string_view kEveryAggregate =
    "SELECT s, count(*), count(CASE WHEN i > 50 THEN s END), sum(i), sum(d), "
    "min(s), max(s), min(i), max(i), min(d), max(d), "
    "min(CAST(ts AS TIMESTAMP)), max(CAST(ts AS TIMESTAMP)), min(b), max(b), avg(i), avg(d) "
    "FROM t GROUP BY s";

TEST(AggregateStateTest, EveryAggregateSurvivesARoundTrip) { ExpectRoundTrip(kEveryAggregate); }

TEST(AggregateStateTest, RoundTripFeedsTheRealRows) {
  // Guards the round-trip tests against comparing two empty or trivial states.
  auto q = Compile("SELECT count(*), sum(i), min(s), max(d) FROM t");
  AggregateState state(*q);
  Feed(*q, state, Records(0, 300));
  auto restored = Restored(*q, state);
  std::vector<AggregateRow> rows;
  restored->CollectAll(rows);
  ASSERT_EQ(rows.size(), 1u);
  int64_t sum = 0;
  double max_d = -1e300;
  for (int n = 0; n < 300; ++n) {
    sum += (n * 37) % 101 - 20;
    max_d = std::max(max_d, ((n * 13) % 97) / 8.0 - 5 + 1.0 / 16);
  }
  EXPECT_EQ(Text(rows[0][0]), "i300");
  EXPECT_EQ(Text(rows[0][1]), "i" + std::to_string(sum));
  EXPECT_EQ(Text(rows[0][2]), "''");
  EXPECT_EQ(rows[0][3].d, max_d);
}

TEST(AggregateStateTest, NullArgumentsSurviveARoundTrip) {
  // Rows with b false give every aggregate a NULL: that group's sum/min/max/avg are NULL.
  ExpectRoundTrip(
      "SELECT b, count(CASE WHEN b THEN i END), sum(CASE WHEN b THEN i END), "
      "sum(CASE WHEN b THEN d END), min(CASE WHEN b THEN s END), max(CASE WHEN b THEN d END), "
      "avg(CASE WHEN b THEN i END) FROM t GROUP BY b");
}

TEST(AggregateStateTest, AllNullGroupFinalizesToNullAfterRestore) {
  auto q = Compile(
      "SELECT b, count(CASE WHEN b THEN i END), sum(CASE WHEN b THEN i END), "
      "min(CASE WHEN b THEN s END), avg(CASE WHEN b THEN d END) FROM t GROUP BY b");
  AggregateState state(*q);
  Feed(*q, state, Records(0, 30));
  auto restored = Restored(*q, state);
  const std::vector<std::string> rows = All(*restored);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "false|i0|NULL|NULL|NULL|");
  EXPECT_EQ(rows[0], All(state)[0]);
}

TEST(AggregateStateTest, GroupKeysOfEveryTypeSurviveARoundTrip) {
  ExpectRoundTrip(
      "SELECT s, i, d, b, count(*), sum(d) FROM t "
      "GROUP BY s, i, d, b, CASE WHEN b THEN s END, CAST(ts AS TIMESTAMP)");
}

TEST(AggregateStateTest, NullGroupKeysSurviveARoundTrip) {
  ExpectRoundTrip(
      "SELECT count(*), max(s) FROM t GROUP BY CASE WHEN b THEN s END, CASE WHEN i > 0 THEN i END, "
      "CASE WHEN i > 10 THEN d END, CASE WHEN i > 20 THEN b END");
}

TEST(AggregateStateTest, TumblingWindowSurvivesARoundTrip) {
  ExpectRoundTrip(
      "SELECT window.start, s, count(*), sum(i), avg(d), min(s) FROM t "
      "GROUP BY window(ts, '10 seconds'), s");
}

TEST(AggregateStateTest, SlidingWindowSurvivesARoundTrip) {
  ExpectRoundTrip(
      "SELECT window.start, s, count(*), sum(d), max(i), max(s) FROM t "
      "GROUP BY window(ts, '10 seconds', '5 seconds'), s");
}

TEST(AggregateStateTest, WindowWithoutGroupKeysSurvivesARoundTrip) {
  ExpectRoundTrip(
      "SELECT window.start, count(*), sum(i) FROM t "
      "GROUP BY window(ts, '10 seconds', '5 seconds')");
}

TEST(AggregateStateTest, EmptyStateRoundTrips) {
  auto q = Compile(kEveryAggregate);
  AggregateState state(*q);
  auto restored = Restored(*q, state);
  EXPECT_EQ(restored->rows(), 0);
  EXPECT_TRUE(All(*restored).empty());
}

TEST(AggregateStateTest, DeserializeReplacesWhatTheStateHeld) {
  auto q = Compile("SELECT window.start, s, count(*) FROM t GROUP BY window(ts, '10 seconds'), s");
  AggregateState small(*q);
  Feed(*q, small, Records(0, 7));
  AggregateState big(*q);
  Feed(*q, big, Records(100, 400));
  ASSERT_TRUE(big.Deserialize(Serialized(small)).ok());
  EXPECT_EQ(big.rows(), small.rows());
  EXPECT_EQ(All(big), All(small));
}

TEST(AggregateStateTest, ClosedWindowsAfterRestoreAreTheSame) {
  auto q = Compile(
      "SELECT window.start, s, count(*), sum(i), min(d) FROM t "
      "GROUP BY window(ts, '10 seconds', '5 seconds'), s");
  AggregateState state(*q);
  Feed(*q, state, Records(0, 300));
  auto restored = Restored(*q, state);
  for (int64_t watermark : {kT0 + 20'000, kT0 + 42'000, kMaxTime}) {
    std::vector<AggregateRow> a, b;
    state.TakeClosed(watermark, a);
    restored->TakeClosed(watermark, b);
    EXPECT_FALSE(a.empty()) << watermark;
    EXPECT_EQ(Sorted(b), Sorted(a)) << watermark;
    EXPECT_EQ(restored->rows(), state.rows());
    EXPECT_EQ(All(*restored), All(state));
  }
  EXPECT_EQ(restored->rows(), 0);
}

TEST(AggregateStateTest, UpdateModeDirtyFlagsSurviveARoundTrip) {
  auto q = Compile(
      "SELECT window.start, s, count(*), sum(i) FROM t "
      "GROUP BY window(ts, '10 seconds'), s");
  AggregateState state(*q);
  Feed(*q, state, Records(0, 300));
  std::vector<AggregateRow> first;
  state.TakeUpdated(kT0 - 1, first);  // every group emitted once; nothing closes
  ASSERT_EQ(static_cast<int64_t>(first.size()), state.rows());
  Feed(*q, state, Records(300, 304));  // touches only a few groups

  auto restored = Restored(*q, state);
  std::vector<AggregateRow> a, b;
  state.TakeUpdated(kT0 - 1, a);
  restored->TakeUpdated(kT0 - 1, b);
  EXPECT_FALSE(a.empty());
  EXPECT_LT(static_cast<int64_t>(a.size()), state.rows());
  EXPECT_EQ(Sorted(b), Sorted(a));

  // Nothing is dirty any more on either side.
  a.clear();
  b.clear();
  state.TakeUpdated(kT0 - 1, a);
  restored->TakeUpdated(kT0 - 1, b);
  EXPECT_TRUE(a.empty());
  EXPECT_TRUE(b.empty());
}

TEST(AggregateStateTest, CleanStateRestoresClean) {
  auto q = Compile("SELECT s, count(*) FROM t GROUP BY s");
  AggregateState state(*q);
  Feed(*q, state, Records(0, 50));
  std::vector<AggregateRow> rows;
  state.TakeUpdated(kMinTime, rows);
  auto restored = Restored(*q, state);
  rows.clear();
  restored->TakeUpdated(kMinTime, rows);
  EXPECT_TRUE(rows.empty());
}

TEST(AggregateStateTest, RestoreMarksTheStateChanged) {
  auto q = Compile("SELECT s, count(*) FROM t GROUP BY s");
  AggregateState state(*q);
  Feed(*q, state, Records(0, 10));
  AggregateState restored(*q);
  restored.ClearChanged();
  ASSERT_TRUE(restored.Deserialize(Serialized(state)).ok());
  EXPECT_TRUE(restored.changed());
}

// A small state with every kind of value in it, for the damage tests.
constexpr std::string_view kDamageQuery =
    "SELECT window.start, s, count(*), count(CASE WHEN b THEN i END), sum(i), sum(d), min(s), "
    "max(d), avg(i) FROM t GROUP BY window(ts, '10 seconds', '5 seconds'), s, b";

// Uses a state that decoded from damaged bytes in every way the engine would.
void Exercise(const BoundQuery& q, AggregateState& state) {
  std::vector<AggregateRow> rows;
  state.CollectAll(rows);
  EXPECT_EQ(state.rows(), static_cast<int64_t>(rows.size()));
  (void)Serialized(state);
  (void)state.bytes();
  (void)state.WindowSizes();
  Feed(q, state, Records(0, 6));
  state.TakeUpdated(kT0 + 10'000, rows);
  state.TakeClosed(kMaxTime, rows);
  EXPECT_EQ(state.rows(), 0);
}

TEST(AggregateStateTest, TruncatedStateIsCorruptionAtEveryLength) {
  auto q = Compile(kDamageQuery);
  AggregateState source(*q);
  Feed(*q, source, Records(0, 6));
  const std::string bytes = Serialized(source);
  ASSERT_GT(bytes.size(), 100u);
  for (size_t len = 0; len < bytes.size(); ++len) {
    AggregateState state(*q);
    Feed(*q, state, Records(10, 12));  // a truncated restore must not leave half a state
    const Status st = state.Deserialize(std::string_view(bytes).substr(0, len));
    ASSERT_FALSE(st.ok()) << "prefix of " << len << " bytes decoded";
    EXPECT_EQ(st.code(), StatusCode::kCorruption);
    EXPECT_EQ(state.rows(), 0);
    EXPECT_TRUE(All(state).empty());
    Exercise(*q, state);
  }
}

TEST(AggregateStateTest, ExtraBytesAfterTheStateAreCorruption) {
  auto q = Compile(kDamageQuery);
  AggregateState source(*q);
  Feed(*q, source, Records(0, 6));
  AggregateState state(*q);
  const Status st = state.Deserialize(Serialized(source) + std::string(1, '\0'));
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
}

TEST(AggregateStateTest, FlippedBytesGiveCorruptionOrAUsableState) {
  auto q = Compile(kDamageQuery);
  AggregateState source(*q);
  Feed(*q, source, Records(0, 6));
  const std::string bytes = Serialized(source);
  int refused = 0;
  for (size_t at = 0; at < bytes.size(); ++at) {
    for (unsigned mask : {0x01u, 0x80u, 0xFFu}) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(static_cast<unsigned char>(damaged[at]) ^ mask);
      AggregateState state(*q);
      const Status st = state.Deserialize(damaged);
      if (!st.ok()) {
        ++refused;
        EXPECT_EQ(st.code(), StatusCode::kCorruption);
        EXPECT_EQ(state.rows(), 0);
      }
      Exercise(*q, state);
    }
  }
  EXPECT_GT(refused, 0);
}

TEST(AggregateStateTest, AWindowWrittenTwiceIsCorruption) {
  // Serialize writes each window once; merging a repeated one used to count its rows twice.
  auto q = Compile("SELECT s, count(*) FROM t GROUP BY s");
  std::string bytes;
  ByteWriter w(bytes);
  w.Varint(2);  // two windows, both kNoWindow
  for (const char* key : {"a", "b"}) {
    w.I64(kNoWindow);
    w.Varint(1);  // one group
    w.U8(static_cast<uint8_t>(Type::kString));
    w.Bytes(key);
    w.U8(1);   // dirty
    w.I64(1);  // count(*)
  }
  AggregateState state(*q);
  EXPECT_EQ(state.Deserialize(bytes).code(), StatusCode::kCorruption);
  EXPECT_EQ(state.rows(), 0);
}

// Disabled: fails today. Deserialize accepts any window start, so a damaged start near INT64_MAX
// decodes "OK" and MakeRow / TakeClosed then overflow start + size (undefined behaviour; UBSan
// stops at aggregate_state.cc MakeRow). Enable once Deserialize checks window starts.
TEST(AggregateStateTest, WindowStartAtTheEndOfTimeIsCorruption) {
  auto q = Compile("SELECT window.start, s, count(*) FROM t GROUP BY window(ts, '10 seconds'), s");
  std::string bytes;
  ByteWriter w(bytes);
  w.Varint(1);
  w.I64(INT64_MAX - 5);  // a window start no event time can have
  w.Varint(1);
  w.U8(static_cast<uint8_t>(Type::kString));
  w.Bytes("a");
  w.U8(1);
  w.I64(1);
  AggregateState state(*q);
  EXPECT_EQ(state.Deserialize(bytes).code(), StatusCode::kCorruption);
}

TEST(AggregateStateTest, HugeCountsAreRefusedWithoutAllocating) {
  auto q = Compile(kDamageQuery);
  std::string bytes;
  ByteWriter w(bytes);
  w.Varint(1);  // one window
  w.I64(kT0);
  w.Varint(uint64_t{1} << 60);  // of 2^60 groups
  bytes.append(64, '\0');
  AggregateState state(*q);
  EXPECT_EQ(state.Deserialize(bytes).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(AggregateStateTest, TakeAppendsOnlyTheRowsItsFilterKeepsAndForgetsTheRestAllTheSame) {
  // What HAVING keeps is filtered as the rows are taken: the same rows as filtering all of them
  // afterwards, in every mode, and a state taken with a filter ends as one taken without.
  auto q = Compile(
      "SELECT window.start, s, count(*) AS n, min(s) FROM t GROUP BY window(ts, '10 seconds'), s");
  ASSERT_NE(q, nullptr);
  // Keeps the groups of an odd count: about half, and rows of every window. Or asks strings: the
  // group key (read from the state's key) before "c" and min(s) (an aggregate's result) equal to
  // it, as it always is: three groups of five in every window.
  const RowFilter odd = [](const Value* row) { return row[3].i % 2 == 1; };
  const RowFilter strings = [](const Value* row) {
    return row[2].s < std::string_view("c") && row[4].s == row[2].s;
  };
  for (const auto& [mode, keep] : {std::pair{OutputMode::kAppend, odd},
                                   {OutputMode::kUpdate, odd},
                                   {OutputMode::kComplete, odd},
                                   {OutputMode::kAppend, strings},
                                   {OutputMode::kComplete, strings}}) {
    SCOPED_TRACE(static_cast<int>(mode));
    AggregateState filtered(*q);
    AggregateState whole(*q);
    for (AggregateState* s : {&filtered, &whole}) Feed(*q, *s, Records(0, 400));
    size_t kept_rows = 0;
    size_t dropped_rows = 0;
    for (int64_t watermark : {kT0 + 20'000, kT0 + 20'000, kMaxTime}) {
      std::vector<AggregateRow> kept;
      std::vector<AggregateRow> all;
      filtered.Take(mode, watermark, kept, keep);
      whole.Take(mode, watermark, all);
      std::vector<AggregateRow> expected;
      for (auto& row : all) {
        std::vector<Value> view;
        ViewRow(row, view);
        if (keep(view.data())) expected.push_back(std::move(row));
      }
      EXPECT_EQ(Sorted(kept), Sorted(expected)) << watermark;
      EXPECT_EQ(filtered.rows(), whole.rows());
      EXPECT_EQ(All(filtered), All(whole));
      kept_rows += kept.size();
      dropped_rows += all.size() - kept.size();
    }
    EXPECT_GT(kept_rows, 10U);
    EXPECT_GT(dropped_rows, 10U);
  }
}

// The exchange of group mode: partial states of disjoint parts of the input, serialized and
// merged into one state, equal the state of the whole input, for every aggregate.
TEST(AggregateStateMergeTest, MergedPartialsEqualTheWholeInput) {
  for (std::string_view sql :
       {kEveryAggregate,
        std::string_view("SELECT window.start, s, count(*), sum(d), min(i), avg(i) FROM t "
                         "GROUP BY window(ts, '10 seconds', '5 seconds'), s")}) {
    SCOPED_TRACE(sql);
    auto q = Compile(sql);
    AggregateState whole(*q), merged(*q);
    Feed(*q, whole, Records(0, 900));
    for (int part = 0; part < 3; ++part) {
      AggregateState partial(*q);
      Feed(*q, partial, Records(part * 300, part * 300 + 300));
      AggregateState received(*q);  // as a shard gets it: through the serialized form
      ASSERT_TRUE(received.Deserialize(Serialized(partial)).ok());
      int64_t late_groups = 0, late_rows = 0;
      merged.MergeFrom(received, kMinTime, &late_groups, &late_rows);
      EXPECT_EQ(late_groups, 0);
      EXPECT_EQ(late_rows, 0);
    }
    EXPECT_EQ(All(merged), All(whole));
    EXPECT_EQ(merged.rows(), whole.rows());
  }
}

TEST(AggregateStateMergeTest, GroupsOfClosedWindowsAreLateAndCountTheirRows) {
  auto q = Compile("SELECT window.start, s, count(*) FROM t GROUP BY window(ts, '10 seconds'), s");
  AggregateState partial(*q), merged(*q);
  Feed(*q, partial, Records(0, 600));  // 60 s of event time from kT0: six windows
  int64_t late_groups = 0, late_rows = 0;
  // Windows ending at or before kT0 + 20 s are closed: the first two.
  merged.MergeFrom(partial, kT0 + 20'000, &late_groups, &late_rows);
  std::vector<AggregateRow> before;
  partial.CollectAll(before);
  int64_t want_groups = 0, want_rows = 0;
  for (const auto& row : before) {
    if (row[0].i + 10'000 <= kT0 + 20'000) {
      ++want_groups;
      want_rows += row[3].i;  // [window start, window end, s, count(*)]
    }
  }
  EXPECT_GT(want_groups, 0);
  EXPECT_EQ(late_groups, want_groups);
  EXPECT_EQ(late_rows, want_rows);  // count(*) of a group = the input rows folded into it
  EXPECT_EQ(merged.rows(), partial.rows() - want_groups);
}

// Map-side combining: each batch's rows folded per (window, key) by the BatchProcessor, then
// into the state with Combine, give the state of the rows folded one by one.
TEST(AggregateStateCombineTest, BatchesCombinedGiveTheStateOfTheirRows) {
  for (std::string_view sql :
       {std::string_view("SELECT s, count(*), count(CASE WHEN i > 50 THEN s END), sum(i), min(s), "
                         "max(s), min(i), max(i), min(d), max(d), min(CAST(ts AS TIMESTAMP)), "
                         "max(CAST(ts AS TIMESTAMP)), min(b), max(b), avg(i), "
                         "min(CASE WHEN i > 78 THEN d END) FROM t GROUP BY s"),
        std::string_view("SELECT window.start, s, count(*), sum(i), min(d), max(s) FROM t "
                         "GROUP BY window(ts, '10 seconds'), s"),
        std::string_view("SELECT count(*), sum(i), max(d) FROM t")}) {
    SCOPED_TRACE(sql);
    auto q = Compile(sql);
    ASSERT_NE(q, nullptr);
    ASSERT_TRUE(BatchProcessor::CanCombine(*q));
    AggregateState by_row(*q), combined(*q);
    Feed(*q, by_row, Records(0, 1'000));
    BatchProcessor processor(*q, 2, 16);
    processor.SetCombining(true);
    for (int from = 0; from < 1'000; from += 250) {
      RawBatch batch;
      for (const auto& l : Records(from, from + 250)) batch.Add(l);
      batch.Seal();
      ParsedBatch parsed;
      processor.Process(batch, parsed);
      size_t groups = 0;
      int64_t rows = 0;
      for (const Bucket& bucket : parsed.buckets) {
        EXPECT_TRUE(bucket.rows.empty());
        ASSERT_EQ(bucket.accs.size(), bucket.groups.size() * q->aggregates.size());
        for (size_t g = 0; g < bucket.groups.size(); ++g) {
          const PartialGroup& p = bucket.groups[g];
          rows += p.rows;
          combined.Combine(p.window_start,
                           std::string_view(bucket.bytes.data() + p.key_offset, p.key_len),
                           bucket.accs.data() + g * q->aggregates.size(), p.rows);
        }
        groups += bucket.groups.size();
      }
      EXPECT_EQ(rows, 250);    // every row in one group
      EXPECT_LT(groups, 50u);  // and far fewer groups than rows
    }
    EXPECT_EQ(All(combined), All(by_row));
    EXPECT_EQ(combined.rows(), by_row.rows());
    EXPECT_EQ(combined.WindowSizes(), by_row.WindowSizes());
    // What update mode emits (the groups marked changed) and what a trigger reports.
    std::vector<AggregateRow> updated_combined, updated_by_row;
    combined.TakeUpdated(kMinTime, updated_combined);
    by_row.TakeUpdated(kMinTime, updated_by_row);
    EXPECT_EQ(Sorted(updated_combined), Sorted(updated_by_row));
    EXPECT_EQ(updated_combined.size(), All(by_row).size());
    const StateChanges a = combined.TakeChanges(), b = by_row.TakeChanges();
    EXPECT_EQ(a.updated, b.updated);
    EXPECT_EQ(a.removed, b.removed);
  }
}

// Combining must not change a result: a double sum would round differently per batch, and a
// sliding window's rows of one group could be late in some windows and not in others.
TEST(AggregateStateCombineTest, OnlyQueriesWhoseResultCannotChangeAreCombined) {
  const std::pair<std::string_view, bool> cases[] = {
      {"SELECT s, count(*), min(d), max(d), sum(i), avg(i) FROM t GROUP BY s", true},
      {"SELECT count(*) FROM t", true},
      {"SELECT window.start, count(*) FROM t GROUP BY window(ts, '10 seconds')", true},
      {"SELECT s, sum(d) FROM t GROUP BY s", false},
      {"SELECT s, avg(d) FROM t GROUP BY s", false},
      {"SELECT s, sum(i * 0.5) FROM t GROUP BY s", false},
      {"SELECT window.start, count(*) FROM t GROUP BY window(ts, '10 seconds', '5 seconds')",
       false},
      {"SELECT s, i FROM t", false},
  };
  for (const auto& [sql, combinable] : cases) {
    auto q = Compile(sql);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(BatchProcessor::CanCombine(*q), combinable) << sql;
  }
}

}  // namespace
}  // namespace sluice
