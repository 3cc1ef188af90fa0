// Clock: wall time behind an interface, so tests can drive idleness and triggers without
// sleeping (LevelDB's Env idea, for time only). The engine reads it on its driver thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sluice {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time in epoch milliseconds (idle partitions, event-time lag in the UI).
  virtual int64_t NowMs() const = 0;
};

// The system's real-time clock. Stateless: one shared instance serves every engine.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static const Clock& Default() {
    static const SystemClock clock;
    return clock;
  }
};

// A clock that moves only when told to; safe to advance from a test thread while the engine runs.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 0) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms); }
  void Set(int64_t ms) { now_ms_.store(ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace sluice
