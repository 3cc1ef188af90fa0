// Generator: deterministic JSON log events of the lab's schema (see docs/generator.md).
// The same options and seed give the same bytes. Used by `sluice gen` and by the in-process
// `generator` source of `sluice run`. Not thread-safe: one owner (a thread) per Generator.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice {

struct GeneratorOptions {
  std::optional<int64_t> count;  // records to produce; nullopt = unbounded
  double rate = 10'000;  // records/s (TARGET_RPS); event time advances 1000/rate ms per record
  bool paced = true;     // false: as fast as possible (event time still follows `rate`)
  std::optional<int64_t> start_ms;  // event time of record 0; nullopt = wall clock at start
  int users = 1000;                 // user_1000 .. user_(1000+users-1)
  int ips = 256;                    // 10.0.x.y source IPs
  // Weights of Low, Medium, High, Critical.
  std::vector<double> severity_weights{50, 30, 15, 5};
  std::string additional_term = "crash";  // ADDITIONAL_TERM
  double additional_term_rate = 0.1;      // ADDITIONAL_TERM_RATE: fraction of records with it
  double vulnerability_rate = 0.05;       // fraction of records mentioning "vulnerability" (Q1)
  int64_t jitter_ms = 0;                  // out of order: event time minus uniform [0, jitter]
  double late_fraction = 0;               // fraction of records made late ...
  int64_t late_by_ms = 60'000;            // ... by this much (plus jitter)
  double malformed_fraction = 0;          // fraction of lines broken in one of several ways
  double case_mix = 0.3;       // fraction of messages whose term is in UPPER or Mixed case
  double escape_rate = 0.05;   // fraction of records whose content uses \uXXXX escapes
  double unicode_rate = 0.05;  // fraction of records with non-ASCII text in content
  double hot_user_rate = 0.1;  // fraction of records from a few hot users (1% of the users)
  uint64_t seed = 42;
};

// Applies the lab generator's environment variables (TARGET_RPS, ADDITIONAL_TERM,
// ADDITIONAL_TERM_RATE) as defaults; flags given afterwards override them. A value that cannot
// be read is reported on stderr and ignored.
void ApplyLabEnvironment(GeneratorOptions& options);

// Checks ranges (fractions in [0, 1], rate > 0, ...); InvalidArgument names the offending option.
[[nodiscard]] Status ValidateGeneratorOptions(const GeneratorOptions& options);

// The ways a malformed line is broken (docs/generator.md). Exposed for tests and docs.
enum class Malformation : uint8_t {
  kTruncated,        // a strict prefix of a record
  kPlainText,        // not JSON at all
  kArray,            // a JSON array instead of an object
  kEmptyObject,      // {}
  kTrailingGarbage,  // a record followed by non-whitespace
  kInvalidUtf8,      // invalid UTF-8 bytes inside the content string
  kBlank,            // an empty or whitespace-only line (readers skip it)
  kMissingTimestamp,
  kMissingUserId,
  kMissingContent,
  kMissingSeverity,
  kMissingSourceIp,
  kTimestampString,  // "1768142570194"
  kTimestampFloat,   // 1.768142570194e12
  kTimestampNull,
  kTimestampBool,
  kTimestampHuge,  // 9223372036854775808: an integer outside int64
  kSeverityNumber,
  kSeverityNaN,  // NaN is not JSON
  kUserIdNull,
  kContentObject,  // {"text": "..."}
  kCount
};
std::string_view MalformationName(Malformation m);

// What NextEach hands its sink as the record's key (`sluice gen --key`, the Kafka message key).
// A malformed line gets the key its record would have had: the user_id or source_ip drawn for
// it, even when the broken line lacks that field or is not JSON at all.
enum class RecordKey : uint8_t {
  kUserId,    // "user_1038" (the default)
  kNone,      // empty: no key
  kSourceIp,  // "10.0.0.29"
};
inline constexpr std::array<RecordKey, 3> kRecordKeys = {RecordKey::kUserId, RecordKey::kNone,
                                                         RecordKey::kSourceIp};
