// `sluice gen --to kafka://...`: the load generator writing to a Kafka topic, keyed by user_id,
// paced to the target rate, with progress on a stream. A drop-in for the lab's generator image.
#pragma once

#include <cstdio>
#include <string_view>

#include "common/status.h"
#include "gen/generator.h"
#include "kafka/kafka_options.h"

namespace sluice {

// Produces the generator's records to the URL's topic until `count` records were sent or
// SIGINT/SIGTERM arrives (then it flushes what is queued). Paced: the achieved rate follows
// `rate` (absolute schedule, so it does not drift); unpaced: as fast as the producer goes.
// Reports to `progress` about every 5 s and at the end: records sent, failed, achieved rate.
// Defaults favour throughput (linger.ms=10, batches of up to 1 MB, zstd, idempotence,
// murmur2 partitioning like the Java client); any -X property overrides them.
// InvalidArgument (exit 2) for a bad URL/property or an unreachable broker within ~5 s;
// Unavailable (exit 1) if any record failed delivery.
[[nodiscard]] Status GenerateToKafka(const GeneratorOptions& options, std::string_view url,
                                     const KafkaClientOptions& kafka, std::FILE* progress);

}  // namespace sluice
