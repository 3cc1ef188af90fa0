// Making a Source from the --source argument: "generator", "file:PATH", "file:-" (stdin),
// "kafka://HOST:PORT[,...]/TOPIC".
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gen/generator.h"
#include "source/source.h"

namespace sluice {

struct KafkaClientOptions;

struct SourceOptions {
  GeneratorOptions generator;
  const KafkaClientOptions* kafka = nullptr;         // needed for kafka:// sources
  bool available_now = false;                        // read what is there now, then finish
  size_t max_record_bytes = kDefaultMaxRecordBytes;  // longer lines of a file are malformed
  // A file is cut every kMaxBatchRecords lines, not on the byte grid (--max-records-per-trigger).
  bool file_by_lines = false;
  // Resume from a checkpoint: where each partition continues (partitions not listed start at
  // the starting offsets), and what the source reported in RestoreValues().
  bool checkpointed = false;  // --checkpoint: the input must be readable again from a position
  bool restoring = false;
  std::vector<PartitionPosition> start;
  std::vector<std::pair<std::string, int64_t>> restore_values;
};

Result<std::unique_ptr<Source>> MakeSource(const std::string& spec, const SourceOptions& options);

}  // namespace sluice
