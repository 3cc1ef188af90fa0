#include "monitor/run_monitor.h"

namespace sluice {

std::string_view RunStateName(RunState s) {
  switch (s) {
    case RunState::kStarting:
      return "starting";
    case RunState::kRunning:
      return "running";
    case RunState::kFinished:
      return "finished";
    case RunState::kFailed:
      return "failed";
  }
  return "unknown";
}

RunMonitor::RunMonitor()
    : query_(std::make_shared<QueryInfo>()),
      operators_(std::make_shared<std::vector<OperatorMetrics>>()),
      partitions_(std::make_shared<std::vector<PartitionStatus>>()),
      windows_(std::make_shared<WindowsSnapshot>()),
      results_(std::make_shared<ResultsSnapshot>()),
      workers_(std::make_shared<std::vector<WorkerStatus>>()) {}

// Each setter builds the new snapshot before taking the lock and swaps it in; the old snapshot
// ends up in `next`, which is destroyed after the lock_guard (declared later, destroyed first),
// so a reader never waits for a destructor either.
void RunMonitor::SetQueryInfo(QueryInfo info) {
  auto next = std::make_shared<const QueryInfo>(std::move(info));
  std::lock_guard lock(mu_);
  query_.swap(next);
}

void RunMonitor::SetState(RunState state, std::string message) {
  std::lock_guard lock(mu_);
  state_ = state;
  state_message_.swap(message);
}

void RunMonitor::PublishTrigger(TriggerProgress progress) {
  {
    std::lock_guard lock(mu_);
    totals_.triggers += 1;
    totals_.input_rows += progress.num_input_rows;
    totals_.late_rows += progress.late_rows;
    totals_.malformed_rows += progress.malformed_rows;
    totals_.output_rows += progress.output_rows;
    totals_.busy_us += progress.duration.total_us;
    totals_.state_rows_removed += progress.state.rows_removed;
    // Before its evictions a trigger held rows_total + rows_removed rows.
    totals_.peak_state_rows =
        std::max(totals_.peak_state_rows, progress.state.rows_total + progress.state.rows_removed);
    progress.totals = totals_;
    if (state_ == RunState::kStarting) state_ = RunState::kRunning;
  }
  std::shared_ptr<const TriggerProgress> next =
      std::make_shared<const TriggerProgress>(std::move(progress));
  std::shared_ptr<const TriggerProgress> dropped;
  std::lock_guard lock(mu_);
  history_.push_back(std::move(next));
  if (history_.size() > kHistorySize) {
    dropped = std::move(history_.front());
    history_.pop_front();
  }
}

void RunMonitor::SetOperatorMetrics(std::vector<OperatorMetrics> metrics) {
  auto next = std::make_shared<const std::vector<OperatorMetrics>>(std::move(metrics));
  std::lock_guard lock(mu_);
  operators_.swap(next);
}

void RunMonitor::SetPartitions(std::vector<PartitionStatus> partitions) {
  auto next = std::make_shared<const std::vector<PartitionStatus>>(std::move(partitions));
  std::lock_guard lock(mu_);
  partitions_.swap(next);
}

void RunMonitor::SetWindows(std::vector<WindowStatus> windows,
                            std::optional<int64_t> watermark_ms) {
  WindowsSnapshot snap;
  snap.watermark_ms = watermark_ms;
  snap.open_windows = static_cast<int64_t>(windows.size());
  std::sort(windows.begin(), windows.end(), [](const WindowStatus& a, const WindowStatus& b) {
    return a.start_ms != b.start_ms ? a.start_ms < b.start_ms : a.end_ms < b.end_ms;
  });
  if (windows.size() > kMaxWindows) windows.resize(kMaxWindows);
  snap.windows = std::move(windows);
  auto next = std::make_shared<const WindowsSnapshot>(std::move(snap));
  std::lock_guard lock(mu_);
  windows_.swap(next);
}

void RunMonitor::SetResults(ResultsSnapshot results) {
  if (results.total_rows == 0) results.total_rows = static_cast<int64_t>(results.rows.size());
  if (results.rows.size() > kMaxResultRows) results.rows.resize(kMaxResultRows);
  auto next = std::make_shared<const ResultsSnapshot>(std::move(results));
  std::lock_guard lock(mu_);
  results_.swap(next);
}

void RunMonitor::SetWorkers(std::vector<WorkerStatus> workers) {
  auto next = std::make_shared<const std::vector<WorkerStatus>>(std::move(workers));
  std::lock_guard lock(mu_);
  workers_.swap(next);
}

void RunMonitor::SetGroupUnits(std::string group_id, std::string exchange_topic,
                               std::vector<GroupUnitStatus> units,
                               std::vector<RebalanceRecord> rebalances) {
  std::lock_guard lock(mu_);
  auto next = std::make_shared<GroupSnapshot>(group_ ? *group_ : GroupSnapshot{});
  next->group_id = std::move(group_id);
  next->exchange_topic = std::move(exchange_topic);
  next->units = std::move(units);
  next->rebalances = std::move(rebalances);
  group_ = std::move(next);
}

void RunMonitor::SetGroupMembers(std::vector<GroupMemberStatus> members) {
  std::lock_guard lock(mu_);
  auto next = std::make_shared<GroupSnapshot>(group_ ? *group_ : GroupSnapshot{});
  next->members = std::move(members);
  group_ = std::move(next);
}

std::shared_ptr<const GroupSnapshot> RunMonitor::group() const {
  std::lock_guard lock(mu_);
  return group_;
}

void RunMonitor::SetEndedMs(int64_t ended_ms) {
  std::lock_guard lock(mu_);
  ended_ms_ = ended_ms;
}

int64_t RunMonitor::EndOr(int64_t now_ms) const {
  std::lock_guard lock(mu_);
  return ended_ms_ > 0 ? ended_ms_ : now_ms;
}

std::shared_ptr<const QueryInfo> RunMonitor::query() const {
  std::lock_guard lock(mu_);
  return query_;
}

std::pair<RunState, std::string> RunMonitor::state() const {
  std::lock_guard lock(mu_);
  return {state_, state_message_};
}

std::shared_ptr<const TriggerProgress> RunMonitor::latest() const {
  std::lock_guard lock(mu_);
  return history_.empty() ? nullptr : history_.back();
}

std::vector<std::shared_ptr<const TriggerProgress>> RunMonitor::history(size_t max) const {
  std::lock_guard lock(mu_);
  size_t n = std::min(max, history_.size());
  return {history_.end() - static_cast<std::ptrdiff_t>(n), history_.end()};
}

std::shared_ptr<const std::vector<OperatorMetrics>> RunMonitor::operator_metrics() const {
  std::lock_guard lock(mu_);
  return operators_;
}

std::shared_ptr<const std::vector<PartitionStatus>> RunMonitor::partitions() const {
  std::lock_guard lock(mu_);
  return partitions_;
}

std::shared_ptr<const WindowsSnapshot> RunMonitor::windows() const {
  std::lock_guard lock(mu_);
  return windows_;
}

std::shared_ptr<const ResultsSnapshot> RunMonitor::results() const {
  std::lock_guard lock(mu_);
  return results_;
}

std::shared_ptr<const std::vector<WorkerStatus>> RunMonitor::workers() const {
  std::lock_guard lock(mu_);
  return workers_;
}

RunTotals RunMonitor::totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

}  // namespace sluice
