// AggregateFunction: an aggregate as a table of operations over its running state
// (DuckDB's aggregate_function.hpp, with serialize added): initialize, update with one input
// value, combine two partial states, finalize into the result, and serialize/deserialize for
// checkpoints and for exchanging partial aggregates between processes. The tables are static
// and immutable: any thread may use them.
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/value.h"
#include "plan/query.h"

namespace sluice {

// The running state of one aggregate; each function uses the fields it needs.
struct Accumulator {
  int64_t count = 0;  // rows counted (count) or non-null inputs seen (sum/avg/min/max)
  int64_t isum = 0;   // integer sum (wraps like Spark's non-ANSI long addition)
  double dsum = 0;
  OwnedValue extreme;  // min or max so far
};

struct AggregateFunction {
  void (*initialize)(Accumulator& acc);
  // v is the aggregate's argument for one input row (ignored by count(*)).
  void (*update)(Accumulator& acc, const Value& v);
  // Folds `from` into `into`, as if into's rows had been followed by from's.
  void (*combine)(Accumulator& into, const Accumulator& from);
  OwnedValue (*finalize)(const AggCall& call, const Accumulator& acc);
  void (*serialize)(const Accumulator& acc, ByteWriter& w);
  // False when the input is damaged (the reader has failed).
  bool (*deserialize)(Accumulator& acc, ByteReader& r);
};

const AggregateFunction& AggregateFunctionFor(AggKind kind);

// a + b wrapping around like Spark's non-ANSI long addition (no undefined overflow): sums and
// counts of a state read from a damaged checkpoint or exchange message may be anything.
inline int64_t WrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

}  // namespace sluice
