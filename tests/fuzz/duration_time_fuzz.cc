// libFuzzer target: durations and times as people write them (ParseDurationMs,
// ParseTimestampMs, TimeZone::Named) and the formatting of any event time (a record's timestamp
// is any 64-bit integer). A parsed duration must read back from its formatted form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "common/duration.h"
#include "common/time_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto ms = sluice::ParseDurationMs(text);
  if (ms.ok()) {
    if (*ms < 0) std::abort();
    const std::string formatted = sluice::FormatDurationMs(*ms);
    auto again = sluice::ParseDurationMs(formatted);
    if (!again.ok() || *again != *ms) std::abort();
  }

  auto ts = sluice::ParseTimestampMs(text);
  if (ts.ok()) (void)sluice::FormatTimestamp(*ts);

  // The first 8 bytes as an event time: formatting must work for every value.
  if (size >= 8) {
    int64_t epoch_ms = 0;
    std::memcpy(&epoch_ms, data, sizeof(epoch_ms));
    std::string out;
    sluice::AppendTimestamp(out, epoch_ms, sluice::TimeZone::Utc());
    if (out.empty()) std::abort();
  }
  return 0;
}
