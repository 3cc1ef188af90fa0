// The Kafka sink: each output row becomes one message on kafka://HOST:PORT[,...]/TOPIC, its
// value the row as a JSON object ({"window_start": "...", "user_id": "...", ...}) and its key
// OutputBatch::keys[i] (group key and window start), so a consumer can deduplicate a replay.
// librdkafka retries failed deliveries (idempotent producer); those that still fail are counted
// and Close() reports them as an error.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "common/time_format.h"
#include "kafka/kafka_options.h"
#include "sink/sink.h"

namespace sluice {

// Fails within about 5 s (InvalidArgument) on a bad URL or property or an unreachable broker.
[[nodiscard]] Result<std::unique_ptr<Sink>> MakeKafkaSink(std::string_view url,
                                                          const KafkaClientOptions& options,
                                                          const TimeZone& tz);

}  // namespace sluice
