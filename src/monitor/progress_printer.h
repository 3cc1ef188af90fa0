// What `sluice run --progress` prints to stderr: one line per trigger and a summary at the end
// of a bounded run. Called by the engine's driver thread after RunMonitor::PublishTrigger.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "monitor/run_monitor.h"

namespace sluice {

// "batch 12 | in 48,211 rows | input 96,400 rows/s | processed 1.2M rows/s | watermark
//  2026-01-27 18:29:50 (gap 5.0 s) | state 3,120 rows | late 0 | malformed 2"
std::string ProgressLine(const TriggerProgress& p);

// Multi-line end-of-run summary: triggers, rows, elapsed time, average rates (the same numbers
// /api/query reports as avgInputRowsPerSecond and avgProcessedRowsPerSecond), late, malformed,
// final watermark, state, peak memory.
std::string RunSummary(const RunMonitor& monitor, int64_t now_ms);

// Convenience for the engine: print the monitor's latest trigger / the summary.
void PrintProgress(const RunMonitor& monitor, std::FILE* out = stderr);
void PrintRunSummary(const RunMonitor& monitor, int64_t now_ms, std::FILE* out = stderr);

// Helpers shared with the summary and tests: "1,234,567", "1.23M", "2026-01-27 18:29:50".
std::string GroupThousands(int64_t v);
std::string HumanCount(double v);
std::string HumanBytes(int64_t bytes);
std::string UtcTime(int64_t epoch_ms);

}  // namespace sluice
