#include "exec/aggregate_state.h"

#include "exec/evaluator.h"
#include "format/row_codec.h"

namespace sluice {
namespace {

void Update(const AggCall& agg, Accumulator& acc, const Value& v) {
  if (agg.kind == AggKind::kCountStar) {
    ++acc.count;
    return;
  }
  if (v.is_null()) return;
  ++acc.count;
  switch (agg.kind) {
    case AggKind::kSum:
    case AggKind::kAvg:
      if (v.type == Type::kDouble) acc.dsum += v.d;
      else acc.isum = static_cast<int64_t>(static_cast<uint64_t>(acc.isum) + static_cast<uint64_t>(v.i));
      break;
    case AggKind::kMin:
      if (acc.count == 1 || CompareValues(v, acc.extreme.view()) < 0) acc.extreme = OwnedValue(v);
      break;
    case AggKind::kMax:
      if (acc.count == 1 || CompareValues(v, acc.extreme.view()) > 0) acc.extreme = OwnedValue(v);
      break;
    default: break;
  }
}

OwnedValue Finish(const AggCall& agg, const Accumulator& acc) {
  switch (agg.kind) {
    case AggKind::kCountStar:
    case AggKind::kCount: return OwnedValue(Value::Int(acc.count));
    case AggKind::kSum:
      if (acc.count == 0) return OwnedValue();
      return agg.result_type == Type::kDouble ? OwnedValue(Value::Double(acc.dsum))
                                              : OwnedValue(Value::Int(acc.isum));
    case AggKind::kAvg: {
      if (acc.count == 0) return OwnedValue();
      const double sum = agg.arg && agg.arg->type == Type::kDouble ? acc.dsum
                                                                   : static_cast<double>(acc.isum);
      return OwnedValue(Value::Double(sum / static_cast<double>(acc.count)));
    }
    case AggKind::kMin:
    case AggKind::kMax: return acc.count == 0 ? OwnedValue() : acc.extreme;
  }
  return OwnedValue();
}

}  // namespace

AggregateState::AggregateState(const BoundQuery& query) : query_(query) {}

void AggregateState::Accumulate(int64_t window_start, std::string_view key, const char* args) {
  Groups* groups;
  if (last_groups_ != nullptr && last_start_ == window_start) {
    groups = last_groups_;
  } else {
    groups = &windows_[window_start];  // std::map nodes are stable: the pointer stays valid
    last_start_ = window_start;
    last_groups_ = groups;
  }
  auto it = groups->find(absl::string_view(key.data(), key.size()));
  if (it == groups->end()) {
    it = groups->emplace(std::string(key), GroupState{}).first;
    it->second.accs.resize(query_.aggregates.size());
    ++rows_;
    key_bytes_ += static_cast<int64_t>(key.size());
  }
  GroupState& g = it->second;
  g.dirty = true;
  const char* p = args;
  for (size_t a = 0; a < query_.aggregates.size(); ++a) {
    const AggCall& agg = query_.aggregates[a];
    Value v = agg.arg ? DecodeValue(p) : Value();
    Update(agg, g.accs[a], v);
  }
}

AggregateRow AggregateState::MakeRow(int64_t window_start, const std::string& key,
                                     const GroupState& g) const {
  AggregateRow row;
  row.reserve(static_cast<size_t>(query_.aggregate_row_width()));
  if (query_.window) {
    row.emplace_back(Value::Timestamp(window_start));
    row.emplace_back(Value::Timestamp(window_start + query_.window->size_ms));
  }
  const char* p = key.data();
  for (size_t k = 0; k < query_.group_keys.size(); ++k) row.emplace_back(DecodeValue(p));
  for (size_t a = 0; a < query_.aggregates.size(); ++a) {
    row.push_back(Finish(query_.aggregates[a], g.accs[a]));
  }
  return row;
}

void AggregateState::TakeClosed(int64_t watermark, std::vector<AggregateRow>& out) {
  const int64_t size = query_.window ? query_.window->size_ms : 0;
  while (!windows_.empty()) {
    auto it = windows_.begin();
    // kNoWindow never closes by watermark, only at the end of input (watermark = +inf).
    const bool closed = watermark == kMaxTime ||
                        (it->first != kNoWindow && it->first + size <= watermark);
    if (!closed) break;
    for (const auto& [key, g] : it->second) {
      out.push_back(MakeRow(it->first, key, g));
      key_bytes_ -= static_cast<int64_t>(key.size());
    }
    rows_ -= static_cast<int64_t>(it->second.size());
    if (last_groups_ == &it->second) last_groups_ = nullptr;
    windows_.erase(it);
  }
}

void AggregateState::TakeUpdated(int64_t watermark, std::vector<AggregateRow>& out) {
  for (auto& [start, groups] : windows_) {
    for (auto& [key, g] : groups) {
      if (!g.dirty) continue;
      out.push_back(MakeRow(start, key, g));
      g.dirty = false;
    }
  }
  if (!query_.window) return;
  const int64_t size = query_.window->size_ms;
  while (!windows_.empty() && windows_.begin()->first + size <= watermark) {
    auto it = windows_.begin();
    for (const auto& [key, g] : it->second) key_bytes_ -= static_cast<int64_t>(key.size());
    rows_ -= static_cast<int64_t>(it->second.size());
    if (last_groups_ == &it->second) last_groups_ = nullptr;
    windows_.erase(it);
  }
}

void AggregateState::CollectAll(std::vector<AggregateRow>& out) const {
  for (const auto& [start, groups] : windows_) {
    for (const auto& [key, g] : groups) out.push_back(MakeRow(start, key, g));
  }
}

int64_t AggregateState::bytes() const {
  // Per group: the key, the map slot and the accumulators.
  const auto per_group = static_cast<int64_t>(sizeof(std::string) + sizeof(GroupState) +
                                              query_.aggregates.size() * sizeof(Accumulator));
  return key_bytes_ + rows_ * per_group;
}

std::vector<std::pair<int64_t, int64_t>> AggregateState::WindowSizes() const {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& [start, groups] : windows_) {
    out.emplace_back(start, static_cast<int64_t>(groups.size()));
  }
  return out;
}

}  // namespace sluice
