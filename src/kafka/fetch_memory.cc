#include "kafka/fetch_memory.h"

#include <malloc.h>

namespace sluice {

bool KeepFetchMemory() {
  // Setting either threshold also turns off glibc's dynamic mmap threshold, so both are set:
  // the trim threshold alone would map every block above the default 128 KiB afresh.
  static const bool kept = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kFetchMmapThreshold)) == 1 &&
                           mallopt(M_TRIM_THRESHOLD, static_cast<int>(kFetchTrimThreshold)) == 1;
  return kept;
}

}  // namespace sluice
