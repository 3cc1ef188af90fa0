// Making a Sink from a --sink / --late-sink / --dead-letter argument: "console", "jsonl:PATH",
// "jsonl:DIR/" (a directory of part files), "jsonl:-" (stdout), "kafka://HOST:PORT[,...]/TOPIC".
#pragma once

#include <memory>
#include <string>

#include "common/time_format.h"
#include "sink/sink.h"

namespace sluice {

struct KafkaClientOptions;

struct SinkOptions {
  TimeZone time_zone = TimeZone::Utc();
  size_t console_rows = 20;
  const KafkaClientOptions* kafka = nullptr;
  OutputMode mode = OutputMode::kAppend;  // complete: each batch is the whole table
  bool checkpointed = false;              // --checkpoint: the sink's Recover runs before writing
  std::string writer = "0";               // names this process's part files in jsonl:DIR/
};

Result<std::unique_ptr<Sink>> MakeSink(const std::string& spec, const SinkOptions& options);

}  // namespace sluice
