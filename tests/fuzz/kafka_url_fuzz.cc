// libFuzzer target: kafka:// URLs as given to --source, --sink and `sluice gen --to`.
// A URL either parses into a non-empty bootstrap and topic or fails with InvalidArgument.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kafka/kafka_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)sluice::IsKafkaUrl(text);
  auto url = sluice::ParseKafkaUrl(text);
  if (url.ok()) {
    if (url->bootstrap.empty() || url->topic.empty()) std::abort();
  } else if (url.status().code() != sluice::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return 0;
}
