// Making a Source from the --source argument: "generator", "file:PATH", "file:-" (stdin),
// "kafka://HOST:PORT[,...]/TOPIC".
#pragma once

#include <memory>
#include <string>

#include "gen/generator.h"
#include "source/source.h"

namespace sluice {

struct KafkaClientOptions;

struct SourceOptions {
  GeneratorOptions generator;
  const KafkaClientOptions* kafka = nullptr;  // needed for kafka:// sources
  bool available_now = false;                 // read what is there now, then finish
};

Result<std::unique_ptr<Source>> MakeSource(const std::string& spec, const SourceOptions& options);

}  // namespace sluice
