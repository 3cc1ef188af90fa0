#include "source/source_factory.h"

#include "source/file_source.h"
#include "source/generator_source.h"
#include "source/kafka_source.h"

namespace sluice {

Result<std::unique_ptr<Source>> MakeSource(const std::string& spec, const SourceOptions& options) {
  if (spec == "generator" || spec == "gen") {
    return std::unique_ptr<Source>(std::make_unique<GeneratorSource>(options.generator));
  }
  if (spec.rfind("file:", 0) == 0) {
    auto src = FileSource::Open(spec.substr(5));
    if (!src.ok()) return src.status();
    return std::unique_ptr<Source>(std::move(src).value());
  }
  if (spec.rfind("kafka://", 0) == 0) {
    if (options.kafka == nullptr) return Status::Internal("kafka options missing");
    return MakeKafkaSource(spec, *options.kafka, options.available_now);
  }
  return Status::InvalidArgument("unknown source '" + spec +
                                 "': use generator, file:PATH, file:- (stdin) or "
                                 "kafka://HOST:PORT/TOPIC");
}

}  // namespace sluice
