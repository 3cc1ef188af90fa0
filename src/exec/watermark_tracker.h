// WatermarkTracker: the query's event-time watermark, from per-partition watermarks.
// Each partition's watermark is the largest event time it has delivered minus the delay; the
// query's is the minimum over partitions that are not idle (no record for idle_timeout of wall
// time), never moves backwards, and jumps to +infinity when a bounded input ends.
// Owned and used by the engine's driver thread only.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "common/named_type.h"

namespace sluice {

class WatermarkTracker {
 public:
  WatermarkTracker(int64_t delay_ms, int64_t idle_timeout_ms)
      : delay_ms_(delay_ms), idle_timeout_ms_(idle_timeout_ms) {}

  // The partitions the source currently reads: new ones start with no events (holding the
  // watermark back until they deliver or go idle); revoked ones stop counting.
  void SetPartitions(const std::vector<PartitionId>& partitions, int64_t now_ms);
  // A batch of partition p whose largest valid event time is max_event_ms (kMinTime if none).
  void Observe(PartitionId p, int64_t max_event_ms, int64_t now_ms);
  // Recomputes the query watermark at wall time now_ms and returns it.
  int64_t Advance(int64_t now_ms);
  void CloseAll() { watermark_ = kMaxTime; }
  // Resumes from a checkpoint: the query's watermark, the largest event time, and each
  // partition's largest event time (its idle timer starts at now_ms).
  void Restore(int64_t watermark, int64_t max_event,
               const std::vector<std::pair<PartitionId, int64_t>>& partition_max, int64_t now_ms);

  int64_t watermark() const { return watermark_; }
  int64_t max_event_time() const { return max_event_; }

  struct PartitionState {
    int64_t max_event = kMinTime;
    int64_t last_record_ms = 0;  // wall time of the last batch with records
    bool idle = false;
  };
  const std::map<PartitionId, PartitionState>& partitions() const { return partitions_; }
  int64_t delay_ms() const { return delay_ms_; }

 private:
  int64_t delay_ms_;
  int64_t idle_timeout_ms_;
  std::map<PartitionId, PartitionState> partitions_;
  int64_t watermark_ = kMinTime;
  int64_t max_event_ = kMinTime;
};

}  // namespace sluice
