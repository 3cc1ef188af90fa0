// Kafka endpoints as sluice spells them on the command line:
//   kafka://HOST:PORT[,HOST:PORT...]/TOPIC[?group.id=ID&startingOffsets=earliest|latest&KEY=VALUE]
// Used by the Kafka source, the Kafka sink and `sluice gen --to`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sluice {

inline constexpr std::string_view kKafkaUrlForm =
    "kafka://HOST:PORT[,HOST:PORT]/TOPIC[?group.id=ID&startingOffsets=earliest|latest]";

struct KafkaUrl {
  std::string bootstrap;  // "host1:9092,host2:9092", as librdkafka's bootstrap.servers
  std::string topic;
  // Query parameters in the order given, percent-decoded. `group.id` and `startingOffsets` are
  // sluice's; any other key is a librdkafka property.
  std::vector<std::pair<std::string, std::string>> params;
};

// True if `text` starts with "kafka://" (the caller then parses it with ParseKafkaUrl).
bool IsKafkaUrl(std::string_view text);

// Parses a kafka:// URL. InvalidArgument says what is wrong and shows the expected form.
[[nodiscard]] Result<KafkaUrl> ParseKafkaUrl(std::string_view text);

// The lab generator's destination: kafka://$KAFKA_BROKER/$KAFKA_TOPIC when KAFKA_BROKER is set
// (KAFKA_TOPIC defaults to "logs"); nullopt otherwise.
std::optional<std::string> LabKafkaDestination();

}  // namespace sluice
