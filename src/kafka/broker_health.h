// BrokerHealth: whether a librdkafka client can reach its cluster, judged from the statistics
// librdkafka emits every second (a broker in state "UP") and its error callback (the reason),
// and when to tell the user: a line within a few seconds of losing the cluster, then every 30 s
// while it lasts, and one when it is back. librdkafka itself retries silently (its consumer
// reports nothing while no broker answers; its producer only once a message times out).
// Owned by one client; its callbacks and queries run on the thread that polls that client.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// librdkafka statistics every second: how BrokerHealth sees the brokers' connection states.
inline constexpr const char* kKafkaStatisticsIntervalMs = "1000";

// Brokers of librdkafka's statistics JSON that are connected ("state":"UP"), not counting its
// internal pseudo-broker; -1 if the text lists no broker at all (not librdkafka's statistics).
int CountBrokersUp(std::string_view stats_json);

class BrokerHealth {
 public:
  using Clock = std::chrono::steady_clock;
  // Unreachable this long before the first line (a blip of a second is not worth one).
  static constexpr auto kFirstReportAfter = std::chrono::seconds(2);
  static constexpr auto kReportEvery = std::chrono::seconds(30);

  // From the statistics callback.
  void OnStatistics(std::string_view json, Clock::time_point now);
  // From the error callback: remembered as the reason while unreachable.
  void OnError(rd_kafka_resp_err_t err, std::string_view reason);

  bool reachable() const { return !down_since_.has_value(); }
  // How long the cluster has been unreachable (zero if it is reachable).
  Clock::duration unreachable_for(Clock::time_point now) const {
    return down_since_ ? now - *down_since_ : Clock::duration::zero();
  }
  int64_t unreachable_since_ms() const { return down_since_wall_ms_; }
  const std::string& last_error() const { return last_error_; }
  // A line to print now, if one is due: "cannot reach Kafka at ... for 3 s (reason); retrying",
  // later the same every 30 s, and "Kafka at ... is reachable again after 41 s" once it is back.
  std::optional<std::string> DueReport(std::string_view who, std::string_view bootstrap,
                                       Clock::time_point now);

 private:
  std::optional<Clock::time_point> down_since_;
  int64_t down_since_wall_ms_ = 0;
  std::optional<Clock::time_point> next_report_;    // set while unreachable
  bool reported_down_ = false;                      // a line about this outage was printed
  std::optional<Clock::duration> recovered_after_;  // back up after a reported outage
  std::string last_error_;
};

}  // namespace sluice
