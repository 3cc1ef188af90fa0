#include "monitor/progress_json.h"

#include "monitor/process_stats.h"

namespace sluice {

namespace {

void AppendOffsets(JsonText& j, const std::vector<PartitionOffsets>& offsets, bool end) {
  j.BeginObject();
  for (const auto& o : offsets) {
    j.Key(std::to_string(o.partition.value)).Int(end ? o.end_offset : o.start_offset);
  }
  j.EndObject();
}

double Rate(int64_t rows, int64_t ms) {
  return ms > 0 ? static_cast<double>(rows) * 1000.0 / static_cast<double>(ms) : 0.0;
}

double RatePerUs(int64_t rows, int64_t us) {
  return us > 0 ? static_cast<double>(rows) * 1e6 / static_cast<double>(us) : 0.0;
}

void AppendTotals(JsonText& j, const RunTotals& t) {
  j.BeginObject()
      .Field("triggers", t.triggers)
      .Field("inputRows", t.input_rows)
      .Field("lateRows", t.late_rows)
      .Field("malformedRows", t.malformed_rows)
      .Field("outputRows", t.output_rows)
      .Field("busyMs", static_cast<double>(t.busy_us) / 1000.0)
      .Field("stateRowsRemoved", t.state_rows_removed)
      .Field("peakStateRows", t.peak_state_rows)
      .EndObject();
}

}  // namespace

void AppendTriggerJson(JsonText& j, const TriggerProgress& p, const QueryInfo& q) {
  const auto& d = p.duration;
  j.BeginObject()
      .Field("id", q.id)
      .Field("runId", q.run_id)
      .Field("name", q.name)
      .Field("timestamp", IsoTimestamp(p.timestamp_ms))
      .Field("batchId", p.batch_id)
      .Field("batchDuration", d.total_ms())
      .Field("numInputRows", p.num_input_rows)
      .Field("inputRowsPerSecond", p.input_rows_per_second)
      .Field("processedRowsPerSecond", p.processed_rows_per_second);
  j.Key("durationMs")
      .BeginObject()
      .Field("poll", d.poll_ms)
      .Field("parseFilter", d.parse_filter_ms)
      .Field("aggregate", d.aggregate_ms)
      .Field("emit", d.emit_ms)
      .Field("sink", d.sink_ms)
      .Field("checkpoint", d.checkpoint_ms)
      .Field("triggerExecution", d.total_ms())
      .EndObject();
  j.Key("eventTime").BeginObject();
  j.Key("max").OptIso(p.max_event_time_ms);
  j.Key("watermark").OptIso(p.watermark_ms);
  j.EndObject();
  j.Key("stateOperators")
      .BeginArray()
      .BeginObject()
      .Field("operatorName", "stateStoreSave")
      .Field("numRowsTotal", p.state.rows_total)
      .Field("numRowsUpdated", p.state.rows_updated)
      .Field("numRowsRemoved", p.state.rows_removed)
      .Field("numRowsDroppedByWatermark", p.state.rows_dropped_by_watermark)
      .Field("memoryUsedBytes", p.state.memory_bytes)
      .EndObject()
      .EndArray();
  j.Key("sources").BeginArray();
  for (const auto& s : p.sources) {
    j.BeginObject().Field("description", s.description);
    j.Key("startOffset");
    AppendOffsets(j, s.offsets, false);
    j.Key("endOffset");
    AppendOffsets(j, s.offsets, true);
    j.Field("numInputRows", s.num_input_rows)
        .Field("inputRowsPerSecond", p.num_input_rows > 0
                                         ? p.input_rows_per_second *
                                               static_cast<double>(s.num_input_rows) /
                                               static_cast<double>(p.num_input_rows)
                                         : 0.0)
        .Field("processedRowsPerSecond", RatePerUs(s.num_input_rows, d.total_us))
        .EndObject();
  }
  j.EndArray();
  j.Key("sink")
      .BeginObject()
      .Field("description", p.sink_description)
      .Field("numOutputRows", p.output_rows)
      .EndObject();
  j.Key("sluice")
      .BeginObject()
      .Field("timestampMs", p.timestamp_ms)
      .Field("triggerIntervalMs", d.interval_ms)
      .Field("triggerExecutionUs", d.total_us)
      .Field("maxEventTimeMs", p.max_event_time_ms)
      .Field("watermarkMs", p.watermark_ms)
      .Field("watermarkGapMs", p.watermark_gap_ms())
      .Field("lateRows", p.late_rows)
      .Field("malformedRows", p.malformed_rows);
  j.Key("totals");
  AppendTotals(j, p.totals);
  j.EndObject();
  j.EndObject();
}

std::string ProgressJson(const RunMonitor& monitor) {
  auto latest = monitor.latest();
  if (!latest) return "null";
  JsonText j;
  AppendTriggerJson(j, *latest, *monitor.query());
  return j.Take();
}

std::string HistoryJson(const RunMonitor& monitor, std::optional<int64_t> after_batch) {
  auto history = monitor.history();
  auto query = monitor.query();
  JsonText j;
  j.BeginArray();
  for (const auto& p : history) {
    if (after_batch && p->batch_id <= *after_batch) continue;
    AppendTriggerJson(j, *p, *query);
  }
  j.EndArray();
  return j.Take();
}

void AppendQueryInfoFields(JsonText& j, const QueryInfo& q) {
  j.Field("id", q.id)
      .Field("runId", q.run_id)
      .Field("name", q.name)
      .Field("sql", q.sql)
      .Field("outputMode", q.output_mode)
      .Field("triggerIntervalMs", q.trigger_interval_ms)
      .Field("watermarkDelayMs", q.watermark_delay_ms)
      .Field("source", q.source_description)
      .Field("sink", q.sink_description)
      .Field("numWorkers", q.num_workers)
      .Field("startedMs", q.started_ms);
}

std::string QueryJson(const RunMonitor& monitor, int64_t now_ms) {
  auto q = monitor.query();
  auto [state, message] = monitor.state();
  RunTotals t = monitor.totals();
  const int64_t end_ms = monitor.EndOr(now_ms);
  int64_t uptime = q->started_ms > 0 ? std::max<int64_t>(0, end_ms - q->started_ms) : 0;
  JsonText j;
  j.BeginObject();
  AppendQueryInfoFields(j, *q);
  j.Field("nowMs", now_ms)
      .Field("uptimeMs", uptime)
      .Field("state", RunStateName(state))
      .Field("message", message);
  j.Key("totals");
  AppendTotals(j, t);
  // Averages over the run: what the end-of-run summary prints.
  j.Field("avgInputRowsPerSecond", Rate(t.input_rows, uptime))
      .Field("avgProcessedRowsPerSecond", RatePerUs(t.input_rows, t.busy_us))
      .EndObject();
  return j.Take();
}

std::string PlanJson(const RunMonitor& monitor) {
  auto q = monitor.query();
  auto metrics = monitor.operator_metrics();
  JsonText j;
  j.BeginObject().Field("sql", q->sql).Field("outputMode", q->output_mode);
  j.Key("nodes").BeginArray();
  for (const auto& n : q->plan) {
    OperatorMetrics m;
    for (const auto& x : *metrics) {
      if (x.node_id == n.id) m = x;
    }
    j.BeginObject()
        .Field("id", n.id)
        .Field("name", n.name)
        .Field("detail", n.detail)
        .Field("stage", n.stage);
    j.Key("children").BeginArray();
    for (int c : n.children) j.Int(c);
    j.EndArray();
    j.Field("rowsIn", m.rows_in)
        .Field("rowsOut", m.rows_out)
        .Field("timeNs", m.time_ns)
        .EndObject();
  }
  j.EndArray().EndObject();
  return j.Take();
}

std::string PartitionsJson(const RunMonitor& monitor) {
  auto parts = monitor.partitions();
  auto latest = monitor.latest();
  JsonText j;
  j.BeginObject();
  j.Field("watermarkMs", latest ? latest->watermark_ms : std::nullopt);
  j.Field("maxEventTimeMs", latest ? latest->max_event_time_ms : std::nullopt);
  j.Key("partitions").BeginArray();
  for (const auto& p : *parts) {
    j.BeginObject()
        .Field("partition", p.partition.value)
        .Field("recordsPerSecond", p.records_per_second)
        .Field("recordsTotal", p.records_total)
        .Field("nextOffset", p.next_offset)
        .Field("endOffset", p.end_offset >= 0 ? std::optional<int64_t>(p.end_offset) : std::nullopt)
        .Field("lag", p.lag() >= 0 ? std::optional<int64_t>(p.lag()) : std::nullopt)
        .Field("watermarkMs", p.watermark_ms)
        .Field("maxEventTimeMs", p.max_event_time_ms)
        .Field("idle", p.idle)
        .EndObject();
  }
  j.EndArray().EndObject();
  return j.Take();
}

std::string WindowsJson(const RunMonitor& monitor) {
  auto w = monitor.windows();
  JsonText j;
  j.BeginObject()
      .Field("watermarkMs", w->watermark_ms)
      .Field("openWindows", w->open_windows)
      .Field("truncated", w->open_windows > static_cast<int64_t>(w->windows.size()));
  j.Key("windows").BeginArray();
  for (const auto& x : w->windows) {
    j.BeginObject()
        .Field("startMs", x.start_ms)
        .Field("endMs", x.end_ms)
        .Field("groups", x.groups)
        .Field("inputRows", x.input_rows)
        .Field("firesAtMs", x.fires_at_ms)
        // How far the watermark still has to advance before the window fires.
        .Field("waitingForMs", w->watermark_ms ? std::optional<int64_t>(std::max<int64_t>(
                                                     0, x.fires_at_ms - *w->watermark_ms))
                                               : std::nullopt)
        .EndObject();
  }
  j.EndArray().EndObject();
  return j.Take();
}

std::string ResultsJson(const RunMonitor& monitor) {
  auto r = monitor.results();
  JsonText j;
  j.BeginObject()
      .Field("batchId", r->batch_id)
      .Field("outputMode", r->output_mode)
      .Field("totalRows", r->total_rows)
      .Field("truncated", r->total_rows > static_cast<int64_t>(r->rows.size()));
  j.Key("columns").BeginArray();
  for (const auto& c : r->columns) j.String(c);
  j.EndArray();
  j.Key("rows").BeginArray();
  for (const auto& row : r->rows) {
    j.BeginArray();
    for (const auto& v : row) j.String(v);
    j.EndArray();
  }
  j.EndArray().EndObject();
  return j.Take();
}

std::string WorkersJson(const RunMonitor& monitor) {
  auto workers = monitor.workers();
  auto latest = monitor.latest();
  ProcessStats ps = ReadProcessStats();
  JsonText j;
  j.BeginObject();
  j.Key("workers").BeginArray();
  for (const auto& w : *workers) {
    j.BeginObject()
        .Field("id", w.id)
        .Field("busyShare", w.busy_share)
        .Field("recordsLastTrigger", w.records_last_trigger)
        .Field("recordsTotal", w.records_total)
        .EndObject();
  }
  j.EndArray();
  j.Key("process")
      .BeginObject()
      .Field("residentMemoryBytes", ps.resident_bytes)
      .Field("maxResidentMemoryBytes", ps.max_resident_bytes)
      .Field("virtualMemoryBytes", ps.virtual_bytes)
      .Field("cpuSeconds", ps.cpu_seconds)
      .EndObject();
  j.Key("state")
      .BeginObject()
      .Field("rows", latest ? latest->state.rows_total : 0)
      .Field("memoryBytes", latest ? latest->state.memory_bytes : 0)
      .EndObject();
  if (auto g = monitor.group()) {
    j.Key("group").BeginObject().Field("id", g->group_id).Field("exchangeTopic", g->exchange_topic);
    j.Key("members").BeginArray();
    for (const auto& m : g->members) {
      j.BeginObject()
          .Field("memberId", m.member_id)
          .Field("host", m.host)
          .Field("updatedMs", m.updated_ms)
          .Field("self", m.self);
      j.Key("partitions").BeginArray();
      for (const auto& p : m.partitions) j.String(p);
      j.EndArray().EndObject();
    }
    j.EndArray();
    j.Key("units").BeginArray();
    for (const auto& u : g->units) {
      j.BeginObject()
          .Field("kind", u.kind)
          .Field("partition", u.partition)
          .Field("epoch", u.epoch)
          .Field("nextOffset", u.next_offset)
          .Field("endOffset", u.end_offset)
          .Field("lag", u.end_offset < 0 || u.next_offset < 0
                            ? -1
                            : std::max<int64_t>(0, u.end_offset - u.next_offset))
          .Field("stateRows", u.state_rows);
      if (u.watermark_ms) j.Field("watermarkMs", *u.watermark_ms);
      j.EndObject();
    }
    j.EndArray();
    j.Key("rebalances").BeginArray();
    for (const auto& r : g->rebalances) {
      j.BeginObject()
          .Field("atMs", r.at_ms)
          .Field("change", r.change)
          .Field("restoreMs", r.restore_ms)
          .EndObject();
    }
    j.EndArray().EndObject();
  }
  j.EndObject();
  return j.Take();
}

}  // namespace sluice
