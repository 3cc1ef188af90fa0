#include "kafka/broker_health.h"

#include <cstdio>

#include "common/clock.h"

namespace sluice {

int CountBrokersUp(std::string_view json) {
  // Each broker object reads {"name":..., "nodeid":..., "nodename":..., "source":"learned",
  // "state":"UP", ...}; "source" is "internal" for librdkafka's pseudo-broker. Other objects
  // have no "source" key followed by "state" ("fetch_state", the group's "state" have none).
  int seen = 0, up = 0;
  constexpr std::string_view kSource = "\"source\":\"";
  constexpr std::string_view kState = "\"state\":\"";
  for (size_t pos = json.find(kSource); pos != std::string_view::npos;
       pos = json.find(kSource, pos + 1)) {
    const size_t src = pos + kSource.size();
    const size_t state = json.find(kState, src);
    if (state == std::string_view::npos) break;
    if (json.compare(src, 9, "internal\"") == 0) continue;
    ++seen;
    if (json.compare(state + kState.size(), 3, "UP\"") == 0) ++up;
  }
  return seen == 0 ? -1 : up;
}

void BrokerHealth::OnStatistics(std::string_view json, Clock::time_point now) {
  const int up = CountBrokersUp(json);
  if (up < 0) return;
  if (up > 0) {
    if (down_since_ && reported_down_) recovered_after_ = now - *down_since_;
    down_since_.reset();
    next_report_.reset();
    reported_down_ = false;
    last_error_.clear();
    return;
  }
  if (!down_since_) {
    down_since_ = now;
    down_since_wall_ms_ = SystemClock::Default().NowMs();
    next_report_ = now + kFirstReportAfter;
  }
}

void BrokerHealth::OnError(rd_kafka_resp_err_t err, std::string_view reason) {
  last_error_ = reason.empty() ? rd_kafka_err2str(err) : std::string(reason);
}

std::optional<std::string> BrokerHealth::DueReport(std::string_view who, std::string_view bootstrap,
                                                   Clock::time_point now) {
  auto seconds = [](Clock::duration d) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
  };
  char line[768];
  if (recovered_after_) {
    std::snprintf(line, sizeof(line), "sluice: %.*s: Kafka at %.*s is reachable again after %lld s",
                  static_cast<int>(who.size()), who.data(), static_cast<int>(bootstrap.size()),
                  bootstrap.data(), seconds(*recovered_after_));
    recovered_after_.reset();
    return std::string(line);
  }
  if (!down_since_ || !next_report_ || now < *next_report_) return std::nullopt;
  next_report_ = now + kReportEvery;
  reported_down_ = true;
  std::snprintf(line, sizeof(line),
                "sluice: %.*s: cannot reach Kafka at %.*s for %lld s%s%s%s; librdkafka keeps "
                "retrying (check that the broker runs)",
                static_cast<int>(who.size()), who.data(), static_cast<int>(bootstrap.size()),
                bootstrap.data(), seconds(now - *down_since_), last_error_.empty() ? "" : " (",
                last_error_.c_str(), last_error_.empty() ? "" : ")");
  return std::string(line);
}

}  // namespace sluice
