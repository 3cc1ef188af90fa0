// ResultBuilder's natural order on queries bound by the real binder: the sort that compares
// words of each row's first columns before the rows must give what NaturalLess gives, whatever
// the values (NULLs, negative and extreme integers, strings that share long prefixes, hold zero
// bytes or bytes outside ASCII), and the projection done in ranges must give FromSorted's rows.
#include "exec/result_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "exec/testing/test_query.h"
#include "sql/binder.h"
#include "sql/schema_parser.h"

namespace sluice {
namespace {

std::unique_ptr<BoundQuery> Compile(std::string_view sql) {
  return CompileForTest(
      sql, ParseSchema("ts BIGINT, s STRING, t STRING, i BIGINT, d DOUBLE").value(), "ts");
}

// A value of `type` drawn from a small pool, so that many rows share a window start or a
// prefix; one in ten is NULL.
OwnedValue RandomValue(Type type, std::mt19937_64& rng) {
  if (rng() % 10 == 0) return OwnedValue(Value::Null());
  switch (type) {
    case Type::kString: {
      static const char* const kStems[] = {"",
                                           "user_1",
                                           "user_12",
                                           "user_123456789012",
                                           "user_1234567890123",
                                           "user_12345678901234567",
                                           "\xC3\xA9t\xC3\xA9",
                                           "\x7F",
                                           "\x80"};
      std::string s = kStems[rng() % std::size(kStems)];
      const size_t extra = rng() % 4;
      for (size_t i = 0; i < extra; ++i) s.push_back("\0a\xFFz"[rng() % 4]);
      return OwnedValue(Value::String(s));
    }
    case Type::kDouble:
      return OwnedValue(Value::Double(static_cast<double>(rng() % 7) - 3.5));
    default: {
      static const int64_t kInts[] = {std::numeric_limits<int64_t>::min(),
                                      std::numeric_limits<int64_t>::min() + 1,
                                      -1,
                                      0,
                                      1,
                                      255,
                                      256,
                                      std::numeric_limits<int64_t>::max()};
      const int64_t v = kInts[rng() % std::size(kInts)];
      return OwnedValue(type == Type::kTimestamp ? Value::Timestamp(v) : Value::Int(v));
    }
  }
}

// What an aggregate's take leaves to FromSorted: the rows HAVING keeps, in natural order.
void KeepAndSort(const ResultBuilder& builder, std::vector<AggregateRow>& rows) {
  if (const RowFilter keep = builder.HavingFilter()) {
    std::erase_if(rows, [&](const AggregateRow& r) {
      std::vector<Value> view;
      ViewRow(r, view);
      return !keep(view.data());
    });
  }
  builder.SortKept(rows);
}

// `n` aggregate rows of q; the last group key is the row's number, so no two are equal in
// natural order.
std::vector<AggregateRow> RandomRows(const BoundQuery& q, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<AggregateRow> rows;
  for (size_t r = 0; r < n; ++r) {
    AggregateRow row;
    if (q.window) {
      // Without keys, a start per row; with them, five starts for all.
      const uint64_t slot = q.group_keys.empty() ? (r * 7919) % n : rng() % 5;
      const int64_t start = static_cast<int64_t>(slot) * 10'000 - 20'000;
      row.emplace_back(Value::Timestamp(start));
      row.emplace_back(Value::Timestamp(start + q.window->size_ms));
    }
    for (size_t k = 0; k < q.group_keys.size(); ++k) {
      if (k + 1 == q.group_keys.size()) {
        row.emplace_back(Value::Int(static_cast<int64_t>(r)));
      } else {
        row.push_back(RandomValue(q.group_keys[k]->type, rng));
      }
    }
    for (size_t a = 0; a < q.aggregates.size(); ++a) row.emplace_back(Value::Int(1));
    rows.push_back(std::move(row));
  }
  return rows;
}

// The row's values as text, to compare rows as wholes.
std::string Show(const std::vector<OwnedValue>& row) {
  std::string out;
  for (const OwnedValue& v : row) {
    out += std::to_string(static_cast<int>(v.type)) + ":" + std::to_string(v.i) + ":" +
           std::to_string(v.d) + ":" + v.s + "|";
  }
  return out;
}

TEST(ResultBuilderTest, SortGivesTheNaturalOrderWhateverTheValues) {
  const char* const kQueries[] = {
      // A window, then a string key: the start, then 16 bytes of the key, then the rows.
      "SELECT s, i, count(*) FROM logs GROUP BY window(ts, '10 seconds'), s, i",
      // A window, then an integer key.
      "SELECT count(*) FROM logs GROUP BY window(ts, '10 seconds'), i, s, i + 1",
      // No window: a string key, then an integer one.
      "SELECT s, count(*) FROM logs GROUP BY s, i",
      // No window: an integer key first.
      "SELECT count(*) FROM logs GROUP BY i, s, t, i * 2",
      // A double key first: no words, the rows alone.
      "SELECT count(*) FROM logs GROUP BY d, i",
      // Only a window.
      "SELECT count(*) FROM logs GROUP BY window(ts, '10 seconds')",
  };
  for (const char* sql : kQueries) {
    auto q = Compile(sql);
    ASSERT_NE(q, nullptr);
    ResultBuilder builder(*q);
    for (const size_t n : {5, 63, 64, 3000}) {
      for (uint64_t seed = 1; seed <= 3; ++seed) {
        std::vector<AggregateRow> rows = RandomRows(*q, n, seed);
        std::vector<AggregateRow> expected = rows;
        std::sort(expected.begin(), expected.end(),
                  [&](const AggregateRow& a, const AggregateRow& b) {
                    return builder.NaturalLess(a, b);
                  });
        KeepAndSort(builder, rows);
        ASSERT_EQ(rows.size(), expected.size()) << sql;
        for (size_t i = 0; i < rows.size(); ++i) {
          ASSERT_EQ(Show(rows[i]), Show(expected[i]))
              << sql << "\nn " << n << " seed " << seed << ", row " << i;
        }
      }
    }
  }
}

TEST(ResultBuilderTest, RowsProjectedInRangesAreTheRowsProjectedAtOnce) {
  auto q = Compile(
      "SELECT window.start AS ws, upper(s) AS u, count(*) AS c FROM logs GROUP BY window(ts, "
      "'10 seconds'), s, i HAVING count(*) > 0 ORDER BY u DESC LIMIT 500");
  ASSERT_NE(q, nullptr);
  ResultBuilder builder(*q);
  std::vector<AggregateRow> rows = RandomRows(*q, 2000, 7);
  KeepAndSort(builder, rows);

  std::vector<AggregateRow> copy = rows;
  OutputBatch at_once;
  builder.FromSorted(copy, at_once);

  ResultBuilder::Projected projected(rows.size());
  const size_t cuts[] = {0, 1, 700, 1999, 2000};
  for (size_t c = 0; c + 1 < std::size(cuts); ++c) {
    Arena own;
    builder.Project(rows, cuts[c], cuts[c + 1], projected, own);
  }
  OutputBatch in_ranges;
  builder.Finish(projected, in_ranges);

  ASSERT_EQ(at_once.rows.size(), 500u);
  ASSERT_EQ(in_ranges.rows.size(), at_once.rows.size());
  EXPECT_EQ(in_ranges.keys, at_once.keys);
  for (size_t i = 0; i < at_once.rows.size(); ++i) {
    EXPECT_EQ(Show(in_ranges.rows[i]), Show(at_once.rows[i])) << "row " << i;
  }
}

}  // namespace
}  // namespace sluice
