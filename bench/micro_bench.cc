// Google Benchmark suite for the hot pieces of the pipeline, to catch regressions of each one
// apart from the others: parse + validate a batch, the WHERE of Q2, aggregate updates, state
// serialization. Inputs are the built-in generator's records (docs/generator.md), fixed seed.
//
//   cmake --build build --target micro_bench && build/micro_bench
//
// Timing is never a pass/fail criterion: bench/ scripts compare ratios against peers.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "common/arena.h"
#include "common/bytes.h"
#include "exec/aggregate_state.h"
#include "exec/batch_processor.h"
#include "exec/evaluator.h"
#include "format/record_parser.h"
#include "format/row_codec.h"
#include "format/row_formatter.h"
#include "gen/generator.h"
#include "sql/binder.h"

namespace sluice {
namespace {

constexpr const char* kQ2 =
    "SELECT window.start, user_id, count(*) AS c FROM logs WHERE lower(content) LIKE '%crash%' "
    "AND severity IN ('High', 'Critical') GROUP BY window(timestamp, '10 seconds'), user_id "
    "HAVING count(*) > 2";
constexpr const char* kQ1 =
    "SELECT source_ip, count(*) AS c FROM logs WHERE lower(content) LIKE '%vulnerability%' AND "
    "severity = 'High' GROUP BY source_ip";

BoundQuery Compile(const char* sql) {
  auto q = CompileQuery(sql, BindOptions{});
  if (!q.ok()) std::abort();
  return std::move(q).value();
}

// kBatches batches of kMaxBatchRecords generated records each, as a file source cuts them. The
// parsing benchmarks go round all of them: with one batch over and over, the CPU's branch
// predictor learns its records by heart, and the data-dependent branches of parsing (how many
// quotes a block has, where a candidate of the prefilter's text is) look free when they are not.
// 32 batches (51 MB) are also more than the L3 cache holds, as a real input is.
constexpr size_t kBatches = 32;
const std::vector<RawBatch>& GeneratedBatches() {
  static const std::vector<RawBatch> batches = [] {
    GeneratorOptions o;
    o.start_ms = 1'769'538'590'000;
    o.seed = 42;
    Generator gen(o);
    std::vector<RawBatch> out(kBatches);
    for (RawBatch& b : out) {
      std::string lines;
      gen.Next(kMaxBatchRecords, lines);
      size_t pos = 0;
      while (pos < lines.size()) {
        const size_t nl = lines.find('\n', pos);
        b.Add(std::string_view(lines).substr(pos, nl - pos + 1));
        pos = nl + 1;
      }
      b.Seal();
    }
    return out;
  }();
  return batches;
}
const RawBatch& GeneratedBatch() { return GeneratedBatches()[0]; }

// Items and bytes of `state.iterations()` batches, the k-th being batches[k % size].
void SetBytes(benchmark::State& state, const std::vector<RawBatch>& batches) {
  int64_t items = 0;
  int64_t bytes = 0;
  for (int64_t k = 0; k < state.iterations(); ++k) {
    const RawBatch& b = batches[static_cast<size_t>(k) % batches.size()];
    items += static_cast<int64_t>(b.size());
    bytes += static_cast<int64_t>(b.starts.back());
  }
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(bytes);
}
void SetBytes(benchmark::State& state, const RawBatch& b) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(b.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(b.starts.back()));
}

// Parse + full JSON validation of every record, reading Q2's fields: the way the engine does it
// (kRuns: indexed a run of records at a time, then walked record by record), record by record
// (kRecords: RecordParser::Parse), only indexed (kIndexOnly), and through simdjson alone (what
// the scanner is measured against). The avx2 captures: without the AVX-512 index, as on a CPU
// without it.
enum class ParseMode { kRuns, kRecords, kIndexOnly };

void BM_ParseValidate(benchmark::State& state, RecordParser::Path path, ParseMode mode) {
  const BoundQuery q = Compile(kQ2);
  const std::vector<RawBatch>& batches = GeneratedBatches();
  RecordParser parser(q.input_fields, path);
  std::vector<Value> row(q.input_fields.size());
  size_t next = 0;
  for (auto _ : state) {
    const RawBatch& b = batches[next++ % batches.size()];
    int bad = 0;
    for (size_t i = 0; i < b.size();) {
      if (mode == ParseMode::kRecords) {
        bad += parser.Parse(b.record(i), b.padding_after(i), row.data()) != nullptr;
        ++i;
        continue;
      }
      const size_t n = parser.IndexRun(b.bytes(), b.starts.data() + i, b.size() - i);
      if (mode == ParseMode::kRuns) {
        for (size_t k = 0; k < n; ++k) {
          bad += parser.ParseIndexed(k, b.record(i + k), b.padding_after(i + k), row.data()) !=
                 nullptr;
        }
      }
      i += n;  // (generated records are never longer than a run: n > 0)
    }
    benchmark::DoNotOptimize(bad);
  }
  SetBytes(state, batches);
}
using Path = RecordParser::Path;
BENCHMARK_CAPTURE(BM_ParseValidate, runs, Path::kScanFirst, ParseMode::kRuns);
BENCHMARK_CAPTURE(BM_ParseValidate, runs_avx2, Path::kScanFirstAvx2, ParseMode::kRuns);
BENCHMARK_CAPTURE(BM_ParseValidate, records, Path::kScanFirst, ParseMode::kRecords);
BENCHMARK_CAPTURE(BM_ParseValidate, index_only, Path::kScanFirst, ParseMode::kIndexOnly);
BENCHMARK_CAPTURE(BM_ParseValidate, index_only_avx2, Path::kScanFirstAvx2, ParseMode::kIndexOnly);
BENCHMARK_CAPTURE(BM_ParseValidate, simdjson_only, Path::kFullOnly, ParseMode::kRecords);

// The WHERE clause of Q2 on parsed rows (their strings copied out of the parser's buffer).
void BM_FilterQ2(benchmark::State& state) {
  const BoundQuery q = Compile(kQ2);
  const RawBatch b = GeneratedBatch();
  RecordParser parser(q.input_fields);
  const size_t width = q.input_fields.size();
  std::vector<std::string> text(b.size() * width);
  std::vector<Value> rows(b.size() * width);
  for (size_t i = 0; i < b.size(); ++i) {
    Value* row = &rows[i * width];
    if (parser.Parse(b.record(i), b.padding_after(i), row) != nullptr) std::abort();
    for (size_t f = 0; f < width; ++f) {
      if (row[f].type == Type::kString) {
        text[i * width + f] = std::string(row[f].s);
        row[f] = Value::String(text[i * width + f]);
      }
    }
  }
  Arena arena;
  int64_t passed = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < b.size(); ++i) {
      arena.Reset();
      passed += EvaluatePredicate(*q.where, &rows[i * width], arena);
    }
  }
  benchmark::DoNotOptimize(passed);
  SetBytes(state, b);
}
BENCHMARK(BM_FilterQ2);

