// The event log of a run (Spark's spark.eventLog.dir): `sluice run --event-log DIR` appends what
// the monitor shows after every trigger to DIR/RUN_ID.jsonl, and `sluice ui --event-log DIR`
// loads such a file into a RunMonitor to serve the same UI over a finished run (Spark's history
// server). One JSON object per line, each with an "event" field:
//   {"event":"QueryStarted","query":{id, runId, name, sql, outputMode, triggerIntervalMs,
//     watermarkDelayMs, source, sink, numWorkers, startedMs}}
//   {"event":"QueryProgress","progress":<as /api/progress>,"partitions":<as /api/partitions>,
//     "windows":<as /api/windows>,"results":<as /api/results>}
//   {"event":"QueryTerminated","state":"finished"|"failed","message":"...","endedMs":...}
// A line is written whole and flushed, so a crashed run leaves a readable log up to its last
// trigger (a torn last line is skipped when loading).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "monitor/run_monitor.h"

namespace sluice {

// Writes one run's event log. Owned by the run command; used by the engine's driver thread.
class EventLogWriter {
 public:
  // Creates DIR (and parents) and DIR/RUN_ID.jsonl, and writes the QueryStarted line.
  [[nodiscard]] static Result<std::unique_ptr<EventLogWriter>> Open(const std::string& dir,
                                                                    const RunMonitor& monitor);
  ~EventLogWriter();
  EventLogWriter(const EventLogWriter&) = delete;
  EventLogWriter& operator=(const EventLogWriter&) = delete;

  // After RunMonitor::PublishTrigger and the other setters of a trigger: its QueryProgress line.
  void AppendTrigger(const RunMonitor& monitor);
  // The QueryTerminated line, from the monitor's state.
  void AppendEnd(const RunMonitor& monitor, int64_t now_ms);
  const std::string& path() const { return path_; }

 private:
  EventLogWriter(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  void WriteLine(const std::string& line);
  std::string path_;
  std::FILE* file_;
};

// One run found in an event log directory.
struct LoggedRun {
  std::string path;
  std::string run_id;
  std::string name;
  int64_t started_ms = 0;
};

// The runs in DIR (files *.jsonl that start with a QueryStarted line), oldest first.
[[nodiscard]] Result<std::vector<LoggedRun>> ListEventLogs(const std::string& dir);

// Replays an event log file into `monitor` (which must be fresh): query info, every trigger,
// the last partitions, windows and results, and the final state (a log without QueryTerminated
// is shown as failed, "the log ends without the run's end"). Corruption when the first line is
// not a QueryStarted event.
[[nodiscard]] Status LoadEventLog(const std::string& path, RunMonitor& monitor);

}  // namespace sluice
