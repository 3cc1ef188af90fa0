// GeneratorSource: the built-in load generator as one partition, produced in-process at the
// generator's rate (or as fast as the engine takes it when unpaced). Polled by the engine's
// driver thread only.
#pragma once

#include <chrono>
#include <deque>

#include "gen/generator.h"
#include "source/source.h"

namespace sluice {

class GeneratorSource : public Source {
 public:
  // With `start`, the generator skips the records before start->next_offset (regenerating them:
  // the sequence is deterministic) and paces on from there.
  explicit GeneratorSource(const GeneratorOptions& options,
                           const PartitionPosition* start = nullptr);

  Status Poll(std::vector<RawBatch>& out, size_t max_batches,
              std::chrono::milliseconds timeout) override;
  bool Finished() const override;
  std::vector<PartitionInfo> Partitions() const override;
  std::string Describe() const override;
  std::vector<std::pair<std::string, int64_t>> RestoreValues() const override;
  // Paced batches are cut by the clock: a replay hands out the planned ones at once.
  bool ReplayCuts(const std::vector<BatchCut>& cuts) override;

 private:
  // Appends a batch of the next `want` records (fewer at the end of --count); returns how many.
  size_t AddBatch(size_t want, std::vector<RawBatch>& out);

  Generator gen_;
  std::chrono::steady_clock::time_point started_;
  int64_t paced_from_ = 0;  // records produced when pacing started (a restart's position)
  bool finished_ = false;
  std::deque<BatchCut> replay_;  // planned batches still to hand out
};

}  // namespace sluice
