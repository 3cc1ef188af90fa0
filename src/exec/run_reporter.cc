#include "exec/run_reporter.h"

#include <algorithm>
#include <chrono>

#include "format/value_text.h"

namespace sluice {
namespace {

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<int64_t> Known(int64_t t) {
  if (t == kMinTime || t == kMaxTime) return std::nullopt;
  return t;
}

}  // namespace

RunReporter::RunReporter(RunMonitor& monitor, const Engine& engine, const Source& source,
                         const Sink& sink, const PhysicalPlan& plan, const TimeZone& tz)
    : monitor_(monitor), engine_(engine), source_(source), sink_(sink), plan_(plan), tz_(tz) {}

std::vector<PlanNode> RunReporter::PlanNodes(const PhysicalPlan& plan) {
  std::vector<PlanNode> nodes;
  for (const auto& s : plan.stages) {
    PlanNode n;
    n.id = s.id;
    n.name = s.name;
    n.detail = s.detail + " [" + s.parallelism + "]";
    if (s.id > 0) n.children = {s.id - 1};
    // Stages run in three pipelines: per batch, per key range, then on the driver.
    n.stage = s.parallelism.rfind("per batch", 0) == 0 ? 1
              : s.parallelism == "per key range"       ? 2
              : s.name == "Scan"                       ? 0
                                                       : 3;
    nodes.push_back(std::move(n));
  }
  return nodes;
}

void RunReporter::OnTrigger(const TriggerReport& r) {
  const int64_t now = WallNowMs();
  const RunCounters& c = engine_.counters();
  const int64_t wall_ms = std::max<int64_t>(r.wall_ms, 1);

  TriggerProgress p;
  p.batch_id = r.batch_id;
  p.timestamp_ms = now - r.wall_ms;
  p.num_input_rows = r.input_rows;
  p.input_rows_per_second =
      static_cast<double>(r.input_rows) * 1000.0 / static_cast<double>(wall_ms);
  const double busy_s = static_cast<double>(std::max<int64_t>(r.busy_ns, 1)) / 1e9;
  p.processed_rows_per_second = static_cast<double>(r.input_rows) / busy_s;
  p.duration.poll_ms = r.poll_ns / 1'000'000;
  p.duration.parse_filter_ms = r.parse_ns / 1'000'000;
  p.duration.aggregate_ms = r.aggregate_ns / 1'000'000;
  p.duration.emit_ms = r.emit_ns / 1'000'000;
  p.duration.sink_ms = r.sink_ns / 1'000'000;
  p.duration.checkpoint_ms = r.checkpoint_ns / 1'000'000;
  p.duration.total_us = r.busy_ns / 1'000;
  p.duration.interval_ms = r.wall_ms;
  p.max_event_time_ms = Known(r.max_event_time);
  p.watermark_ms = Known(r.watermark);
  p.state.rows_total = r.state_rows;
  p.state.rows_updated = r.state_changes.updated;
  p.state.rows_removed = r.state_changes.removed;
  p.state.rows_dropped_by_watermark = c.late_rows - last_.late_rows;
  p.state.memory_bytes = r.state_bytes;
  p.late_rows = c.late_records - last_.late_records;
  p.malformed_rows = c.malformed_records - last_.malformed_records;
  p.output_rows = r.output_rows;
  p.sink_description = sink_.Describe();

  // Offsets and counts are those the engine processed; the source only adds where each
  // partition ends (for the lag).
  std::map<int32_t, int64_t> ends;
  for (const auto& info : source_.Partitions()) ends[info.id.value] = info.end_offset;
  SourceProgress sp;
  sp.description = source_.Describe();
  sp.num_input_rows = r.input_rows;
  std::vector<PartitionStatus> parts;
  const auto& wm = engine_.watermarks();
  for (const PartitionProgress& pp : r.partitions) {
    sp.offsets.push_back({pp.partition, pp.start_offset, pp.end_offset});
    PartitionStatus ps;
    ps.partition = pp.partition;
    ps.records_total = partition_totals_[pp.partition.value] += pp.rows;
    ps.records_per_second = static_cast<double>(pp.rows) * 1000.0 / static_cast<double>(wall_ms);
    ps.next_offset = pp.end_offset;
    const auto end = ends.find(pp.partition.value);
    ps.end_offset = end != ends.end() ? end->second : -1;
    auto it = wm.partitions().find(pp.partition);
    if (it != wm.partitions().end()) {
      ps.max_event_time_ms = Known(it->second.max_event);
      if (ps.max_event_time_ms) ps.watermark_ms = *ps.max_event_time_ms - wm.delay_ms();
      ps.idle = it->second.idle;
    }
    parts.push_back(ps);
  }
  // Partitions assigned but not read from yet still show, with their lag.
  for (const auto& info : source_.Partitions()) {
    const bool listed = std::any_of(parts.begin(), parts.end(), [&](const PartitionStatus& ps) {
      return ps.partition == info.id;
    });
    if (listed) continue;
    PartitionStatus ps;
    ps.partition = info.id;
    ps.next_offset = info.next_offset.value;
    ps.end_offset = info.end_offset;
    parts.push_back(ps);
  }
  p.sources.push_back(std::move(sp));
  monitor_.PublishTrigger(std::move(p));
  monitor_.SetPartitions(std::move(parts));

  std::vector<WindowStatus> windows;
  for (const WindowSize& ws : r.open_windows) {
    WindowStatus w;
    w.start_ms = ws.start;
    w.end_ms =
        ws.start == INT64_MIN ? ws.start : ws.start + (r.window_size_ms > 0 ? r.window_size_ms : 0);
    w.groups = ws.groups;
    w.input_rows = ws.input_rows;
    w.fires_at_ms = w.end_ms;
    windows.push_back(w);
  }
  monitor_.SetWindows(std::move(windows), Known(r.watermark));

  if (r.output != nullptr) {
    ResultsSnapshot rs;
    rs.batch_id = r.output->batch_id;
    rs.output_mode = std::string(OutputModeName(r.output->mode));
    rs.columns = r.output->column_names;
    rs.total_rows = static_cast<int64_t>(r.output->num_rows());
    for (size_t i = 0; i < r.output->rows.size() && i < RunMonitor::kMaxResultRows; ++i) {
      std::vector<std::string> cells;
      for (const auto& v : r.output->rows[i]) cells.push_back(CellText(v.view(), tz_));
      rs.rows.push_back(std::move(cells));
    }
    // Keep showing the last non-empty result while windows wait to fire.
    if (!rs.rows.empty() || r.output->mode == OutputMode::kComplete)
      monitor_.SetResults(std::move(rs));
  }

  const auto busy = engine_.pool().BusyNanos();
  const auto records = engine_.WorkerRecords();
  last_busy_ns_.resize(busy.size(), 0);
  last_worker_records_.resize(records.size(), 0);
  std::vector<WorkerStatus> workers;
  for (size_t w = 0; w < busy.size(); ++w) {
    WorkerStatus ws;
    ws.id = static_cast<int>(w);
    ws.busy_share = std::min(1.0, static_cast<double>(busy[w] - last_busy_ns_[w]) /
                                      (static_cast<double>(wall_ms) * 1e6));
    const int64_t rec = w < records.size() ? records[w] : 0;
    ws.records_total = rec;
    ws.records_last_trigger = rec - (w < last_worker_records_.size() ? last_worker_records_[w] : 0);
    workers.push_back(ws);
  }
  last_busy_ns_ = busy;
  last_worker_records_ = records;
  monitor_.SetWorkers(std::move(workers));

  parse_ns_ += r.parse_ns;
  aggregate_ns_ += r.aggregate_ns;
  emit_ns_ += r.emit_ns;
  std::vector<OperatorMetrics> ops;
  const int64_t parsed_ok = c.input_records - c.malformed_records;
  for (const auto& s : plan_.stages) {
    OperatorMetrics m;
    m.node_id = s.id;
    if (s.name == "Scan") {
      m.rows_out = c.input_records;
    } else if (s.name == "ParseJson") {
      m.rows_in = c.input_records;
      m.rows_out = parsed_ok;
      m.time_ns = parse_ns_;
    } else if (s.name == "Filter") {
      m.rows_in = parsed_ok;
      m.rows_out = c.filtered_records;
    } else if (s.name == "Watermark" || s.name == "WindowAssign" || s.name == "Exchange") {
      m.rows_in = m.rows_out = s.name == "Watermark" ? parsed_ok : c.filtered_records;
    } else if (s.name == "PartialAggregate") {
      m.rows_in = c.filtered_records;
      m.rows_out = c.filtered_records - c.late_records;
      m.time_ns = aggregate_ns_;
    } else if (s.name == "FinalAggregate" || s.name == "Project" || s.name == "Sort" ||
               s.name == "Sink") {
      m.rows_in = m.rows_out = c.output_rows;
      if (s.name == "FinalAggregate") m.time_ns = emit_ns_;
    }
    ops.push_back(m);
  }
  monitor_.SetOperatorMetrics(std::move(ops));
  last_ = c;
}

}  // namespace sluice
