// `sluice gen`: the lab's load generator, writing JSON lines to stdout, a file or Kafka.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/generator_flags.h"
#include "gen/generator.h"
#include "kafka/generator_to_kafka.h"
#include "kafka/kafka_options.h"

namespace sluice::cli {
namespace {

// Set by SIGINT/SIGTERM: finish writing the current chunk, report, exit. SA_RESETHAND makes a
// second Ctrl-C kill the process at once (e.g. when the reader of a pipe is stuck).
volatile std::sig_atomic_t g_stop = 0;
extern "C" void OnStopSignal(int) { g_stop = 1; }

void InstallSignalHandlers() {
  std::signal(SIGPIPE, SIG_IGN);  // a closed reader shows up as EPIPE from write()
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // no SA_RESTART: a sleep or blocked write returns early
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

enum class WriteOutcome { kOk, kClosed, kFailed };

// Writes all of `data`, retrying after signals: a stop request still flushes what was made.
WriteOutcome WriteAll(int fd, std::string_view data, int& error) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      return errno == EPIPE ? WriteOutcome::kClosed : WriteOutcome::kFailed;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return WriteOutcome::kOk;
}

// Sleeps until `due` in short slices so that a stop request is seen within 50 ms.
void SleepUntil(std::chrono::steady_clock::time_point due) {
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (g_stop || now >= due) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(due - now, std::chrono::milliseconds(50)));
  }
}

struct GenArgs {
  GeneratorOptions options;
  std::string to = "-";
  RecordKey key = RecordKey::kUserId;  // Kafka message key; unused for stdout and files
  KafkaClientOptions kafka;
};

int RunGen(const GenArgs& args) {
  if (Status st = ValidateGeneratorOptions(args.options); !st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.message().c_str());
    return 2;
  }
  std::string dest = args.to;
  // Kafka: records keyed as --key says, paced, progress on stderr (kafka/generator_to_kafka.h).
  if (dest.rfind("kafka://", 0) == 0) {
    Status st = GenerateToKafka(args.options, args.key, dest, args.kafka, stderr);
    if (!st.ok()) std::fprintf(stderr, "error: %s\n", st.message().c_str());
    return st.exit_code();
  }
  if (dest.rfind("file:", 0) == 0) dest = dest.substr(5);
  if (dest.empty()) {
    std::fprintf(stderr, "error: --to: empty file name (use '-' for stdout)\n");
    return 2;
  }
  int fd = STDOUT_FILENO;
  if (dest != "-") {
    fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::fprintf(stderr, "error: cannot open '%s' for writing: %s\n", dest.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }
  InstallSignalHandlers();

  Generator gen(args.options);
  const GeneratorOptions& o = gen.options();
  // Paced: chunks of ~10 ms worth of records; unpaced: large chunks for few syscalls.
  const size_t chunk =
      o.paced ? static_cast<size_t>(std::clamp(o.rate / 100, 1.0, 16384.0)) : 16384;
  std::string buffer;
  buffer.reserve(chunk * 256);
  const auto t0 = std::chrono::steady_clock::now();
  WriteOutcome outcome = WriteOutcome::kOk;
  int error = 0;
  int64_t bytes = 0;
  while (!g_stop) {
    if (o.paced) {
      // Record i is due at t0 + i / rate seconds of wall clock.
      auto due =
          t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(static_cast<double>(gen.produced()) / o.rate));
      SleepUntil(due);
      if (g_stop) break;
    }
    buffer.clear();
    if (gen.Next(chunk, buffer) == 0) break;
    bytes += static_cast<int64_t>(buffer.size());
    outcome = WriteAll(fd, buffer, error);
    if (outcome != WriteOutcome::kOk) break;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (fd != STDOUT_FILENO && ::close(fd) != 0 && outcome == WriteOutcome::kOk) {
    outcome = WriteOutcome::kFailed;
    error = errno;
  }
  if (outcome == WriteOutcome::kClosed) return 0;  // `sluice gen | head`: the reader has enough
  if (outcome == WriteOutcome::kFailed) {
    std::fprintf(stderr, "error: writing to '%s': %s\n", dest.c_str(), std::strerror(error));
    return 1;
  }
  const int64_t n = gen.produced();
  std::fprintf(stderr, "gen: wrote %lld records (%.1f MB) to %s in %.3f s: %.0f records/s%s\n",
               static_cast<long long>(n), static_cast<double>(bytes) / 1e6,
               dest == "-" ? "stdout" : dest.c_str(), elapsed,
               elapsed > 0 ? static_cast<double>(n) / elapsed : 0.0,
               g_stop ? " (interrupted)" : "");
  return 0;
}

}  // namespace

void AddGenCommand(CLI::App& app, int& exit_code) {
  CLI::App* cmd =
      app.add_subcommand("gen",
                         "Generate JSON log events like the lab's load generator (env TARGET_RPS, "
                         "ADDITIONAL_TERM, ADDITIONAL_TERM_RATE)");
  auto args = std::make_shared<GenArgs>();  // owned by the callback, alive as long as the app
  ApplyLabEnvironment(args->options);       // defaults from the environment; flags override
  AddGeneratorFlags(*cmd, args->options);
  // The lab's KAFKA_BROKER/KAFKA_TOPIC make Kafka the default destination.
  if (std::optional<std::string> lab = LabKafkaDestination()) args->to = *lab;
  cmd->add_option("--to", args->to,
                  "Destination: '-' (stdout), a file path, file:PATH or "
                  "kafka://HOST:PORT[,HOST:PORT]/TOPIC (default kafka://$KAFKA_BROKER/$KAFKA_TOPIC "
                  "when KAFKA_BROKER is set)")
      ->type_name("DEST")
      ->capture_default_str();
  // Only `gen` has --key: `sluice run --source generator` sends nothing to Kafka.
  std::vector<std::string> key_names;
  key_names.reserve(kRecordKeys.size());
  for (RecordKey k : kRecordKeys) key_names.emplace_back(RecordKeyName(k));
  cmd->add_option_function<std::string>(
         "--key",
         [args](const std::string& name) {
           for (RecordKey k : kRecordKeys) {
             if (RecordKeyName(k) == name) args->key = k;
           }
         },
         "Kafka message key: the record's user_id, none (no key: keyless messages are spread "
         "over the partitions) or its source_ip. Accepted and ignored for stdout and files")
      ->type_name("KEY")
      ->check(CLI::IsMember(key_names))
      ->default_str(std::string(RecordKeyName(args->key)));
  AddKafkaFlags(*cmd, args->kafka, KafkaRole::kProducer);
  cmd->callback([args, &exit_code] { exit_code = RunGen(*args); });
}

}  // namespace sluice::cli
