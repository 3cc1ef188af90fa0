// Options shared by every Kafka client sluice creates (source, sink, generator), as given on the
// command line: librdkafka properties passed through untouched (as kcat's -X), plus sluice's
// group id and starting offsets. The URL's query parameters fill in what the flags leave unset.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "kafka/kafka_url.h"

namespace CLI {
class App;
}

namespace sluice {

class SourceStatusBoard;

using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

struct KafkaClientOptions {
  // librdkafka properties in the order given: --kafka-config FILE lines first, then each -X.
  // Passed to rd_kafka_conf_set as they are (SASL/TLS included); later ones win.
  KafkaProperties properties;
  std::string group_id;  // empty: the URL's group.id, else a new group per run (UniqueGroupId)
  std::string starting_offsets = "latest";  // earliest | latest (no committed offsets are used yet)
  bool starting_offsets_set = false;        // true when --starting-offsets was given
  // Records gone from Kafka before they were read (retention, a recreated topic): fail the run
  // (Spark's failOnDataLoss=true), or skip to what the partition holds and count what was lost.
  bool fail_on_data_loss = true;
  bool fail_on_data_loss_set = false;  // true when --fail-on-data-loss was given
  int64_t idle_timeout_ms = 0;         // set by `sluice run --idle-timeout` (engine's flag)
  // Where a Kafka source publishes whether its brokers answer (the UI reads it); may be null.
  std::shared_ptr<SourceStatusBoard> status;
};

// What a command does with Kafka: a producer (sluice gen) has no use for consumer options.
enum class KafkaRole : uint8_t { kConsumer, kProducer };

// Registers -X key=value (repeatable), --kafka-config FILE and, for a consumer, --group-id and
// --starting-offsets on `cmd`. A property librdkafka does not accept fails the parse (exit 2)
// with librdkafka's reason.
void AddKafkaFlags(CLI::App& cmd, KafkaClientOptions& o, KafkaRole role = KafkaRole::kConsumer);

// Registers --fail-on-data-loss true|false (the Kafka source's; `sluice run` only).
void AddKafkaDataLossFlag(CLI::App& cmd, KafkaClientOptions& o);

// Reads java-properties style lines "key=value" (also "key: value"), '#'/'!' comments, blank
// lines. InvalidArgument names the file and line of a bad entry.
[[nodiscard]] Result<KafkaProperties> ReadKafkaConfigFile(const std::string& path);

// Checks one property against librdkafka without creating a client; InvalidArgument names it
// with librdkafka's reason ("No such configuration property", "Invalid value ...").
[[nodiscard]] Status CheckKafkaProperty(const std::string& key, const std::string& value);

// "sluice-" and 12 random hex digits.
std::string UniqueGroupId();

// A URL and options merged: what a client is built from.
struct KafkaEndpoint {
  std::string bootstrap;
  std::string topic;
  std::string group_id;           // never empty
  bool group_given = false;       // group id from a flag, -X or the URL (else UniqueGroupId)
  std::string starting_offsets;   // earliest | latest
  bool fail_on_data_loss = true;  // --fail-on-data-loss, else the URL's failOnDataLoss
  KafkaProperties properties;     // URL query properties, then the options' properties
};

// Precedence: flags (--group-id, --starting-offsets, -X) over URL parameters over defaults.
[[nodiscard]] Result<KafkaEndpoint> ResolveKafkaEndpoint(std::string_view url,
                                                         const KafkaClientOptions& o);

}  // namespace sluice
