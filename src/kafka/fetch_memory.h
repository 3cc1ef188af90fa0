// How the process's allocator treats the memory that a Kafka consumer's fetches go through.
//
// librdkafka's broker thread decompresses every fetch response into fresh heap blocks and
// allocates one message per record; the thread that consumes the messages frees them. glibc's
// malloc gives a free block of more than 128 KiB back to the kernel (munmap, or trimming the
// top of an arena), so the next fetch faults the same memory in again, 4 KiB at a time, on the
// broker thread: the thread that paces a whole Kafka read. Measured on 600 k records of 16
// partitions: 12 to 16 k page faults a run, 4 to 5 k with this setting.
#pragma once

#include <cstddef>

namespace sluice {

// Blocks below this many bytes come from the heap, not from a mapping of their own: glibc's own
// ceiling for the mmap threshold on 64-bit, where its dynamic threshold ends up anyway.
inline constexpr size_t kFetchMmapThreshold = size_t{32} << 20;
// Free memory at the top of an arena is kept up to this much: more than librdkafka queues by
// default (queued.max.messages.kbytes, 64 MiB) plus a fetch response in flight.
inline constexpr size_t kFetchTrimThreshold = size_t{128} << 20;

// Sets both thresholds of glibc's malloc (mallopt), once per process; later calls do nothing.
// Memory a burst of fetches used then stays with the process (up to kFetchTrimThreshold per
// arena) instead of being faulted in again. Returns false where the allocator refused (another
// malloc, e.g. a sanitizer's, ignores mallopt).
bool KeepFetchMemory();

}  // namespace sluice
