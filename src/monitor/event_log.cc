#include "monitor/event_log.h"

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/file_util.h"
#include "monitor/progress_json.h"

namespace sluice {
namespace {

// Integer field `key` of `obj`, or `fallback` when absent, null or not an integer.
int64_t IntOr(simdjson::dom::object obj, std::string_view key, int64_t fallback = 0) {
  int64_t v = 0;
  if (obj[key].get(v) == simdjson::SUCCESS) return v;
  double d = 0;
  if (obj[key].get(d) == simdjson::SUCCESS) return static_cast<int64_t>(d);
  return fallback;
}

std::optional<int64_t> OptInt(simdjson::dom::object obj, std::string_view key) {
  int64_t v = 0;
  if (obj[key].get(v) == simdjson::SUCCESS) return v;
  return std::nullopt;
}

double DoubleOr(simdjson::dom::object obj, std::string_view key) {
  double v = 0;
  if (obj[key].get(v) == simdjson::SUCCESS) return v;
  int64_t i = 0;
  if (obj[key].get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  return 0;
}

std::string StringOr(simdjson::dom::object obj, std::string_view key) {
  std::string_view v;
  if (obj[key].get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

// Calls f(object) for each object in the array `key` of `o` (none when it is absent).
template <typename F>
void ForEachObject(simdjson::dom::object o, std::string_view key, F&& f) {
  simdjson::dom::array a;
  if (o[key].get(a) != simdjson::SUCCESS) return;
  for (simdjson::dom::element e : a) {
    simdjson::dom::object x;
    if (e.get(x) == simdjson::SUCCESS) f(x);
  }
}

QueryInfo ReadQuery(simdjson::dom::object q) {
  QueryInfo info;
  info.id = StringOr(q, "id");
  info.run_id = StringOr(q, "runId");
  info.name = StringOr(q, "name");
  info.sql = StringOr(q, "sql");
  info.output_mode = StringOr(q, "outputMode");
  info.trigger_interval_ms = IntOr(q, "triggerIntervalMs");
  info.watermark_delay_ms = IntOr(q, "watermarkDelayMs");
  info.source_description = StringOr(q, "source");
  info.sink_description = StringOr(q, "sink");
  info.num_workers = static_cast<int>(IntOr(q, "numWorkers", 1));
  info.started_ms = IntOr(q, "startedMs");
  return info;
}

// The inverse of AppendTriggerJson, for the fields a TriggerProgress holds.
TriggerProgress ReadProgress(simdjson::dom::object o) {
  TriggerProgress p;
  simdjson::dom::object s, d, st, sink;
  const bool has_sluice = o["sluice"].get(s) == simdjson::SUCCESS;
  p.batch_id = IntOr(o, "batchId");
  p.num_input_rows = IntOr(o, "numInputRows");
  p.input_rows_per_second = DoubleOr(o, "inputRowsPerSecond");
  p.processed_rows_per_second = DoubleOr(o, "processedRowsPerSecond");
  if (o["durationMs"].get(d) == simdjson::SUCCESS) {
    p.duration.poll_ms = IntOr(d, "poll");
    p.duration.parse_filter_ms = IntOr(d, "parseFilter");
    p.duration.aggregate_ms = IntOr(d, "aggregate");
    p.duration.emit_ms = IntOr(d, "emit");
    p.duration.sink_ms = IntOr(d, "sink");
    p.duration.checkpoint_ms = IntOr(d, "checkpoint");
    p.duration.total_us = IntOr(d, "triggerExecution") * 1000;
  }
  simdjson::dom::array ops;
  if (o["stateOperators"].get(ops) == simdjson::SUCCESS && ops.size() > 0 &&
      ops.at(0).get(st) == simdjson::SUCCESS) {
    p.state.rows_total = IntOr(st, "numRowsTotal");
    p.state.rows_updated = IntOr(st, "numRowsUpdated");
    p.state.rows_removed = IntOr(st, "numRowsRemoved");
    p.state.rows_dropped_by_watermark = IntOr(st, "numRowsDroppedByWatermark");
    p.state.memory_bytes = IntOr(st, "memoryUsedBytes");
  }
  ForEachObject(o, "sources", [&](simdjson::dom::object src) {
    simdjson::dom::object start, end;
    SourceProgress sp;
    sp.description = StringOr(src, "description");
    sp.num_input_rows = IntOr(src, "numInputRows");
    if (src["startOffset"].get(start) == simdjson::SUCCESS &&
        src["endOffset"].get(end) == simdjson::SUCCESS) {
      for (auto [key, value] : start) {
        PartitionOffsets po;
        po.partition = PartitionId(std::atoi(std::string(key).c_str()));
        if (value.get(po.start_offset) != simdjson::SUCCESS) continue;
        po.end_offset = IntOr(end, key, po.start_offset);
        sp.offsets.push_back(po);
      }
    }
    p.sources.push_back(std::move(sp));
  });
  if (o["sink"].get(sink) == simdjson::SUCCESS) {
    p.sink_description = StringOr(sink, "description");
    p.output_rows = IntOr(sink, "numOutputRows");
  }
  if (has_sluice) {
    p.timestamp_ms = IntOr(s, "timestampMs");
    p.duration.interval_ms = IntOr(s, "triggerIntervalMs");
    p.duration.total_us = IntOr(s, "triggerExecutionUs", p.duration.total_us);
    p.max_event_time_ms = OptInt(s, "maxEventTimeMs");
    p.watermark_ms = OptInt(s, "watermarkMs");
    p.late_rows = IntOr(s, "lateRows");
    p.malformed_rows = IntOr(s, "malformedRows");
  }
  return p;
}

std::vector<PartitionStatus> ReadPartitions(simdjson::dom::object o) {
  std::vector<PartitionStatus> out;
  ForEachObject(o, "partitions", [&](simdjson::dom::object x) {
    PartitionStatus ps;
    ps.partition = PartitionId(static_cast<int32_t>(IntOr(x, "partition")));
    ps.records_per_second = DoubleOr(x, "recordsPerSecond");
    ps.records_total = IntOr(x, "recordsTotal");
    ps.next_offset = IntOr(x, "nextOffset");
    ps.end_offset = IntOr(x, "endOffset", -1);
    ps.watermark_ms = OptInt(x, "watermarkMs");
    ps.max_event_time_ms = OptInt(x, "maxEventTimeMs");
    bool idle = false;
    if (x["idle"].get(idle) == simdjson::SUCCESS) ps.idle = idle;
    out.push_back(ps);
  });
  return out;
}

std::vector<WindowStatus> ReadWindows(simdjson::dom::object o) {
  std::vector<WindowStatus> out;
  ForEachObject(o, "windows", [&](simdjson::dom::object x) {
    WindowStatus w;
    w.start_ms = IntOr(x, "startMs");
    w.end_ms = IntOr(x, "endMs");
    w.groups = IntOr(x, "groups");
    w.input_rows = IntOr(x, "inputRows");
    w.fires_at_ms = IntOr(x, "firesAtMs");
    out.push_back(w);
  });
  return out;
}

ResultsSnapshot ReadResults(simdjson::dom::object o) {
  ResultsSnapshot r;
  r.batch_id = IntOr(o, "batchId");
  r.output_mode = StringOr(o, "outputMode");
  r.total_rows = IntOr(o, "totalRows");
  simdjson::dom::array columns, rows;
  if (o["columns"].get(columns) == simdjson::SUCCESS) {
    for (simdjson::dom::element c : columns) {
      std::string_view v;
      if (c.get(v) == simdjson::SUCCESS) r.columns.emplace_back(v);
    }
  }
  if (o["rows"].get(rows) == simdjson::SUCCESS) {
    for (simdjson::dom::element row : rows) {
      simdjson::dom::array cells;
      if (row.get(cells) != simdjson::SUCCESS) continue;
      std::vector<std::string> out;
      for (simdjson::dom::element c : cells) {
        std::string_view v;
        out.emplace_back(c.get(v) == simdjson::SUCCESS ? std::string(v) : std::string());
      }
      r.rows.push_back(std::move(out));
    }
  }
  return r;
}

std::string QueryStartedLine(const QueryInfo& q) {
  JsonText j;
  j.BeginObject().Field("event", "QueryStarted");
  j.Key("query").BeginObject();
  AppendQueryInfoFields(j, q);
  j.EndObject();
  j.EndObject();
  return j.Take();
}

}  // namespace

Result<std::unique_ptr<EventLogWriter>> EventLogWriter::Open(const std::string& dir,
                                                             const RunMonitor& monitor) {
  SLUICE_RETURN_IF_ERROR(MakeDirs(dir));
  auto q = monitor.query();
  const std::string path = dir + "/" + q->run_id + ".jsonl";
  std::FILE* f = std::fopen(path.c_str(), "wx");  // a run id is new: never overwrite a log
  if (f == nullptr) {
    return IOErrorFromErrno("--event-log: cannot create " + path);
  }
  std::unique_ptr<EventLogWriter> w(new EventLogWriter(path, f));
  w->WriteLine(QueryStartedLine(*q));
  return w;
}

EventLogWriter::~EventLogWriter() { std::fclose(file_); }

void EventLogWriter::WriteLine(const std::string& line) {
  // Best effort, like Spark's event log: a full disk must not stop the query.
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

void EventLogWriter::AppendTrigger(const RunMonitor& monitor) {
  std::string line = R"({"event":"QueryProgress","progress":)";
  line += ProgressJson(monitor);
  line += R"(,"partitions":)";
  line += PartitionsJson(monitor);
  line += R"(,"windows":)";
  line += WindowsJson(monitor);
  line += R"(,"results":)";
  line += ResultsJson(monitor);
  line += "}";
  WriteLine(line);
}

void EventLogWriter::AppendEnd(const RunMonitor& monitor, int64_t now_ms) {
  auto [state, message] = monitor.state();
  JsonText j;
  j.BeginObject()
      .Field("event", "QueryTerminated")
      .Field("state", RunStateName(state))
      .Field("message", message)
      .Field("endedMs", now_ms)
      .EndObject();
  WriteLine(j.Take());
}

Result<std::vector<LoggedRun>> ListEventLogs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return Status::NotFound("--event-log " + dir + ": " + ec.message());
  std::vector<LoggedRun> runs;
  simdjson::dom::parser parser;
  for (const auto& entry : it) {
    if (entry.path().extension() != ".jsonl") continue;
    std::ifstream in(entry.path());
    std::string first;
    if (!std::getline(in, first)) continue;
    simdjson::dom::object line, q;
    std::string_view event;
    if (parser.parse(first).get(line) != simdjson::SUCCESS ||
        line["event"].get(event) != simdjson::SUCCESS || event != "QueryStarted" ||
        line["query"].get(q) != simdjson::SUCCESS) {
      continue;
    }
    runs.push_back(
        {entry.path().string(), StringOr(q, "runId"), StringOr(q, "name"), IntOr(q, "startedMs")});
  }
  std::sort(runs.begin(), runs.end(), [](const LoggedRun& a, const LoggedRun& b) {
    return a.started_ms != b.started_ms ? a.started_ms < b.started_ms : a.path < b.path;
  });
  return runs;
}

Status LoadEventLog(const std::string& path, RunMonitor& monitor) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read event log " + path);
  simdjson::dom::parser parser;
  std::string text;
  bool started = false, ended = false;
  int64_t last_trigger_end_ms = 0;
  while (std::getline(in, text)) {
    simdjson::dom::object line;
    std::string_view event;
    if (parser.parse(text).get(line) != simdjson::SUCCESS ||
        line["event"].get(event) != simdjson::SUCCESS) {
      if (!started) break;
      continue;  // a torn line (the run was killed while writing it)
    }
    simdjson::dom::object o;
    if (event == "QueryStarted" && !started && line["query"].get(o) == simdjson::SUCCESS) {
      monitor.SetQueryInfo(ReadQuery(o));
      monitor.SetState(RunState::kRunning);
      started = true;
    } else if (!started) {
      break;
    } else if (event == "QueryProgress") {
      if (line["progress"].get(o) == simdjson::SUCCESS) {
        TriggerProgress p = ReadProgress(o);
        last_trigger_end_ms = p.timestamp_ms + p.duration.interval_ms;
        monitor.PublishTrigger(std::move(p));
      }
      if (line["partitions"].get(o) == simdjson::SUCCESS) monitor.SetPartitions(ReadPartitions(o));
      if (line["windows"].get(o) == simdjson::SUCCESS) {
        monitor.SetWindows(ReadWindows(o), OptInt(o, "watermarkMs"));
      }
      if (line["results"].get(o) == simdjson::SUCCESS) monitor.SetResults(ReadResults(o));
    } else if (event == "QueryTerminated") {
      const std::string state = StringOr(line, "state");
      monitor.SetState(state == "finished" ? RunState::kFinished : RunState::kFailed,
                       StringOr(line, "message"));
      monitor.SetEndedMs(IntOr(line, "endedMs"));
      ended = true;
    }
  }
  if (!started)
    return Status::Corruption(path + " is not a sluice event log (no QueryStarted line)");
  if (!ended) {
    monitor.SetState(RunState::kFailed, "the log ends without the run's end");
    monitor.SetEndedMs(last_trigger_end_ms);
  }
  return Status::Ok();
}

}  // namespace sluice
