// TriggerSchedule: when a `--trigger` interval's trigger is due, and the interval each trigger
// reports, for both engines. Spark's ProcessingTime keeps its pace from trigger starts; a trigger
// whose work (emit, sink, checkpoint) runs over the interval starts the next interval where it
// ended, so the next one reads for a whole interval first (Spark starts the next micro-batch at
// once with all the input that arrived meanwhile; counted from the slow trigger's start, the next
// would be due after a single round, and every round would pay for the slow trigger again).
// The interval a trigger reports runs from the end of the one before to its own end, so it holds
// all of its execution.
#pragma once

#include <chrono>
#include <cstdint>

namespace sluice {

class TriggerSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  // interval_ms 0: a trigger is always due.
  explicit TriggerSchedule(int64_t interval_ms) : interval_(interval_ms) {}

  // The run starts: the first interval starts now.
  void Start(Clock::time_point now) { Restart(now); }
  bool Due(Clock::time_point now) const {
    return interval_.count() == 0 || now - from_ >= interval_;
  }
  // Time left until the next trigger is due (0 or less: due).
  std::chrono::milliseconds UntilDue(Clock::time_point now) const {
    return interval_ - std::chrono::duration_cast<std::chrono::milliseconds>(now - from_);
  }
  // The last trigger's work ran over its interval (its end started this one).
  bool behind() const { return behind_; }

  void TriggerStarted(Clock::time_point start) { from_ = start; }
  // The trigger TriggerStarted began ended at `end`: returns the interval it reports, in ms.
  // `may_fall_behind` false keeps the pace from trigger starts whatever the trigger's length.
  int64_t TriggerEnded(Clock::time_point end, bool may_fall_behind = true) {
    const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(end - last_end_);
    last_end_ = end;
    behind_ = may_fall_behind && interval_.count() > 0 && end - from_ > interval_;
    if (behind_) from_ = end;
    return interval.count();
  }
  // An interval passed without records: no trigger ran, and the next interval (both the
  // schedule's and the reported one) starts now, as in Spark.
  void Restart(Clock::time_point now) {
    from_ = now;
    last_end_ = now;
    behind_ = false;
  }

 private:
  std::chrono::milliseconds interval_;
  Clock::time_point from_;      // the schedule counts from here (the last trigger's start)
  Clock::time_point last_end_;  // the reported interval counts from here
  bool behind_ = false;
};

}  // namespace sluice
