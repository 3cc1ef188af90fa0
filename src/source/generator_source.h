// GeneratorSource: the built-in load generator as one partition, produced in-process at the
// generator's rate (or as fast as the engine takes it when unpaced). Polled by the engine's
// driver thread only.
#pragma once

#include <chrono>

#include "gen/generator.h"
#include "source/source.h"

namespace sluice {

class GeneratorSource : public Source {
 public:
  explicit GeneratorSource(const GeneratorOptions& options);

  Status Poll(std::vector<RawBatch>& out, size_t max_batches,
              std::chrono::milliseconds timeout) override;
  bool Finished() const override;
  std::vector<PartitionInfo> Partitions() const override;
  std::string Describe() const override;

 private:
  Generator gen_;
  std::chrono::steady_clock::time_point started_;
  bool finished_ = false;
};

}  // namespace sluice
