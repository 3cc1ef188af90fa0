#include "exec/watermark_tracker.h"

#include <algorithm>

namespace sluice {

void WatermarkTracker::SetPartitions(const std::vector<PartitionId>& partitions, int64_t now_ms) {
  std::map<PartitionId, PartitionState> next;
  for (PartitionId p : partitions) {
    auto it = partitions_.find(p);
    if (it != partitions_.end()) {
      next.emplace(p, it->second);
    } else {
      PartitionState s;
      s.last_record_ms = now_ms;  // idle time counts from when we started reading it
      next.emplace(p, s);
    }
  }
  partitions_ = std::move(next);
}

void WatermarkTracker::Observe(PartitionId p, int64_t max_event_ms, int64_t now_ms) {
  auto& s = partitions_[p];
  s.last_record_ms = now_ms;
  s.idle = false;
  s.max_event = std::max(s.max_event, max_event_ms);
  max_event_ = std::max(max_event_, max_event_ms);
}

int64_t WatermarkTracker::Advance(int64_t now_ms) {
  if (watermark_ == kMaxTime) return watermark_;
  int64_t low = kMaxTime;
  bool any_active = false;
  for (auto& [p, s] : partitions_) {
    s.idle = idle_timeout_ms_ > 0 && now_ms - s.last_record_ms >= idle_timeout_ms_;
    if (s.idle) continue;
    any_active = true;
    low = std::min(low, s.max_event);
  }
  if (!any_active) return watermark_;  // everything idle: hold, as Flink does
  if (low == kMinTime) return watermark_;
  watermark_ = std::max(watermark_, low - delay_ms_);
  return watermark_;
}

void WatermarkTracker::Restore(int64_t watermark, int64_t max_event,
                               const std::vector<std::pair<PartitionId, int64_t>>& partition_max,
                               int64_t now_ms) {
  watermark_ = watermark;
  max_event_ = max_event;
  partitions_.clear();
  for (const auto& [p, max] : partition_max) {
    PartitionState s;
    s.max_event = max;
    s.last_record_ms = now_ms;
    partitions_.emplace(p, s);
  }
}

}  // namespace sluice
