// ProcessStats: the process's own resource use, read from /proc and getrusage when a reader
// asks (never by the engine). Fields are 0 where the platform does not provide them.
#pragma once

#include <cstdint>

namespace sluice {

struct ProcessStats {
  int64_t resident_bytes = 0;  // RSS, from /proc/self/statm
  int64_t virtual_bytes = 0;
  double cpu_seconds = 0;          // user + system
  int64_t max_resident_bytes = 0;  // peak RSS
};

ProcessStats ReadProcessStats();

}  // namespace sluice
