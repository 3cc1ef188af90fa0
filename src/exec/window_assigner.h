// Window assignment on event time, with Spark's alignment: windows start at multiples of the
// slide (plus an offset) since the epoch; [start, start + size).
#pragma once

#include <cstdint>

#include "plan/query.h"

namespace sluice {

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
