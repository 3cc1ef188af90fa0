// Window assignment on event time, with Spark's alignment: windows start at multiples of the
// slide (plus an offset) since the epoch; [start, start + size).
#pragma once

#include <cstdint>

#include "plan/query.h"

namespace sluice {

// Event times a record may carry: Spark's timestamp range, 0001-01-01T00:00:00.000Z to
// 9999-12-31T23:59:59.999Z, in ms since the epoch. Within it, window bounds, watermarks and
// durations (at most int64 max / 2 ms) never overflow. Records outside it are malformed.
inline constexpr int64_t kMinEventTimeMs = -62'135'596'800'000;
inline constexpr int64_t kMaxEventTimeMs = 253'402'300'799'999;
inline constexpr const char* kEventTimeOutOfRange =
    "event time out of range (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)";

// Floor modulo, so event times before the epoch fall into the right window.
inline int64_t FloorMod(int64_t a, int64_t b) {
  const int64_t r = a % b;
  return r < 0 ? r + b : r;
}

// Start of the latest window that contains t.
inline int64_t LastWindowStart(const WindowSpec& w, int64_t t) {
  return t - FloorMod(t - w.offset_ms, w.slide_ms);
}

// Calls fn(start) for every window containing t, latest first.
template <class F>
inline void ForEachWindow(const WindowSpec& w, int64_t t, F&& fn) {
  for (int64_t s = LastWindowStart(w, t); s > t - w.size_ms; s -= w.slide_ms) fn(s);
}

}  // namespace sluice
