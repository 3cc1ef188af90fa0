// Prometheus text exposition (format 0.0.4) of a RunMonitor, for GET /metrics.
// Names follow Prometheus conventions: a sluice_ prefix, base units (seconds, bytes) in the
// name, _total for counters; event times are gauges in seconds since the epoch.
#pragma once

#include <string>
#include <string_view>

#include "monitor/run_monitor.h"

namespace sluice {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

std::string PrometheusText(const RunMonitor& monitor);

// Appends a label value escaped as the exposition format requires (\\, \" and \n).
void AppendPrometheusLabelValue(std::string& out, std::string_view v);

}  // namespace sluice
