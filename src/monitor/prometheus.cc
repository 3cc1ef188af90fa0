#include "monitor/prometheus.h"

#include <fmt/format.h>

#include <cmath>
#include <initializer_list>
#include <utility>

#include "monitor/process_stats.h"

namespace sluice {

namespace {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Writes one metric family: HELP and TYPE once, then its samples.
class Family {
 public:
  Family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
      : out_(out), name_(name) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  Family& Sample(double value, Labels labels = {}) {
    out_.append(name_);
    if (labels.size() > 0) {
      out_.push_back('{');
      bool first = true;
      for (const auto& [k, v] : labels) {
        if (!first) out_.push_back(',');
        first = false;
        out_.append(k);
        out_.append("=\"");
        AppendPrometheusLabelValue(out_, v);
        out_.push_back('"');
      }
      out_.push_back('}');
    }
    out_.push_back(' ');
    if (std::isnan(value)) {
      out_.append("NaN");
    } else if (std::isinf(value)) {
      out_.append(value > 0 ? "+Inf" : "-Inf");
    } else {
      fmt::format_to(std::back_inserter(out_), "{}", value);
    }
    out_.push_back('\n');
    return *this;
  }
  Family& Sample(int64_t value, Labels labels = {}) {
    return Sample(static_cast<double>(value), labels);
  }

 private:
  std::string& out_;
  std::string_view name_;
};

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

void AppendPrometheusLabelValue(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '"':
        out.append("\\\"");
        break;
      case '\n':
        out.append("\\n");
        break;
      default:
        out.push_back(c);
    }
  }
}

