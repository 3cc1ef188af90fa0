// Generator: deterministic JSON log events of the lab's schema (see docs/generator.md).
// The same options and seed give the same bytes. Used by `sluice gen` and by the in-process
// `generator` source of `sluice run`. Not thread-safe: one owner (a thread) per Generator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

struct GeneratorOptions {
  std::optional<int64_t> count;  // records to produce; nullopt = unbounded
  double rate = 10'000;          // records/s (TARGET_RPS); event time advances 1000/rate ms per record
  bool paced = true;             // false: as fast as possible (event time still follows `rate`)
  std::optional<int64_t> start_ms;  // event time of record 0; nullopt = wall clock at start
  int users = 1000;                 // user_1000 .. user_(1000+users-1)
  int ips = 256;                    // 10.0.x.y source IPs
  // Weights of Low, Medium, High, Critical.
  std::vector<double> severity_weights{50, 30, 15, 5};
  std::string additional_term = "crash";  // ADDITIONAL_TERM
  double additional_term_rate = 0.1;      // ADDITIONAL_TERM_RATE: fraction of records with it
  double vulnerability_rate = 0.05;       // fraction of records mentioning "vulnerability" (Q1)
  int64_t jitter_ms = 0;        // out of order: event time minus uniform [0, jitter]
  double late_fraction = 0;     // fraction of records made late ...
  int64_t late_by_ms = 60'000;  // ... by this much (plus jitter)
  double malformed_fraction = 0;  // fraction of lines broken in one of several ways
  double case_mix = 0.3;      // fraction of messages whose term is in UPPER or Mixed case
  double escape_rate = 0.05;  // fraction of records whose content uses \uXXXX escapes
  double unicode_rate = 0.05;  // fraction of records with non-ASCII text in content
  uint64_t seed = 42;
};

// Applies the lab generator's environment variables (TARGET_RPS, ADDITIONAL_TERM,
// ADDITIONAL_TERM_RATE) as defaults; flags given afterwards override them.
void ApplyLabEnvironment(GeneratorOptions& options);

class Generator {
 public:
  explicit Generator(const GeneratorOptions& options);

  // Appends up to `n` records (fewer at the end of `count`) to `out`, each terminated by '\n'.
  // Returns how many were appended; 0 means the count is exhausted.
  size_t Next(size_t n, std::string& out);
  // Like Next but calls sink(record_without_newline, user_id_key) per record (Kafka keys).
  template <class F>
  size_t NextEach(size_t n, F&& sink);

  int64_t produced() const { return produced_; }
  int64_t start_ms() const { return start_ms_; }
  // Event time (nominal, before jitter) of record i.
  int64_t NominalTime(int64_t i) const;
  const GeneratorOptions& options() const { return options_; }

 private:
  // Writes record `produced_` into `out` (no newline) and returns its user_id.
  std::string_view WriteOne(std::string& out);

  GeneratorOptions options_;
  int64_t start_ms_ = 0;
  int64_t produced_ = 0;
  uint64_t rng_state_ = 0;
  std::string scratch_;
};

template <class F>
size_t Generator::NextEach(size_t n, F&& sink) {
  size_t made = 0;
  while (made < n && (!options_.count || produced_ < *options_.count)) {
    scratch_.clear();
    std::string_view user = WriteOne(scratch_);
    sink(std::string_view(scratch_), user);
    ++made;
  }
  return made;
}

}  // namespace sluice
