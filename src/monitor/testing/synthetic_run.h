// SyntheticRun: plausible monitoring data for a Q2-like query (crash counts per user in
// 10-second windows over 3 partitions), without an engine. Used by the monitor and web tests
// and by the `ui_demo` binary that the browser test drives. Deterministic for a given seed.
// Not thread-safe: one thread calls Step, like the engine's driver thread.
#pragma once

#include <cstdint>
#include <random>

#include "monitor/run_monitor.h"

namespace sluice {

class SyntheticRun {
 public:
  // start_ms: wall clock of the first trigger; trigger_ms: simulated trigger interval.
  SyntheticRun(int64_t start_ms, int64_t trigger_ms = 1000, uint64_t seed = 42);

  // Sets the query info (call once), then publishes one trigger and every page's data per Step.
  void Start(RunMonitor& monitor);
  void Step(RunMonitor& monitor);
  int64_t batch_id() const { return batch_; }

 private:
  int64_t start_ms_;
  int64_t trigger_ms_;
  std::mt19937_64 rng_;
  int64_t batch_ = 0;
  int64_t offsets_[3] = {0, 0, 0};
  int64_t event_time_ms_;
  int64_t op_in_[8] = {};
  int64_t op_out_[8] = {};
  int64_t op_ns_[8] = {};
  int64_t worker_records_[2] = {};
};

}  // namespace sluice