std::string PrometheusText(const RunMonitor& monitor) {
  auto q = monitor.query();
  auto latest = monitor.latest();
  auto [state, message] = monitor.state();
  RunTotals t = monitor.totals();
  auto parts = monitor.partitions();
  auto windows = monitor.windows();
  auto ops = monitor.operator_metrics();
  auto workers = monitor.workers();
  ProcessStats ps = ReadProcessStats();

  std::string out;
  out.reserve(4096);
  Family(out, "sluice_query_info", "gauge", "Constant 1, labelled with the query's identity.")
      .Sample(int64_t{1}, {{"id", q->id},
                           {"run_id", q->run_id},
                           {"name", q->name},
                           {"output_mode", q->output_mode}});
  {
    Family f(out, "sluice_query_state", "gauge",
             "1 for the run's current state, 0 for the others.");
    for (RunState s :
         {RunState::kStarting, RunState::kRunning, RunState::kFinished, RunState::kFailed}) {
      f.Sample(int64_t{s == state ? 1 : 0}, {{"state", RunStateName(s)}});
    }
  }
  Family(out, "sluice_triggers_total", "counter", "Triggers (micro-batches) completed.")
      .Sample(t.triggers);
  Family(out, "sluice_input_rows_total", "counter", "Records read from the source.")
      .Sample(t.input_rows);
  Family(out, "sluice_output_rows_total", "counter", "Rows written to the sink.")
      .Sample(t.output_rows);
  Family(out, "sluice_late_rows_total", "counter",
         "Records dropped because they were behind the watermark.")
      .Sample(t.late_rows);
  Family(out, "sluice_malformed_rows_total", "counter", "Records that could not be parsed.")
      .Sample(t.malformed_rows);
  Family(out, "sluice_busy_seconds_total", "counter", "Wall time spent executing triggers.")
      .Sample(static_cast<double>(t.busy_us) / 1e6);

  if (latest) {
    const auto& p = *latest;
    Family(out, "sluice_batch_id", "gauge", "Id of the latest trigger.").Sample(p.batch_id);
    Family(out, "sluice_batch_input_rows", "gauge", "Records read by the latest trigger.")
        .Sample(p.num_input_rows);
    Family(out, "sluice_input_rows_per_second", "gauge", "Arrival rate over the latest trigger.")
        .Sample(p.input_rows_per_second);
    Family(out, "sluice_processed_rows_per_second", "gauge",
           "Processing rate of the latest trigger.")
        .Sample(p.processed_rows_per_second);
    Family(out, "sluice_batch_duration_seconds", "gauge",
           "Execution time of the latest trigger (busy time, without waiting for records).")
        .Sample(static_cast<double>(p.duration.total_us) / 1e6);
    Family(out, "sluice_trigger_interval_seconds", "gauge",
           "Time from the end of the trigger before the latest (or of the last interval "
           "without records) to the end of the latest.")
        .Sample(Seconds(p.duration.interval_ms));
    const auto& d = p.duration;
    Family(
        out, "sluice_batch_phase_duration_seconds", "gauge",
        "Wall time of each phase of the latest trigger (poll is not part of the batch duration).")
        .Sample(Seconds(d.poll_ms), {{"phase", "poll"}})
        .Sample(Seconds(d.parse_filter_ms), {{"phase", "parse_filter"}})
        .Sample(Seconds(d.aggregate_ms), {{"phase", "aggregate"}})
        .Sample(Seconds(d.emit_ms), {{"phase", "emit"}})
        .Sample(Seconds(d.sink_ms), {{"phase", "sink"}})
        .Sample(Seconds(d.checkpoint_ms), {{"phase", "checkpoint"}});
    Family(out, "sluice_state_rows", "gauge", "Groups held in aggregation state.")
        .Sample(p.state.rows_total);
    Family(out, "sluice_state_rows_updated", "gauge",
           "Groups created or changed by the latest trigger.")
        .Sample(p.state.rows_updated);
    Family(out, "sluice_state_rows_removed", "gauge",
           "Groups evicted by the latest trigger (their window closed).")
        .Sample(p.state.rows_removed);
    Family(out, "sluice_state_memory_bytes", "gauge", "Estimated heap used by aggregation state.")
        .Sample(p.state.memory_bytes);
    if (p.watermark_ms) {
      Family(out, "sluice_watermark_seconds", "gauge",
             "Global event-time watermark, seconds since the epoch.")
          .Sample(Seconds(*p.watermark_ms));
    }
    if (p.max_event_time_ms) {
      Family(out, "sluice_max_event_time_seconds", "gauge",
             "Newest event time seen, seconds since the epoch.")
          .Sample(Seconds(*p.max_event_time_ms));
    }
    if (auto gap = p.watermark_gap_ms()) {
      Family(out, "sluice_watermark_gap_seconds", "gauge", "Newest event time minus the watermark.")
          .Sample(Seconds(*gap));
    }
  }

  Family(out, "sluice_open_windows", "gauge", "Windows holding state that have not fired yet.")
      .Sample(windows->open_windows);

  if (!parts->empty()) {
    std::vector<std::string> ids;
    ids.reserve(parts->size());
    for (const auto& p : *parts) ids.push_back(std::to_string(p.partition.value));
    auto per_partition = [&](std::string_view name, std::string_view type, std::string_view help,
                             auto value, auto present) {
      Family f(out, name, type, help);
      for (size_t i = 0; i < parts->size(); ++i) {
        const auto& p = (*parts)[i];
        if (present(p)) f.Sample(value(p), {{"partition", ids[i]}});
      }
    };
    auto always = [](const PartitionStatus&) { return true; };
    per_partition(
        "sluice_partition_records_per_second", "gauge",
        "Records read per second over the latest trigger.",
        [](const PartitionStatus& p) { return p.records_per_second; }, always);
    per_partition(
        "sluice_partition_records_total", "counter", "Records read from the partition.",
        [](const PartitionStatus& p) { return static_cast<double>(p.records_total); }, always);
    per_partition(
        "sluice_partition_next_offset", "gauge", "Next offset to read.",
        [](const PartitionStatus& p) { return static_cast<double>(p.next_offset); }, always);
    per_partition(
        "sluice_partition_lag", "gauge", "Records between the next offset and the partition's end.",
        [](const PartitionStatus& p) { return static_cast<double>(p.lag()); },
        [](const PartitionStatus& p) { return p.lag() >= 0; });
    per_partition(
        "sluice_partition_watermark_seconds", "gauge",
        "The partition's watermark, seconds since the epoch.",
        [](const PartitionStatus& p) { return Seconds(*p.watermark_ms); },
        [](const PartitionStatus& p) { return p.watermark_ms.has_value(); });
    per_partition(
        "sluice_partition_idle", "gauge",
        "1 if the partition is idle (excluded from the watermark).",
        [](const PartitionStatus& p) { return p.idle ? 1.0 : 0.0; }, always);
  }

  if (!q->plan.empty() && !ops->empty()) {
    auto per_operator = [&](std::string_view name, std::string_view help, auto value) {
      Family f(out, name, "counter", help);
      for (const auto& m : *ops) {
        for (const auto& n : q->plan) {
          if (n.id != m.node_id) continue;
          std::string id = std::to_string(n.id);
          f.Sample(value(m), {{"operator_id", id}, {"operator", n.name}});
        }
      }
    };
    per_operator("sluice_operator_input_rows_total", "Rows into the operator.",
                 [](const OperatorMetrics& m) { return static_cast<double>(m.rows_in); });
    per_operator("sluice_operator_output_rows_total", "Rows out of the operator.",
                 [](const OperatorMetrics& m) { return static_cast<double>(m.rows_out); });
    per_operator("sluice_operator_seconds_total", "Time spent in the operator.",
                 [](const OperatorMetrics& m) { return static_cast<double>(m.time_ns) / 1e9; });
  }

  if (!workers->empty()) {
    Family busy(out, "sluice_worker_busy_ratio", "gauge",
                "Share of the latest trigger the worker was busy.");
    for (const auto& w : *workers) busy.Sample(w.busy_share, {{"worker", std::to_string(w.id)}});
    Family records(out, "sluice_worker_records_total", "counter",
                   "Records processed by the worker.");
    for (const auto& w : *workers)
      records.Sample(w.records_total, {{"worker", std::to_string(w.id)}});
  }

  Family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
      .Sample(ps.resident_bytes);
  Family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
      .Sample(ps.virtual_bytes);
  Family(out, "process_cpu_seconds_total", "counter",
         "Total user and system CPU time spent in seconds.")
      .Sample(ps.cpu_seconds);
  if (q->started_ms > 0) {
    Family(out, "process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.")
        .Sample(Seconds(q->started_ms));
  }
  return out;
}

}  // namespace sluice
