#include "exec/aggregate_state.h"

#include <utility>

#include "common/value_serde.h"
#include "exec/window_assigner.h"
#include "format/row_codec.h"

namespace sluice {

AggregateState::AggregateState(const BoundQuery& query) : query_(query) {
  for (const AggCall& a : query_.aggregates) functions_.push_back(&AggregateFunctionFor(a.kind));
}

void AggregateState::Accumulate(int64_t window_start, std::string_view key, const char* args) {
  GroupState& g = FindOrAddGroup(WindowGroups(window_start), key);
  g.dirty = true;
  CountUpdate(g);
  ++g.rows;
  changed_ = true;
  const char* p = args;
  for (size_t a = 0; a < functions_.size(); ++a) {
    const Value v = query_.aggregates[a].arg ? DecodeValue(p) : Value();
    functions_[a]->update(g.accs[a], v);
  }
}

AggregateState::Groups& AggregateState::WindowGroups(int64_t window_start) {
  if (last_groups_ == nullptr || last_start_ != window_start) {
    last_groups_ = &windows_[window_start];  // std::map nodes are stable: the pointer stays valid
    last_start_ = window_start;
  }
  return *last_groups_;
}

void AggregateState::Combine(int64_t window_start, std::string_view key, const Accumulator* accs,
                             int64_t rows) {
  GroupState& g = FindOrAddGroup(WindowGroups(window_start), key);
  g.dirty = true;
  CountUpdate(g);
  g.rows = WrappingAdd(g.rows, rows);
  changed_ = true;
  for (size_t a = 0; a < functions_.size(); ++a) functions_[a]->combine(g.accs[a], accs[a]);
}

GroupState& AggregateState::FindOrAddGroup(Groups& groups, std::string_view key) {
  auto it = groups.find(absl::string_view(key.data(), key.size()));
  if (it == groups.end()) {
    it = groups.emplace(std::string(key), GroupState{}).first;
    it->second.accs.resize(functions_.size());
    for (size_t a = 0; a < functions_.size(); ++a) functions_[a]->initialize(it->second.accs[a]);
    ++rows_;
    key_bytes_ += static_cast<int64_t>(key.size());
  }
  return it->second;
}

void AggregateState::Emit(int64_t window_start, const std::string& key, const GroupState& g,
                          const RowFilter& keep, RowScratch& scratch,
                          std::vector<AggregateRow>& out) const {
  std::vector<Value>& view = scratch.view;
  view.clear();
  if (query_.window) {
    view.push_back(Value::Timestamp(window_start));
    view.push_back(Value::Timestamp(window_start + query_.window->size_ms));
  }
  const char* p = key.data();
  for (size_t k = 0; k < query_.group_keys.size(); ++k) view.push_back(DecodeValue(p));
  const size_t num_aggs = query_.aggregates.size();
  scratch.finals.resize(num_aggs);
  for (size_t a = 0; a < num_aggs; ++a) {
    scratch.finals[a] = functions_[a]->finalize(query_.aggregates[a], g.accs[a]);
    view.push_back(scratch.finals[a].view());
  }
  if (keep && !keep(view.data())) return;
  AggregateRow& row = out.emplace_back();
  row.reserve(view.size());
  for (const Value& v : view) row.emplace_back(v);
}

void AggregateState::TakeClosed(int64_t watermark, std::vector<AggregateRow>& out,
                                const RowFilter& keep) {
  const int64_t size = query_.window ? query_.window->size_ms : 0;
  RowScratch scratch;
  while (!windows_.empty()) {
    auto it = windows_.begin();
    // kNoWindow never closes by watermark, only at the end of input (watermark = +inf).
    const bool closed =
        watermark == kMaxTime || (it->first != kNoWindow && it->first + size <= watermark);
    if (!closed) break;
    changed_ = true;
    for (const auto& [key, g] : it->second) {
      Emit(it->first, key, g, keep, scratch, out);
      key_bytes_ -= static_cast<int64_t>(key.size());
    }
    rows_ -= static_cast<int64_t>(it->second.size());
    changes_.removed += static_cast<int64_t>(it->second.size());
    if (last_groups_ == &it->second) last_groups_ = nullptr;
    windows_.erase(it);
  }
}

void AggregateState::TakeUpdated(int64_t watermark, std::vector<AggregateRow>& out,
                                 const RowFilter& keep) {
  RowScratch scratch;
  for (auto& [start, groups] : windows_) {
    for (auto& [key, g] : groups) {
      if (!g.dirty) continue;
      Emit(start, key, g, keep, scratch, out);
      g.dirty = false;
      changed_ = true;
    }
  }
  if (!query_.window) return;
  const int64_t size = query_.window->size_ms;
  while (!windows_.empty() && windows_.begin()->first + size <= watermark) {
    auto it = windows_.begin();
    changed_ = true;
    for (const auto& [key, g] : it->second) key_bytes_ -= static_cast<int64_t>(key.size());
    rows_ -= static_cast<int64_t>(it->second.size());
    changes_.removed += static_cast<int64_t>(it->second.size());
    if (last_groups_ == &it->second) last_groups_ = nullptr;
    windows_.erase(it);
  }
}

void AggregateState::CollectAll(std::vector<AggregateRow>& out, const RowFilter& keep) const {
  RowScratch scratch;
  for (const auto& [start, groups] : windows_) {
    for (const auto& [key, g] : groups) Emit(start, key, g, keep, scratch, out);
  }
}

void AggregateState::Take(OutputMode mode, int64_t watermark, std::vector<AggregateRow>& out,
                          const RowFilter& keep) {
  switch (mode) {
    case OutputMode::kAppend:
      TakeClosed(watermark, out, keep);
      break;
    case OutputMode::kUpdate:
      TakeUpdated(watermark, out, keep);
      break;
    case OutputMode::kComplete:
      CollectAll(out, keep);
      break;
  }
}

StateBlob AggregateState::ToStateBlob(uint32_t partition) const {
  StateBlob blob;
  blob.state_partition = partition;
  blob.rows = rows_;
  ByteWriter w(blob.bytes);
  Serialize(w);
  return blob;
}

int64_t AggregateState::bytes() const {
  // Per group: the key, the map slot and the accumulators.
  const auto per_group = static_cast<int64_t>(sizeof(std::string) + sizeof(GroupState) +
                                              query_.aggregates.size() * sizeof(Accumulator));
  return key_bytes_ + rows_ * per_group;
}

std::vector<WindowSize> AggregateState::WindowSizes() const {
  std::vector<WindowSize> out;
  for (const auto& [start, groups] : windows_) {
    WindowSize w{start, static_cast<int64_t>(groups.size()), 0};
    for (const auto& [key, g] : groups) w.input_rows += g.rows;
    out.push_back(w);
  }
  return out;
}

StateChanges AggregateState::TakeChanges() {
  ++trigger_;
  return std::exchange(changes_, StateChanges{});
}

void AggregateState::Serialize(ByteWriter& w) const {
  const size_t num_keys = query_.group_keys.size();
  w.Varint(windows_.size());
  for (const auto& [start, groups] : windows_) {
    w.I64(start);
    w.Varint(groups.size());
    for (const auto& [key, g] : groups) {
      // Keys are kept in the host-order row codec: rewrite them in the on-disk encoding.
      const char* p = key.data();
      for (size_t k = 0; k < num_keys; ++k) WriteValue(w, DecodeValue(p));
      w.U8(g.dirty ? 1 : 0);
      w.Varint(static_cast<uint64_t>(g.rows));
      for (size_t a = 0; a < functions_.size(); ++a) functions_[a]->serialize(g.accs[a], w);
    }
  }
}

bool AggregateState::PlausibleWindowStart(int64_t start) const {
  if (!query_.window) return start == kNoWindow;
  const WindowSpec& w = *query_.window;
  // A start the window assigner can produce: aligned, and whose end is representable.
  return start != kNoWindow && start <= kMaxTime - w.size_ms &&
         FloorMod(start - w.offset_ms, w.slide_ms) == 0;
}

void AggregateState::Clear() {
  windows_.clear();
  rows_ = 0;
  key_bytes_ = 0;
  last_groups_ = nullptr;
  changed_ = true;
}

void AggregateState::MergeFrom(const AggregateState& partial, int64_t watermark,
                               int64_t* late_groups, int64_t* late_rows) {
  const int64_t size = query_.window ? query_.window->size_ms : 0;
  for (const auto& [start, groups] : partial.windows_) {
    if (query_.window && start + size <= watermark) {
      for (const auto& [key, g] : groups) {
        ++*late_groups;
        *late_rows = WrappingAdd(*late_rows, g.rows);
      }
      continue;
    }
    Groups& mine = windows_[start];
    for (const auto& [key, g] : groups) {
      GroupState& into = FindOrAddGroup(mine, key);
      for (size_t a = 0; a < functions_.size(); ++a)
        functions_[a]->combine(into.accs[a], g.accs[a]);
      into.rows = WrappingAdd(into.rows, g.rows);
      into.dirty = true;
      CountUpdate(into);
      changed_ = true;
    }
    if (mine.empty()) windows_.erase(start);
  }
}

Status AggregateState::Deserialize(std::string_view bytes) {
  Clear();
  ByteReader r(bytes);
  const size_t num_keys = query_.group_keys.size();
  const uint64_t num_windows = r.Count(9);
  std::string key;
  for (uint64_t w = 0; w < num_windows && r.ok(); ++w) {
    const int64_t start = r.I64();
    const uint64_t num_groups = r.Count(1 + num_keys + functions_.size() * 8);
    if (windows_.count(start) != 0 || !PlausibleWindowStart(start)) r.Fail();  // not our writing
    Groups& groups = windows_[start];
    groups.reserve(num_groups);
    for (uint64_t i = 0; i < num_groups && r.ok(); ++i) {
      key.clear();
      for (size_t k = 0; k < num_keys; ++k) EncodeValue(key, ReadValue(r));
      GroupState g;
      g.dirty = r.U8() != 0;
      g.rows = static_cast<int64_t>(r.Varint());
      if (g.rows < 0) r.Fail();  // not our writing
      g.accs.resize(functions_.size());
      for (size_t a = 0; a < functions_.size() && r.ok(); ++a) {
        if (!functions_[a]->deserialize(g.accs[a], r)) r.Fail();
      }
      if (!r.ok()) break;
      key_bytes_ += static_cast<int64_t>(key.size());
      if (!groups.emplace(key, std::move(g)).second) r.Fail();  // a key twice: not our writing
    }
    rows_ += static_cast<int64_t>(groups.size());
  }
  if (!r.ok() || !r.at_end()) {
    Clear();
    return Status::Corruption("aggregation state does not decode for this query");
  }
  return Status::Ok();
}

}  // namespace sluice
