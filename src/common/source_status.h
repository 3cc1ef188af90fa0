// SourceStatusBoard: whether the input's servers can be reached (and what a source had to skip),
// for the UI's /api/progress and /metrics. The source writes it on the engine's driver thread
// (Set, a few times a second at most); the UI server's threads read copies (Get).
// Shared (shared_ptr) by the command that creates both.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace sluice {

struct SourceStatus {
  bool reachable = true;
  int64_t unreachable_since_ms = 0;  // wall clock (epoch ms) when it was last found unreachable
  std::string error;                 // the client's last error while unreachable, else empty
  int64_t skipped_records = 0;       // gone before they were read (--fail-on-data-loss false)
};

class SourceStatusBoard {
 public:
  void Set(SourceStatus s) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(s);
  }
  SourceStatus Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  mutable std::mutex mu_;
  SourceStatus status_;  // guarded by mu_
};

}  // namespace sluice
