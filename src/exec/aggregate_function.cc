#include "exec/aggregate_function.h"

#include "common/value_serde.h"
#include "exec/evaluator.h"

namespace sluice {
namespace {

void Initialize(Accumulator& acc) { acc = Accumulator{}; }

// count(*): every row.
void CountStarUpdate(Accumulator& acc, const Value&) { ++acc.count; }
// count(x): non-null values.
void CountUpdate(Accumulator& acc, const Value& v) { acc.count += v.is_null() ? 0 : 1; }
// Counts wrap like Spark's longs: only a damaged checkpoint can bring them near 2^63.
void CountCombine(Accumulator& into, const Accumulator& from) {
  into.count = WrappingAdd(into.count, from.count);
}
OwnedValue CountFinalize(const AggCall&, const Accumulator& acc) {
  return OwnedValue(Value::Int(acc.count));
}
void CountSerialize(const Accumulator& acc, ByteWriter& w) { w.I64(acc.count); }
bool CountDeserialize(Accumulator& acc, ByteReader& r) {
  acc.count = r.I64();
  return r.ok() && acc.count >= 0;
}

// sum and avg keep a count of non-null inputs and an integer or double sum.
void SumUpdate(Accumulator& acc, const Value& v) {
  if (v.is_null()) return;
  ++acc.count;
  if (v.type == Type::kDouble)
    acc.dsum += v.d;
  else
    acc.isum = WrappingAdd(acc.isum, v.i);
}
void SumCombine(Accumulator& into, const Accumulator& from) {
  into.count = WrappingAdd(into.count, from.count);
  into.isum = WrappingAdd(into.isum, from.isum);
  into.dsum += from.dsum;
}
OwnedValue SumFinalize(const AggCall& call, const Accumulator& acc) {
  if (acc.count == 0) return OwnedValue();
  return call.result_type == Type::kDouble ? OwnedValue(Value::Double(acc.dsum))
                                           : OwnedValue(Value::Int(acc.isum));
}
OwnedValue AvgFinalize(const AggCall& call, const Accumulator& acc) {
  if (acc.count == 0) return OwnedValue();
  const double sum =
      call.arg && call.arg->type == Type::kDouble ? acc.dsum : static_cast<double>(acc.isum);
  return OwnedValue(Value::Double(sum / static_cast<double>(acc.count)));
}
void SumSerialize(const Accumulator& acc, ByteWriter& w) {
  w.I64(acc.count);
  w.I64(acc.isum);
  w.F64(acc.dsum);
}
bool SumDeserialize(Accumulator& acc, ByteReader& r) {
  acc.count = r.I64();
  acc.isum = r.I64();
  acc.dsum = r.F64();
  return r.ok() && acc.count >= 0;
}

// min and max keep the extreme value seen (count says whether there is one).
template <int kSign>
void ExtremeUpdate(Accumulator& acc, const Value& v) {
  if (v.is_null()) return;
  ++acc.count;
  if (acc.count == 1 || kSign * CompareValues(v, acc.extreme.view()) > 0)
    acc.extreme = OwnedValue(v);
}
template <int kSign>
void ExtremeCombine(Accumulator& into, const Accumulator& from) {
  if (from.count == 0) return;
  if (into.count == 0 || kSign * CompareValues(from.extreme.view(), into.extreme.view()) > 0) {
    into.extreme = from.extreme;
  }
  into.count = WrappingAdd(into.count, from.count);
}
OwnedValue ExtremeFinalize(const AggCall&, const Accumulator& acc) {
  return acc.count == 0 ? OwnedValue() : acc.extreme;
}
void ExtremeSerialize(const Accumulator& acc, ByteWriter& w) {
  w.I64(acc.count);
  if (acc.count > 0) WriteValue(w, acc.extreme.view());
}
bool ExtremeDeserialize(Accumulator& acc, ByteReader& r) {
  acc.count = r.I64();
  if (acc.count > 0) acc.extreme = OwnedValue(ReadValue(r));
  return r.ok() && acc.count >= 0;
}

constexpr AggregateFunction kCountStar{Initialize,    CountStarUpdate, CountCombine,
                                       CountFinalize, CountSerialize,  CountDeserialize};
constexpr AggregateFunction kCount{Initialize,    CountUpdate,    CountCombine,
                                   CountFinalize, CountSerialize, CountDeserialize};
constexpr AggregateFunction kSum{Initialize,  SumUpdate,    SumCombine,
                                 SumFinalize, SumSerialize, SumDeserialize};
constexpr AggregateFunction kAvg{Initialize,  SumUpdate,    SumCombine,
                                 AvgFinalize, SumSerialize, SumDeserialize};
constexpr AggregateFunction kMin{Initialize,      ExtremeUpdate<-1>, ExtremeCombine<-1>,
                                 ExtremeFinalize, ExtremeSerialize,  ExtremeDeserialize};
constexpr AggregateFunction kMax{Initialize,      ExtremeUpdate<1>, ExtremeCombine<1>,
                                 ExtremeFinalize, ExtremeSerialize, ExtremeDeserialize};

}  // namespace

const AggregateFunction& AggregateFunctionFor(AggKind kind) {
  switch (kind) {
    case AggKind::kCountStar:
      return kCountStar;
    case AggKind::kCount:
      return kCount;
    case AggKind::kSum:
      return kSum;
    case AggKind::kMin:
      return kMin;
    case AggKind::kMax:
      return kMax;
    case AggKind::kAvg:
      return kAvg;
  }
  return kCountStar;
}

}  // namespace sluice
