#include "kafka/dev_cluster.h"

// clang-format off
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
// clang-format on

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace sluice {
namespace {

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// Real brokers set TCP_NODELAY on their connections (Kafka's SocketServer does); librdkafka's
// mock brokers do not. Without it a response written while the previous one is still
// unacknowledged waits for the client's delayed ACK, 40 ms: a consumer whose start-up requests
// (Metadata, ListOffsets) overlap paid that in about half of its starts. Linux gives accepted
// sockets the TCP_NODELAY of their listening socket, so it is set on the mock brokers' listeners,
// found among this process's sockets by their ports (in `bootstrap`, "127.0.0.1:PORT,...").
void DisableNagleOnListeners(const std::string& bootstrap) {
  std::vector<int> ports;
  for (size_t i = 0; i < bootstrap.size();) {
    const size_t colon = bootstrap.find(':', i);
    if (colon == std::string::npos) break;
    ports.push_back(std::atoi(bootstrap.c_str() + colon + 1));
    i = bootstrap.find(',', colon);
    if (i == std::string::npos) break;
    ++i;
  }
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return;
  while (const dirent* e = ::readdir(dir)) {
    const int fd = std::atoi(e->d_name);
    struct stat st {};
    if (fd <= 2 || ::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int listening = 0;
    socklen_t len = sizeof(listening);
    sockaddr_in addr{};
    socklen_t addr_len = sizeof(addr);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening == 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0 ||
        addr.sin_family != AF_INET ||
        std::find(ports.begin(), ports.end(), ntohs(addr.sin_port)) == ports.end()) {
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ::closedir(dir);
}

bool ParseInt(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct ApiName {
  std::string_view name;
  int16_t key;
};
// Kafka protocol ApiKeys the mock implements (rdkafka_mock_handlers.c).
constexpr ApiName kApis[] = {
    {"Produce", 0},
    {"Fetch", 1},
    {"ListOffsets", 2},
    {"Metadata", 3},
    {"OffsetCommit", 8},
    {"OffsetFetch", 9},
    {"FindCoordinator", 10},
    {"JoinGroup", 11},
    {"Heartbeat", 12},
    {"LeaveGroup", 13},
    {"SyncGroup", 14},
    {"DescribeGroups", 15},
    {"ListGroups", 16},
    {"ApiVersions", 18},
    {"CreateTopics", 19},
    {"InitProducerId", 22},
    {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25},
    {"EndTxn", 26},
    {"TxnOffsetCommit", 28},
};

Result<int16_t> ParseApi(std::string_view word) {
  int n = 0;
  if (ParseInt(word, n) && n >= 0 && n < 100) return static_cast<int16_t>(n);
  for (const ApiName& a : kApis) {
    if (IEquals(a.name, word)) return a.key;
  }
  std::string known;
  for (const ApiName& a : kApis) known += (known.empty() ? "" : ", ") + std::string(a.name);
  return Status::InvalidArgument("unknown Kafka API '" + std::string(word) + "' (one of " + known +
                                 ", or its number)");
}

Result<rd_kafka_resp_err_t> ParseError(std::string_view word) {
  constexpr std::string_view kPrefix = "RD_KAFKA_RESP_ERR_";
  if (word.size() > kPrefix.size() && IEquals(word.substr(0, kPrefix.size()), kPrefix)) {
    word.remove_prefix(kPrefix.size());
  }
  int n = 0;
  if (ParseInt(word, n)) return static_cast<rd_kafka_resp_err_t>(n);
  // Kafka's own names (the protocol guide, the Java client) where librdkafka spells them
  // differently; librdkafka's names are accepted too.
  struct KafkaName {
    std::string_view kafka;
    rd_kafka_resp_err_t code;
  };
  static constexpr KafkaName kKafkaNames[] = {
      {"UNKNOWN_SERVER_ERROR", RD_KAFKA_RESP_ERR_UNKNOWN},
      {"CORRUPT_MESSAGE", RD_KAFKA_RESP_ERR_INVALID_MSG},
      {"UNKNOWN_TOPIC_OR_PARTITION", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART},
      {"INVALID_FETCH_SIZE", RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE},
      {"NOT_LEADER_OR_FOLLOWER", RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION},
      {"MESSAGE_TOO_LARGE", RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE},
      {"STALE_CONTROLLER_EPOCH", RD_KAFKA_RESP_ERR_STALE_CTRL_EPOCH},
      {"INVALID_TOPIC_EXCEPTION", RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION},
  };
  for (const KafkaName& k : kKafkaNames) {
    if (IEquals(k.kafka, word)) return k.code;
  }
  const rd_kafka_err_desc* descs = nullptr;
  size_t cnt = 0;
  rd_kafka_get_err_descs(&descs, &cnt);
  for (size_t i = 0; i < cnt; ++i) {
    if (descs[i].name != nullptr && IEquals(descs[i].name, word)) return descs[i].code;
  }
  return Status::InvalidArgument("unknown Kafka error '" + std::string(word) +
                                 "' (a Kafka or librdkafka name such as NOT_LEADER_OR_FOLLOWER, "
                                 "UNKNOWN_TOPIC_OR_PARTITION, or a number)");
}

}  // namespace

Result<DevTopic> ParseDevTopic(std::string_view spec) {
  DevTopic t;
  size_t colon = spec.rfind(':');
  t.name = std::string(spec.substr(0, colon));
  if (colon != std::string_view::npos) {
    if (!ParseInt(spec.substr(colon + 1), t.partitions) || t.partitions < 1 ||
        t.partitions > 10'000) {
      return Status::InvalidArgument("bad topic '" + std::string(spec) +
                                     "': expected NAME:PARTITIONS with 1..10000 partitions");
    }
  }
  if (t.name.empty()) {
    return Status::InvalidArgument("bad topic '" + std::string(spec) + "': missing name");
  }
  return t;
}

Result<std::unique_ptr<DevCluster>> DevCluster::Start(int brokers,
                                                      const std::vector<DevTopic>& topics) {
  if (brokers < 1 || brokers > 32) return Status::InvalidArgument("--brokers must be 1..32");
  // The mock cluster needs a handle for its bookkeeping; a producer with no brokers of its own.
  KafkaConf conf(rd_kafka_conf_new());
  char err[512];
  rd_kafka_conf_set(conf.get(), "log_level", "3", err, sizeof(err));
  Result<KafkaHandle> rk = NewKafkaHandle(RD_KAFKA_PRODUCER, std::move(conf));
  if (!rk.ok()) return rk.status();

  std::unique_ptr<DevCluster> c(new DevCluster());
  c->rk_ = std::move(*rk);
  c->mcluster_ = rd_kafka_mock_cluster_new(c->rk_.get(), brokers);
  if (c->mcluster_ == nullptr) return Status::Internal("cannot start the mock Kafka cluster");
  c->brokers_ = brokers;
  c->bootstrap_ = rd_kafka_mock_cluster_bootstraps(c->mcluster_);
  DisableNagleOnListeners(c->bootstrap_);
  for (const DevTopic& t : topics) {
    Result<std::string> r = c->Execute("topic " + t.name + ":" + std::to_string(t.partitions));
    if (!r.ok()) return r.status();
  }
  return c;
}

DevCluster::~DevCluster() {
  if (mcluster_ != nullptr) rd_kafka_mock_cluster_destroy(mcluster_);
}

Result<int> DevCluster::ParseBroker(std::string_view word) const {
  if (word == "all") return -1;
  int id = 0;
  if (!ParseInt(word, id) || id < 1 || id > brokers_) {
    return Status::InvalidArgument("broker '" + std::string(word) + "' is not 1.." +
                                   std::to_string(brokers_) + " or 'all'");
  }
  return id;
}

Result<std::string> DevCluster::Execute(std::string_view line) {
  std::vector<std::string_view> w = Words(line);
  if (w.empty()) return Status::InvalidArgument("empty command");
  std::lock_guard<std::mutex> lock(mu_);
  std::string_view cmd = w[0];
  auto usage = [&](std::string_view form) {
    return Status::InvalidArgument("usage: " + std::string(form));
  };
  auto check = [&](rd_kafka_resp_err_t e) -> Result<std::string> {
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::InvalidArgument(std::string(line) + ": " + rd_kafka_err2str(e));
    }
    std::string reply = "ok";
    for (std::string_view x : w) reply += " " + std::string(x);
    return reply;
  };

  if (cmd == "down" || cmd == "up") {
    if (w.size() != 2) return usage(std::string(cmd) + " ID|all");
    Result<int> id = ParseBroker(w[1]);
    if (!id.ok()) return id.status();
    Result<std::string> done = check(cmd == "down" ? rd_kafka_mock_broker_set_down(mcluster_, *id)
                                                   : rd_kafka_mock_broker_set_up(mcluster_, *id));
    // In case a broker that comes back listens on a new socket.
    if (cmd == "up") DisableNagleOnListeners(bootstrap_);
    return done;
  }
  if (cmd == "rtt") {
    int ms = 0;
    if (w.size() != 3 || !ParseInt(w[2], ms) || ms < 0) return usage("rtt ID|all MS");
    Result<int> id = ParseBroker(w[1]);
    if (!id.ok()) return id.status();
    return check(rd_kafka_mock_broker_set_rtt(mcluster_, *id, ms));
  }
  if (cmd == "errors") {
    int count = 0;
    if (w.size() != 4 || !ParseInt(w[2], count) || count < 1) {
      return usage("errors API COUNT ERR[,ERR...]");
    }
    Result<int16_t> api = ParseApi(w[1]);
    if (!api.ok()) return api.status();
    std::vector<rd_kafka_resp_err_t> kinds;
    std::string_view list = w[3];
    for (size_t pos = 0; pos <= list.size();) {
      size_t comma = list.find(',', pos);
      if (comma == std::string_view::npos) comma = list.size();
      Result<rd_kafka_resp_err_t> e = ParseError(list.substr(pos, comma - pos));
      if (!e.ok()) return e.status();
      kinds.push_back(*e);
      pos = comma + 1;
    }
    std::vector<rd_kafka_resp_err_t> errs(static_cast<size_t>(count));
    for (size_t i = 0; i < errs.size(); ++i) errs[i] = kinds[i % kinds.size()];
    rd_kafka_mock_push_request_errors_array(mcluster_, *api, errs.size(), errs.data());
    return check(RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  if (cmd == "clear") {
    if (w.size() != 2) return usage("clear API");
    Result<int16_t> api = ParseApi(w[1]);
    if (!api.ok()) return api.status();
    rd_kafka_mock_clear_request_errors(mcluster_, *api);
    return check(RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  if (cmd == "leader") {
    int part = 0;
    if (w.size() != 4 || !ParseInt(w[2], part)) return usage("leader TOPIC PARTITION ID");
    Result<int> id = ParseBroker(w[3]);
    if (!id.ok()) return id.status();
    if (*id < 0) return usage("leader TOPIC PARTITION ID (one broker, not all)");
    std::string topic(w[1]);
    return check(rd_kafka_mock_partition_set_leader(mcluster_, topic.c_str(), part, *id));
  }
  if (cmd == "topic") {
    if (w.size() != 2) return usage("topic NAME[:PARTITIONS]");
    Result<DevTopic> t = ParseDevTopic(w[1]);
    if (!t.ok()) return t.status();
    return check(rd_kafka_mock_topic_create(mcluster_, t->name.c_str(), t->partitions,
                                            std::min(brokers_, 3)));
  }
  return Status::InvalidArgument("unknown command '" + std::string(cmd) + "'; commands:\n" +
                                 std::string(kDevClusterCommands));
}

}  // namespace sluice
