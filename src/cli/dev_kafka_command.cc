// `sluice dev-kafka`: a local Kafka (librdkafka's mock cluster) for trying and testing sluice,
// with fault injection driven by commands on stdin or a script; and `sluice dev-kafka dump`,
// which writes a topic's messages to a file (the tests' independent reference).
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "kafka/dev_cluster.h"
#include "kafka/kafka_options.h"
#include "kafka/topic_dump.h"

namespace sluice::cli {
namespace {

constexpr const char* kLimits =
    "dev-kafka is librdkafka's mock cluster: a real Kafka protocol endpoint on loopback, for\n"
    "trying and testing only. Limits: memory only (nothing survives a restart); about 5 MiB\n"
    "(or 100,000 message sets) kept per partition, older data is dropped at high volume;\n"
    "no real transaction isolation; no TLS/SASL; ports are picked by the kernel (use\n"
    "--bootstrap-file to find them). Use a real Kafka or Redpanda for anything else\n"
    "(deploy/docker-compose.yml, docs/kafka.md).\n\n"
    "Fault injection: each line on stdin (or in --fault-script FILE) is a command; the reply\n"
    "('ok ...' on stdout, 'error: ...' on stderr) comes once it took effect:\n";

struct DevKafkaFlags {
  int brokers = 1;
  std::vector<std::string> topics;
  std::string bootstrap_file;
  std::string fault_script;
  bool no_stdin = false;
};

struct DumpFlags {
  std::string bootstrap;
  std::string bootstrap_file;
  std::string topic = "logs";
  std::string out = "-";
  DumpColumns columns;
  KafkaClientOptions kafka;
};

std::mutex g_out_mu;  // one reply line at a time on stdout/stderr

void Reply(DevCluster& cluster, const std::string& line) {
  std::string_view l = line;
  while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.remove_suffix(1);
  if (l.empty() || l.front() == '#') return;
  if (l.starts_with("sleep")) {
    int ms = std::atoi(std::string(l.substr(5)).c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    std::lock_guard<std::mutex> lock(g_out_mu);
    std::printf("ok %s\n", std::string(l).c_str());
    std::fflush(stdout);
    return;
  }
  Result<std::string> r = cluster.Execute(l);
  std::lock_guard<std::mutex> lock(g_out_mu);
  if (r.ok()) {
    std::printf("%s\n", r->c_str());
    std::fflush(stdout);
  } else {
    std::fprintf(stderr, "error: %s\n", r.status().message().c_str());
    std::fflush(stderr);
  }
}

// Reads command lines from stdin until EOF or `stop`; polls so that it can be joined.
void StdinLoop(DevCluster& cluster, const std::atomic<bool>& stop) {
  std::string pending;
  char buf[4096];
  while (!stop.load()) {
    pollfd pfd{STDIN_FILENO, POLLIN, 0};
    int r = ::poll(&pfd, 1, 200);
    if (r <= 0) continue;
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n <= 0) return;  // EOF (or /dev/null): keep running, just no more commands
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      Reply(cluster, pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
}

void ScriptLoop(DevCluster& cluster, const std::vector<std::string>& lines,
                const std::atomic<bool>& stop) {
  for (const std::string& line : lines) {
    if (stop.load()) return;
    Reply(cluster, line);
  }
}

int RunDevKafka(const DevKafkaFlags& f) {
  std::vector<DevTopic> topics;
  for (const std::string& spec : f.topics.empty() ? std::vector<std::string>{"logs:4"} : f.topics) {
    Result<DevTopic> t = ParseDevTopic(spec);
    if (!t.ok()) {
      std::fprintf(stderr, "sluice dev-kafka: %s\n", t.status().message().c_str());
      return 2;
    }
    topics.push_back(*t);
  }
  std::vector<std::string> script;
  if (!f.fault_script.empty()) {
    std::ifstream in(f.fault_script);
    if (!in) {
      std::fprintf(stderr, "sluice dev-kafka: cannot read --fault-script %s\n",
                   f.fault_script.c_str());
      return 2;
    }
    for (std::string line; std::getline(in, line);) script.push_back(line);
  }

  // Block the stop signals before librdkafka starts its threads (they inherit the mask), so
  // that only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Result<std::unique_ptr<DevCluster>> started = DevCluster::Start(f.brokers, topics);
  if (!started.ok()) {
    std::fprintf(stderr, "sluice dev-kafka: %s\n", started.status().message().c_str());
    return started.status().exit_code();
  }
  DevCluster& cluster = **started;

  if (!f.bootstrap_file.empty()) {
    // Written whole then renamed, so a test polling for the file never reads half of it.
    std::string tmp = f.bootstrap_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << cluster.bootstrap() << "\n";
      if (!out) {
        std::fprintf(stderr, "sluice dev-kafka: cannot write %s\n", tmp.c_str());
        return 1;
      }
    }
    if (std::rename(tmp.c_str(), f.bootstrap_file.c_str()) != 0) {
      std::fprintf(stderr, "sluice dev-kafka: cannot write %s\n", f.bootstrap_file.c_str());
      return 1;
    }
  }
  {
    std::lock_guard<std::mutex> lock(g_out_mu);
    std::printf("%s\n", cluster.bootstrap().c_str());
    std::fflush(stdout);
    std::string names;
    for (const DevTopic& t : topics) names += " " + t.name + ":" + std::to_string(t.partitions);
    std::fprintf(stderr,
                 "dev-kafka: %d broker(s) at %s, topics%s (in memory, ~5 MiB per partition).\n"
                 "  sluice gen --to kafka://%s/%s\n"
                 "  sluice run --source kafka://%s/%s \"SELECT ...\"\n"
                 "Ctrl-C stops it. Fault commands on stdin: down 1, up 1, errors Fetch 5 "
                 "NOT_LEADER_FOR_PARTITION (see --help).\n",
                 cluster.brokers(), cluster.bootstrap().c_str(), names.c_str(),
                 cluster.bootstrap().c_str(), topics[0].name.c_str(), cluster.bootstrap().c_str(),
                 topics[0].name.c_str());
    std::fflush(stderr);
  }

  std::atomic<bool> stop{false};
  std::thread stdin_thread;
  if (!f.no_stdin) stdin_thread = std::thread([&] { StdinLoop(cluster, stop); });
  std::thread script_thread;
  if (!script.empty()) script_thread = std::thread([&] { ScriptLoop(cluster, script, stop); });

  int sig = 0;
  sigwait(&stop_signals, &sig);
  stop.store(true);
  if (stdin_thread.joinable()) stdin_thread.join();
  if (script_thread.joinable()) script_thread.join();  // a pending `sleep` finishes first
  std::fprintf(stderr, "dev-kafka: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  started->reset();
  if (!f.bootstrap_file.empty()) std::remove(f.bootstrap_file.c_str());
  return 0;
}

int RunDump(const DumpFlags& f) {
  std::string bootstrap = f.bootstrap;
  if (bootstrap.empty() && !f.bootstrap_file.empty()) {
    std::ifstream in(f.bootstrap_file);
    std::getline(in, bootstrap);
  }
  if (bootstrap.empty()) {
    std::fprintf(stderr, "sluice dev-kafka dump: give --bootstrap HOST:PORT or --bootstrap-file\n");
    return 2;
  }
  std::FILE* out = stdout;
  if (f.out != "-") {
    out = std::fopen(f.out.c_str(), "wb");
    if (out == nullptr) {
      std::fprintf(stderr, "sluice dev-kafka dump: cannot write %s\n", f.out.c_str());
      return 1;
    }
  }
  TopicDumpStats stats;
  Status st = DumpTopic(bootstrap, f.topic, f.kafka.properties, f.columns, out, &stats);
  if (out != stdout) std::fclose(out);
  if (!st.ok()) {
    std::fprintf(stderr, "sluice dev-kafka dump: %s\n", st.message().c_str());
    return st.exit_code();
  }
  std::fprintf(stderr, "dump: %lld records (%lld bytes) from %d partitions of %s in %.2f s\n",
               static_cast<long long>(stats.records), static_cast<long long>(stats.bytes),
               stats.partitions, f.topic.c_str(), stats.seconds);
  return 0;
}

}  // namespace

void AddDevKafkaCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<DevKafkaFlags>();
  CLI::App* cmd = app.add_subcommand(
      "dev-kafka", "Run a local Kafka (librdkafka's mock cluster) for trying and testing");
  cmd->footer(std::string(kLimits) + std::string(kDevClusterCommands));
  cmd->add_option("--brokers", flags->brokers, "number of brokers (ids 1..N)")
      ->default_val(1)
      ->check(CLI::Range(1, 32));
  cmd->add_option("--topic", flags->topics,
                  "topic to create as NAME:PARTITIONS (repeatable; default logs:4)")
      ->type_name("NAME:PARTITIONS");
  cmd->add_option("--bootstrap-file", flags->bootstrap_file,
                  "write the bootstrap servers (host:port,...) to this file once ready; removed "
                  "at exit")
      ->type_name("PATH");
  cmd->add_option("--fault-script", flags->fault_script,
                  "run the fault commands of this file in order (with 'sleep MS' between them)")
      ->type_name("FILE");
  cmd->add_flag("--no-stdin", flags->no_stdin, "do not read fault commands from stdin");
  cmd->require_subcommand(0, 1);

  auto dump = std::make_shared<DumpFlags>();
  CLI::App* dcmd = cmd->add_subcommand(
      "dump",
      "Write every message of a topic, partition by partition, one per line (debugging "
      "aid; the reference of the Kafka tests)");
  dcmd->add_option("--bootstrap", dump->bootstrap, "bootstrap servers HOST:PORT[,HOST:PORT]");
  dcmd->add_option("--bootstrap-file", dump->bootstrap_file, "read the bootstrap servers from here")
      ->type_name("PATH");
  dcmd->add_option("--topic", dump->topic, "topic to read")->default_val("logs");
  dcmd->add_option("--out", dump->out, "output file, - for stdout")->default_val("-");
  dcmd->add_flag("--with-partition", dump->columns.partition,
                 "prefix each line with PARTITION<TAB>OFFSET<TAB>");
  dcmd->add_flag("--keys", dump->columns.key,
                 "prefix each value with its message key and a tab: the key as a JSON string, "
                 "null if the message has none (after PARTITION<TAB>OFFSET<TAB> if both)");
  AddKafkaFlags(*dcmd, dump->kafka);
  dcmd->callback([dump, &exit_code] { exit_code = RunDump(*dump); });

  cmd->callback([dcmd, flags, &exit_code] {
    if (dcmd->parsed()) return;
    exit_code = RunDevKafka(*flags);
  });
}

}  // namespace sluice::cli
