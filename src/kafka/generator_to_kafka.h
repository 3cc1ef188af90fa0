// `sluice gen --to kafka://...`: the load generator writing to a Kafka topic, keyed by user_id
// (or source_ip, or not keyed), paced to the target rate, with progress on a stream. A drop-in
// for the lab's generator image.
#pragma once

#include <cstdio>
#include <string_view>

#include "common/status.h"
#include "gen/generator.h"
#include "kafka/kafka_options.h"

namespace sluice {

// Produces the generator's records to the URL's topic until `count` records were sent or
// SIGINT/SIGTERM arrives (then it flushes what is queued), each with the message key `key`
// chooses (Generator::NextEach). Paced: the achieved rate follows `rate` (absolute schedule, so
// it does not drift); unpaced: as fast as the producer goes.
// Reports to `progress` about every 5 s and at the end: records sent, failed, achieved rate.
// Defaults favour throughput (linger.ms=10, batches of up to 1 MB, zstd, idempotence) and
// partition like the Java client (murmur2_random: a key always goes to the same partition);
// keyless messages (RecordKey::kNone, sent with a NULL key) each go to a random partition
// (sticky.partitioning.linger.ms=0). Any -X property overrides these defaults.
// InvalidArgument (exit 2) for a bad URL/property or an unreachable broker within ~5 s;
// Unavailable (exit 1) if any record failed delivery.
[[nodiscard]] Status GenerateToKafka(const GeneratorOptions& options, RecordKey key,
                                     std::string_view url, const KafkaClientOptions& kafka,
                                     std::FILE* progress);

}  // namespace sluice
