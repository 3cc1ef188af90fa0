#include "source/source_factory.h"

#include "source/file_source.h"
#include "source/generator_source.h"
#include "source/kafka_source.h"

namespace sluice {

namespace {

// The restored position of partition 0 (the only one of a file or the generator), if any.
const PartitionPosition* StartOfPartitionZero(const SourceOptions& options) {
  if (!options.restoring) return nullptr;
  for (const auto& p : options.start) {
    if (p.partition.value == 0) return &p;
  }
  return nullptr;
}

}  // namespace

Result<std::unique_ptr<Source>> MakeSource(const std::string& spec, const SourceOptions& options) {
  if (spec == "generator" || spec == "gen") {
    GeneratorOptions gen = options.generator;
    if (!gen.start_ms) {
      // Event time must continue from the same origin, not from the restart's wall clock.
      for (const auto& [name, v] : options.restore_values) {
        if (name == "generator.start_ms") gen.start_ms = v;
      }
    }
    return std::unique_ptr<Source>(
        std::make_unique<GeneratorSource>(gen, StartOfPartitionZero(options)));
  }
  if (spec.rfind("file:", 0) == 0) {
    const PartitionPosition* start = StartOfPartitionZero(options);
    PartitionPosition beginning;
    beginning.next_byte = 0;
    // A checkpointed read of a file must be resumable, even before its first commit.
    if (options.checkpointed && start == nullptr) start = &beginning;
    auto src =
        FileSource::Open(spec.substr(5), start, options.max_record_bytes, options.file_by_lines);
    if (!src.ok()) return src.status();
    return std::unique_ptr<Source>(std::move(src).value());
  }
  if (spec.rfind("kafka://", 0) == 0) {
    if (options.kafka == nullptr) return Status::Internal("kafka options missing");
    return MakeKafkaSource(spec, *options.kafka, options.available_now,
                           options.restoring ? &options.start : nullptr);
  }
  return Status::InvalidArgument("unknown source '" + spec +
                                 "': use generator, file:PATH, file:- (stdin) or "
                                 "kafka://HOST:PORT/TOPIC");
}

}  // namespace sluice
