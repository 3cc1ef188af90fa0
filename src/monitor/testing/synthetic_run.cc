#include "monitor/testing/synthetic_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "monitor/progress_printer.h"

namespace sluice {

SyntheticRun::SyntheticRun(int64_t start_ms, int64_t trigger_ms, uint64_t seed)
    : start_ms_(start_ms), trigger_ms_(trigger_ms), rng_(seed), event_time_ms_(start_ms - 2000) {}

void SyntheticRun::Start(RunMonitor& monitor) {
  QueryInfo q;
  q.id = "3f2b7c1e-9a4d-4e8b-b1c2-5d6e7f8a9b0c";
  q.run_id = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
  q.name = "crash_monitor";
  q.sql =
      "SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS "
      "crash_count\n"
      "FROM logs WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')\n"
      "GROUP BY window(timestamp, '10 seconds'), user_id HAVING count(*) > 2";
  q.output_mode = "append";
  q.trigger_interval_ms = trigger_ms_;
  q.watermark_delay_ms = 5000;
  q.source_description = "generator(partitions=3, rate=200000/s)";
  q.sink_description = "console";
  q.num_workers = 2;
  q.started_ms = start_ms_;
  q.plan = {
      {0, "Scan", "generator, 3 partitions", {}, 0},
      {1, "ParseJson", "timestamp, severity, user_id, content", {0}, 0},
      {2, "Filter", "lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')", {1}, 0},
      {3, "WindowAssign", "window(timestamp, 10 s) tumbling", {2}, 0},
      {4, "PartialAggregate", "keys: window, user_id; count(*)", {3}, 0},
      {5, "StateStore", "merge partials; evict when watermark >= window end", {4}, 1},
      {6, "Having", "count(*) > 2", {5}, 1},
      {7, "Sink", "console, append", {6}, 1},
  };
  monitor.SetQueryInfo(std::move(q));
  monitor.SetState(RunState::kRunning);
}

void SyntheticRun::Step(RunMonitor& monitor) {
  std::uniform_real_distribution<double> noise(0.85, 1.15);
  const int64_t now = start_ms_ + batch_ * trigger_ms_;
  TriggerProgress p;
  p.batch_id = batch_;
  p.timestamp_ms = now;
  // Partition 2 is slower (skew) and goes idle for a while, so the views have something to show.
  const bool p2_idle = batch_ % 40 >= 30;
  int64_t rows[3];
  for (int i = 0; i < 3; ++i) {
    double base = i == 2 ? 35000 : 80000;
    rows[i] =
        i == 2 && p2_idle
            ? 0
            : static_cast<int64_t>(base * noise(rng_) * static_cast<double>(trigger_ms_) / 1000.0);
  }
  p.num_input_rows = rows[0] + rows[1] + rows[2];
  p.duration.poll_ms = static_cast<int64_t>(40 * noise(rng_));
  p.duration.parse_filter_ms =
      static_cast<int64_t>(static_cast<double>(p.num_input_rows) / 1500.0 * noise(rng_));
  p.duration.aggregate_ms = static_cast<int64_t>(20 * noise(rng_));
  p.duration.emit_ms = batch_ % 10 == 0 ? 12 : 2;
  p.duration.sink_ms = batch_ % 10 == 0 ? 8 : 1;
  p.duration.checkpoint_ms = 5;
  p.duration.total_us = (p.duration.parse_filter_ms + p.duration.aggregate_ms + p.duration.emit_ms +
                         p.duration.sink_ms + p.duration.checkpoint_ms) *
                        1000;
  p.duration.interval_ms = trigger_ms_;
  p.input_rows_per_second =
      static_cast<double>(p.num_input_rows) * 1000.0 / static_cast<double>(trigger_ms_);
  p.processed_rows_per_second = static_cast<double>(p.num_input_rows) * 1000.0 /
                                static_cast<double>(std::max<int64_t>(1, p.duration.total_ms()));
  event_time_ms_ = now - 500;
  p.max_event_time_ms = event_time_ms_;
  p.watermark_ms = event_time_ms_ - 5000;
  const int64_t crash_rows = p.num_input_rows / 200;
  p.state.rows_total = 1000 + static_cast<int64_t>((batch_ % 10) * 90 * noise(rng_));
  p.state.rows_updated = std::min<int64_t>(crash_rows, p.state.rows_total);
  p.state.rows_removed = batch_ % 10 == 0 ? 900 : 0;
  p.late_rows = batch_ % 7 == 3 ? static_cast<int64_t>(rng_() % 40) : 0;
  p.state.rows_dropped_by_watermark = p.late_rows;
  p.state.memory_bytes = p.state.rows_total * 96;
  p.malformed_rows = static_cast<int64_t>(rng_() % 5);
  p.output_rows = batch_ % 10 == 0 ? 37 : 0;
  SourceProgress src;
  src.description = "generator(partitions=3, rate=200000/s)";
  for (int i = 0; i < 3; ++i) {
    src.offsets.push_back({PartitionId(i), offsets_[i], offsets_[i] + rows[i]});
    offsets_[i] += rows[i];
  }
  src.num_input_rows = p.num_input_rows;
  p.sources.push_back(std::move(src));
  p.sink_description = "console";

  // Operators: cumulative rows and time.
  int64_t flow[8] = {p.num_input_rows,     p.num_input_rows - p.malformed_rows,
                     crash_rows,           crash_rows,
                     p.state.rows_updated, p.state.rows_updated,
                     p.output_rows,        p.output_rows};
  int64_t phase_ms[8] = {p.duration.poll_ms,
                         p.duration.parse_filter_ms * 3 / 4,
                         p.duration.parse_filter_ms / 4,
                         1,
                         p.duration.aggregate_ms / 2,
                         p.duration.aggregate_ms / 2,
                         p.duration.emit_ms,
                         p.duration.sink_ms};
  std::vector<OperatorMetrics> ops;
  for (int i = 0; i < 8; ++i) {
    op_in_[i] += i == 0 ? flow[0] : flow[i - 1];
    op_out_[i] += flow[i];
    op_ns_[i] += phase_ms[i] * 1'000'000;
    ops.push_back({i, op_in_[i], op_out_[i], op_ns_[i]});
  }
  monitor.SetOperatorMetrics(std::move(ops));

  std::vector<PartitionStatus> parts;
  for (int i = 0; i < 3; ++i) {
    PartitionStatus s;
    s.partition = PartitionId(i);
    s.records_per_second = static_cast<double>(rows[i]) * 1000.0 / static_cast<double>(trigger_ms_);
    s.records_total = offsets_[i];
    s.next_offset = offsets_[i];
    s.end_offset = offsets_[i] + (i == 2 ? 120000 : static_cast<int64_t>(rng_() % 3000));
    s.idle = i == 2 && p2_idle;
    s.max_event_time_ms = event_time_ms_ - (i == 2 ? 3000 : 0);
    s.watermark_ms = *s.max_event_time_ms - 5000;
    parts.push_back(s);
  }
  monitor.SetPartitions(std::move(parts));

  // Open windows: every 10 s window from the watermark's window to the newest event's.
  std::vector<WindowStatus> windows;
  for (int64_t w = *p.watermark_ms / 10000 * 10000; w <= event_time_ms_; w += 10000) {
    WindowStatus ws;
    ws.start_ms = w;
    ws.end_ms = w + 10000;
    ws.fires_at_ms = ws.end_ms;
    ws.input_rows =
        crash_rows * std::min<int64_t>(10, std::max<int64_t>(1, (event_time_ms_ - w) / 1000));
    ws.groups = std::min<int64_t>(1000, ws.input_rows / 2);
    windows.push_back(ws);
  }
  monitor.SetWindows(std::move(windows), p.watermark_ms);

  if (p.output_rows > 0) {
    ResultsSnapshot r;
    r.batch_id = batch_;
    r.output_mode = "append";
    r.columns = {"window_start", "window_end", "user_id", "crash_count"};
    int64_t wend = *p.watermark_ms / 10000 * 10000;
    for (int64_t i = 0; i < p.output_rows; ++i) {
      r.rows.push_back({UtcTime(wend - 10000), UtcTime(wend),
                        fmt::format("user_{}", 1000 + (rng_() % 1000)),
                        std::to_string(3 + rng_() % 5)});
    }
    monitor.SetResults(std::move(r));
  }

  std::vector<WorkerStatus> workers;
  for (int i = 0; i < 2; ++i) {
    WorkerStatus w;
    w.id = i;
    w.records_last_trigger = i == 0 ? rows[0] + rows[2] : rows[1];
    worker_records_[i] += w.records_last_trigger;
    w.records_total = worker_records_[i];
    w.busy_share =
        std::min(1.0, static_cast<double>(p.duration.parse_filter_ms + p.duration.aggregate_ms) /
                          static_cast<double>(trigger_ms_) * (i == 0 ? 1.1 : 0.8));
    workers.push_back(w);
  }
  monitor.SetWorkers(std::move(workers));
  monitor.PublishTrigger(std::move(p));
  ++batch_;
}

}  // namespace sluice
