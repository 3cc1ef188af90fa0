// Strong types for stream quantities, so an offset is never passed where an event time is meant.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace sluice {

template <class T, class Tag>
struct NamedType {
  T value{};
  constexpr NamedType() = default;
  constexpr explicit NamedType(T v) : value(v) {}
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted comparison
  constexpr auto operator<=>(const NamedType&) const = default;
};

// Event time in epoch milliseconds, as carried in the record's timestamp field.
using EventTime = NamedType<int64_t, struct event_time_tag>;
// A source partition: a Kafka partition, or 0 for a file.
using PartitionId = NamedType<int32_t, struct partition_tag>;
// Position of a record within its partition (Kafka offset, or line number for a file).
using Offset = NamedType<int64_t, struct offset_tag>;

inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

}  // namespace sluice
