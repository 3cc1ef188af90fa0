// The JSON documents behind the web UI and the /api endpoints, built from RunMonitor snapshots.
// Called on HTTP threads; each takes the monitor's lock only to copy snapshot pointers.
// Field names are camelCase like Spark's StreamingQueryProgress; times in the Spark-shaped
// progress are ISO strings, elsewhere epoch milliseconds in fields named *Ms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "monitor/json_text.h"
#include "monitor/run_monitor.h"

namespace sluice {

// /api/progress: the latest trigger in Spark's StreamingQueryProgress shape ("null" before the
// first trigger, like Spark's lastProgress).
std::string ProgressJson(const RunMonitor& monitor);
// /api/progress/history: recent triggers, oldest first; only those with batchId > after_batch
// when given, so a poller fetches each trigger once.
std::string HistoryJson(const RunMonitor& monitor, std::optional<int64_t> after_batch);
// /api/query: static query info, run state, totals and rates averaged over the run.
std::string QueryJson(const RunMonitor& monitor, int64_t now_ms);
// /api/plan: operators with their live counters.
std::string PlanJson(const RunMonitor& monitor);
std::string PartitionsJson(const RunMonitor& monitor);
std::string WindowsJson(const RunMonitor& monitor);
std::string ResultsJson(const RunMonitor& monitor);
// /api/workers: worker threads, the process's memory and CPU, the state's size.
std::string WorkersJson(const RunMonitor& monitor);

// The QueryInfo fields of /api/query (id, runId, name, sql, ..., startedMs) into an open object.
void AppendQueryInfoFields(JsonText& j, const QueryInfo& q);
// One trigger in Spark's shape, with sluice's additions under "sluice".
void AppendTriggerJson(JsonText& j, const TriggerProgress& p, const QueryInfo& q);

}  // namespace sluice