std::string_view RecordKeyName(RecordKey k);  // "user_id", "none", "source_ip"

class Generator {
 public:
  explicit Generator(const GeneratorOptions& options);

  // Appends up to `n` records (fewer at the end of `count`) to `out`, each terminated by '\n'.
  // Returns how many were appended; 0 means the count is exhausted.
  size_t Next(size_t n, std::string& out);
  // Like Next but calls sink(record_without_newline, key) per record, the key chosen by `key`
  // (Kafka message keys; empty for RecordKey::kNone). Both views are valid only during the call.
  template <class F>
  size_t NextEach(size_t n, F&& sink, RecordKey key = RecordKey::kUserId);

  // Produces and discards up to n records (a restart resuming at record n); returns how many.
  int64_t Skip(int64_t n);

  int64_t produced() const { return produced_; }
  int64_t start_ms() const { return start_ms_; }
  // Event time (nominal, before jitter) of record i.
  int64_t NominalTime(int64_t i) const;
  const GeneratorOptions& options() const { return options_; }

 private:
  uint64_t NextRandom();       // xoshiro256**
  uint64_t Below(uint64_t n);  // uniform in [0, n), n > 0
  double Uniform();            // uniform in [0, 1) with 53 random bits
  // True with probability p; draws nothing when p is 0 so unused features cost nothing.
  bool Chance(double p) { return p > 0 && Uniform() < p; }
  bool Exhausted() const { return options_.count && produced_ >= *options_.count; }

  // Writes record `produced_` into line_ (no newline), advances produced_ and returns the line;
  // the user_id key is left in key_ and the source IP's index in ip_.
  std::string_view WriteOne();
  // The key of the record WriteOne just wrote; valid until the next WriteOne.
  std::string_view KeyOf(RecordKey k) {
    switch (k) {
      case RecordKey::kUserId:
        return {key_, key_len_};
      case RecordKey::kSourceIp:
        return SourceIpKey();
      case RecordKey::kNone:
        break;
    }
    return {};
  }
  std::string_view SourceIpKey();
  // Fills content_ with the (unescaped) message text.
  void BuildContent();
  // Appends a JSON string of content_ at p (plain or, with `escaped`, with \uXXXX escapes).
  char* PutContent(char* p, bool escaped);
  // Appends the term (or "vulnerability") to content_ in a case chosen by case_mix.
  void AppendTerm(std::string_view term);
  // Writes the JSON object of one record, applying the field-level malformations.
  struct Fields;
  char* PutObject(char* p, const Fields& f);
  // Writes a malformed line of kind f.broken.
  char* PutMalformed(char* p, const Fields& f);
  // Inserts an invalid UTF-8 sequence into content_ at a character boundary.
  void CorruptContent();

  GeneratorOptions options_;
  int64_t start_ms_ = 0;
  int64_t produced_ = 0;
  std::array<uint64_t, 4> rng_{};
  std::array<double, 4> severity_cdf_{};
  std::array<uint8_t, 100> status_table_{};  // percent -> index into the status set
  int hot_users_ = 1;
  int hot_stride_ = 1;
  bool term_needs_escape_ = false;     // the user's term contains '"', '\\' or a control character
  bool content_needs_escape_ = false;  // content_ holds '"', '\\' or a control character
  std::string content_;                // message text of the current record, unescaped
  std::string line_;                   // the current record; sized for the longest possible line
  char key_[24] = {};                  // "user_NNN" of the current record
  size_t key_len_ = 0;
  int ip_ = 0;            // source IP index of the current record (10.0.(ip/256).(ip%256))
  char ip_key_[16] = {};  // "10.0.x.y", written by KeyOf(kSourceIp) on demand
};

template <class F>
size_t Generator::NextEach(size_t n, F&& sink, RecordKey key) {
  size_t made = 0;
  while (made < n && !Exhausted()) {
    std::string_view rec = WriteOne();
    sink(rec, KeyOf(key));
    ++made;
  }
  return made;
}

}  // namespace sluice
