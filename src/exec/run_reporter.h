// RunReporter: turns the engine's per-trigger reports into RunMonitor snapshots (progress,
// partitions, open windows, latest results, workers, per-operator counters) for the web UI,
// /metrics and --progress. Called on the engine's driver thread from the trigger callback.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "exec/engine.h"
#include "monitor/run_monitor.h"
#include "plan/physical_plan.h"

namespace sluice {

class RunReporter {
 public:
  RunReporter(RunMonitor& monitor, const Engine& engine, const Source& source, const Sink& sink,
              const PhysicalPlan& plan, const TimeZone& tz);

  // Publishes one trigger. Safe to call only from the engine's driver thread.
  void OnTrigger(const TriggerReport& report);

  // The plan as monitor nodes (a chain: each stage feeds the next).
  static std::vector<PlanNode> PlanNodes(const PhysicalPlan& plan);

 private:
  RunMonitor& monitor_;
  const Engine& engine_;
  const Source& source_;
  const Sink& sink_;
  const PhysicalPlan& plan_;
  TimeZone tz_;
  RunCounters last_;
  std::map<int32_t, int64_t> partition_totals_;  // partition -> records processed in this run
  std::vector<int64_t> last_busy_ns_;
  std::vector<int64_t> last_worker_records_;
  int64_t parse_ns_ = 0, aggregate_ns_ = 0, emit_ns_ = 0;
};

}  // namespace sluice
