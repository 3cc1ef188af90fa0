#include "monitor/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

namespace sluice {

ProcessStats ReadProcessStats() {
  ProcessStats s;
  const int64_t page = sysconf(_SC_PAGESIZE);
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    long long size = 0, resident = 0;
    if (std::fscanf(f, "%lld %lld", &size, &resident) == 2) {
      s.virtual_bytes = size * page;
      s.resident_bytes = resident * page;
    }
    std::fclose(f);
  }
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    s.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                    static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    s.max_resident_bytes = static_cast<int64_t>(ru.ru_maxrss) * 1024;  // Linux: kilobytes
  }
  return s;
}

}  // namespace sluice