// A whole batch through the parallel step (parse, validate, filter, key, bucket) for Q2 and Q1.
void BM_ProcessBatch(benchmark::State& state, const char* sql) {
  const BoundQuery q = Compile(sql);
  std::vector<RawBatch> batches = GeneratedBatches();  // (Process may cut a batch: a copy)
  BatchProcessor processor(q, 2, 128);
  ParsedBatch out;
  size_t next = 0;
  for (auto _ : state) {
    processor.Process(batches[next++ % batches.size()], out);
    benchmark::DoNotOptimize(out.passed_filter);
  }
  SetBytes(state, batches);
}
BENCHMARK_CAPTURE(BM_ProcessBatch, q2, kQ2);
BENCHMARK_CAPTURE(BM_ProcessBatch, q1, kQ1);

// Folding Q2's keyed rows into the aggregation state of a window.
void BM_AggregateUpdate(benchmark::State& state) {
  const BoundQuery q = Compile(kQ2);
  std::vector<std::string> keys(1000);
  for (int i = 0; i < 1000; ++i)
    EncodeValue(keys[i], Value::String("user_" + std::to_string(1000 + i)));
  AggregateState agg(q);
  int64_t n = 0;
  for (auto _ : state) {
    for (const auto& k : keys) agg.Accumulate(1'769'538'590'000, k, nullptr);
    n += static_cast<int64_t>(keys.size());
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_AggregateUpdate);

// Serializing a state partition of 100 windows x 1000 keys for a checkpoint.
void BM_SerializeState(benchmark::State& state) {
  const BoundQuery q = Compile(kQ2);
  AggregateState agg(q);
  for (int i = 0; i < 1000; ++i) {
    std::string key;
    EncodeValue(key, Value::String("user_" + std::to_string(1000 + i)));
    for (int w = 0; w < 100; ++w) agg.Accumulate(1'769'538'590'000 + w * 10'000, key, nullptr);
  }
  int64_t bytes = 0;
  std::string buf;
  for (auto _ : state) {
    buf.clear();
    ByteWriter w(buf);
    agg.Serialize(w);
    bytes += static_cast<int64_t>(buf.size());
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_SerializeState);

// Formatting Q2's result rows for a JSON-lines sink: two timestamps, a string and a count a row.
void BM_FormatResultRows(benchmark::State& state) {
  const JsonRowFormatter formatter({"window_start", "window_end", "user_id", "crash_count"},
                                   TimeZone::Utc(), JsonRowFormatter::Newline::kYes);
  std::vector<std::vector<Value>> rows;
  std::vector<std::string> users;
  for (int i = 0; i < 1000; ++i) users.push_back("user_" + std::to_string(1000 + i));
  for (int i = 0; i < 1000; ++i) {
    const int64_t start = 1'769'538'590'000 + (i / 37) * 10'000;
    rows.push_back({Value::Timestamp(start), Value::Timestamp(start + 10'000),
                    Value::String(users[static_cast<size_t>(i)]), Value::Int(3 + i % 5)});
  }
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const auto& row : rows) formatter.Append(row.data(), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows.size()));
}
BENCHMARK(BM_FormatResultRows);

}  // namespace
}  // namespace sluice

BENCHMARK_MAIN();
