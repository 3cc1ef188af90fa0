#include "sink/sink_factory.h"

#include <cstdio>

#include "sink/console_sink.h"
#include "sink/jsonl_dir_sink.h"
#include "sink/jsonl_sink.h"
#include "sink/kafka_sink.h"

namespace sluice {

Result<std::unique_ptr<Sink>> MakeSink(const std::string& spec, const SinkOptions& options) {
  if (spec == "console") {
    return std::unique_ptr<Sink>(
        std::make_unique<ConsoleSink>(stdout, options.time_zone, options.console_rows));
  }
  if (spec.rfind("jsonl:", 0) == 0 && spec.size() > 6 && spec.back() == '/') {
    auto sink = JsonlDirSink::Open(spec.substr(6), options.time_zone, options.mode, options.writer);
    if (!sink.ok()) return sink.status();
    return std::unique_ptr<Sink>(std::move(sink).value());
  }
  if (spec.rfind("jsonl:", 0) == 0) {
    auto sink =
        JsonlSink::Open(spec.substr(6), options.time_zone, options.mode, options.checkpointed);
    if (!sink.ok()) return sink.status();
    return std::unique_ptr<Sink>(std::move(sink).value());
  }
  if (spec.rfind("kafka://", 0) == 0) {
    if (options.kafka == nullptr) return Status::Internal("kafka options missing");
    return MakeKafkaSink(spec, *options.kafka, options.time_zone);
  }
  return Status::InvalidArgument("unknown sink '" + spec +
                                 "': use console, jsonl:PATH, jsonl:DIR/, jsonl:- (stdout) or "
                                 "kafka://HOST:PORT/TOPIC");
}

}  // namespace sluice
