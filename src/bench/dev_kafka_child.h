// `sluice dev-kafka` as a child process of `sluice bench`, for the length of the sections that
// need a broker (the Kafka sections and the Kafka latency runs). Used by the bench thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/bench_context.h"

namespace sluice::bench {

class DevKafkaChild {
 public:
  // Starts the broker with `topics` ("NAME:PARTITIONS" each) and waits for its address.
  static Result<std::unique_ptr<DevKafkaChild>> Start(BenchContext& ctx,
                                                      const std::vector<std::string>& topics);
  ~DevKafkaChild();
  DevKafkaChild(const DevKafkaChild&) = delete;
  DevKafkaChild& operator=(const DevKafkaChild&) = delete;
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  explicit DevKafkaChild(RunningChild c) : child_(std::move(c)) {}
  RunningChild child_;
  std::string bootstrap_;
};

}  // namespace sluice::bench
