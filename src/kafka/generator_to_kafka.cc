#include "kafka/generator_to_kafka.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "kafka/producer.h"

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kReportEvery = std::chrono::seconds(5);
// Records produced per step: small enough to stay on schedule, large enough to amortize polls.
constexpr int64_t kStep = 1000;
constexpr int kFinalFlushTimeoutMs = 30'000;
// After Ctrl-C: what is not delivered by then is purged and counted as failed.
constexpr int kInterruptFlushTimeoutMs = 3'000;
// No delivery report for this long while records wait: say that delivery stalls.
constexpr auto kStallAfter = std::chrono::seconds(5);

std::atomic<bool> g_stop{false};
extern "C" void OnKafkaGenStopSignal(int) { g_stop.store(true, std::memory_order_relaxed); }

// Installs SIGINT/SIGTERM handlers for the lifetime of a run and restores the previous ones.
class StopSignals {
 public:
  StopSignals() {
    g_stop.store(false);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_handler = &OnKafkaGenStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Status GenerateToKafka(const GeneratorOptions& options, RecordKey key, std::string_view url,
                       const KafkaClientOptions& kafka, std::FILE* progress) {
  Result<KafkaEndpoint> ep = ResolveKafkaEndpoint(url, kafka);
  if (!ep.ok()) return ep.status();
  KafkaProperties defaults = {
      {"client.id", "sluice-gen"},
      {"linger.ms", "10"},
      {"batch.size", "1000000"},
      {"batch.num.messages", "10000"},
      {"queue.buffering.max.messages", "1000000"},
      {"queue.buffering.max.kbytes", "1048576"},
      {"compression.type", "zstd"},
      {"enable.idempotence", "true"},     // retries never duplicate or reorder a record
      {"partitioner", "murmur2_random"},  // same key -> same partition as the Java client
      // No key (--key none): a random partition per message. librdkafka's default (10) keeps one
      // random partition for 10 ms, which put a whole short burst (everything queued before the
      // topic's metadata arrived) into a single partition.
      {"sticky.partitioning.linger.ms", "0"},
      // A record not delivered within 10 s fails (and is counted) instead of waiting
      // librdkafka's default 300 s while the broker is away.
      {"message.timeout.ms", "10000"},
      {"statistics.interval.ms", kKafkaStatisticsIntervalMs},  // BrokerHealth
  };
  Result<std::unique_ptr<KafkaProducer>> opened = KafkaProducer::Open(*ep, defaults);
  if (!opened.ok()) return opened.status();
  KafkaProducer& producer = **opened;
  StopSignals signals;

  Generator gen(options);
  const std::string where = "kafka://" + ep->bootstrap + "/" + ep->topic;
  const Clock::time_point start = Clock::now();
  Clock::time_point next_report = start + kReportEvery;
  Status send_status;
  bool exhausted = false;
  if (progress != nullptr) {
    const std::string keying = key == RecordKey::kNone
                                   ? std::string("without keys")
                                   : "keyed by " + std::string(RecordKeyName(key));
    std::fprintf(progress, "gen: producing to %s at %s, %s\n", where.c_str(),
                 options.paced
                     ? (std::to_string(static_cast<int64_t>(options.rate)) + " records/s").c_str()
                     : "max rate",
                 keying.c_str());
  }

  while (!exhausted && send_status.ok() && !g_stop.load(std::memory_order_relaxed)) {
    int64_t want = kStep;
    if (options.paced) {
      // Absolute schedule: record i is due at start + i / rate, so the rate never drifts.
      const double elapsed = Seconds(Clock::now() - start);
      const int64_t due = static_cast<int64_t>(elapsed * options.rate) + 1;
      want = std::min<int64_t>(kStep, due - gen.produced());
      if (want <= 0) {
        const double next_due = static_cast<double>(gen.produced()) / options.rate;
        auto wait = std::chrono::duration<double>(next_due - elapsed);
        std::this_thread::sleep_for(
            std::min<std::chrono::duration<double>>(wait, std::chrono::milliseconds(50)));
        producer.Poll();
        continue;
      }
    }
    // An empty key (RecordKey::kNone) is sent as a NULL key (KafkaProducer::Send).
    size_t made = gen.NextEach(
        static_cast<size_t>(want),
        [&](std::string_view rec, std::string_view k) {
          if (send_status.ok()) send_status = producer.Send(k, rec, &g_stop);
        },
        key);
    if (made == 0) exhausted = true;
    producer.Poll();

    const Clock::time_point now = Clock::now();
    if (progress != nullptr) {
      if (std::optional<std::string> line =
              producer.health().DueReport("gen", ep->bootstrap, now)) {
        std::fprintf(progress, "%s\n", line->c_str());
      }
    }
    if (progress != nullptr && now >= next_report) {
      next_report += kReportEvery;
      const double secs = Seconds(now - start);
      const int64_t waiting = producer.sent() - producer.delivered() - producer.failed();
      std::string stall;
      if (waiting > 0 && now - producer.last_report() >= kStallAfter) {
        stall = ", delivery stalled: nothing delivered for " +
                std::to_string(static_cast<int64_t>(Seconds(now - producer.last_report()))) +
                " s, " + std::to_string(waiting) + " records waiting";
        if (!producer.health().last_error().empty())
          stall += " (" + producer.health().last_error() + ")";
      }
      std::fprintf(
          progress, "gen: %.0fs: %lld sent, %lld delivered, %lld failed, %.0f records/s%s\n", secs,
          static_cast<long long>(producer.sent()), static_cast<long long>(producer.delivered()),
          static_cast<long long>(producer.failed()), static_cast<double>(producer.sent()) / secs,
          stall.c_str());
      std::fflush(progress);
    }
  }
  const double send_secs = Seconds(Clock::now() - start);
  const bool interrupted = g_stop.load();
  producer.Flush(interrupted ? kInterruptFlushTimeoutMs : kFinalFlushTimeoutMs);

  if (progress != nullptr) {
    std::fprintf(
        progress,
        "gen: %s: %lld records sent to %s, %lld delivered, %lld failed, %.2f s, "
        "%.0f records/s%s\n",
        interrupted ? "interrupted" : "done", static_cast<long long>(producer.sent()),
        where.c_str(), static_cast<long long>(producer.delivered()),
        static_cast<long long>(producer.failed()), send_secs,
        send_secs > 0 ? static_cast<double>(producer.sent()) / send_secs : 0.0,
        options.paced
            ? (" (target " + std::to_string(static_cast<int64_t>(options.rate)) + ")").c_str()
            : "");
    std::fflush(progress);
  }
  if (!send_status.ok() && !interrupted) return send_status;
  if (producer.failed() > 0) {
    return Status::Unavailable(std::to_string(producer.failed()) + " of " +
                               std::to_string(producer.sent()) + " records failed delivery to " +
                               where + ": " + producer.first_error());
  }
  return Status::Ok();
}

}  // namespace sluice
