#include "cli/run_group.h"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/file_util.h"
#include "exec/group_engine.h"
#include "kafka/kafka_client.h"
#include "kafka/producer.h"
#include "plan/physical_plan.h"
#include "plan/query_identity.h"
#include "sink/console_sink.h"
#include "sink/jsonl_dir_sink.h"
#include "sink/sink_factory.h"

namespace sluice::cli {
namespace {

std::atomic<GroupEngine*> g_group_engine{nullptr};

void OnGroupSignal(int) {
  if (GroupEngine* e = g_group_engine.load()) e->Stop();
}

// The user's -X properties apply to every client; these only make sense for the consumer.
KafkaProperties ProducerProperties(const KafkaProperties& all) {
  static const char* const kConsumerOnly[] = {"group.id",
                                              "group.instance.id",
                                              "session.timeout.ms",
                                              "heartbeat.interval.ms",
                                              "partition.assignment.strategy",
                                              "auto.offset.reset",
                                              "enable.auto.commit",
                                              "auto.commit.interval.ms",
                                              "enable.auto.offset.store",
                                              "max.poll.interval.ms",
                                              "fetch.wait.max.ms",
                                              "fetch.min.bytes",
                                              "fetch.max.bytes",
                                              "max.partition.fetch.bytes",
                                              "queued.min.messages",
                                              "queued.max.messages.kbytes",
                                              "enable.partition.eof",
                                              "isolation.level",
                                              "coordinator.query.interval.ms",
                                              "check.crcs"};
  KafkaProperties out;
  for (const auto& kv : all) {
    if (std::find(std::begin(kConsumerOnly), std::end(kConsumerOnly), kv.first) ==
        std::end(kConsumerOnly)) {
      out.push_back(kv);
    }
  }
  return out;
}

// Reads, every 2 s, the member files every process of the group keeps in the shared checkpoint
// directory (DIR/members/, written by GroupEngine), for the UI's Workers page: who is in the
// group and what each owns. (The group coordinator's DescribeGroups would say the same on a real
// cluster, but librdkafka's mock behind `sluice dev-kafka` does not answer it.) Its own thread:
// a slow shared filesystem never stalls the engine.
class GroupWatcher {
 public:
  GroupWatcher(std::string dir, std::string self, RunMonitor& monitor)
      : dir_(std::move(dir)), self_(std::move(self)), monitor_(monitor) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~GroupWatcher() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      Refresh();
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(2), [&] { return stop_; });
    }
  }
  void Refresh() {
    auto names = ListDir(dir_);
    if (!names.ok()) return;
    std::vector<GroupMemberStatus> members;
    for (const auto& n : *names) {
      if (n.empty() || n[0] == '.' || n.size() < 8 || n.substr(n.size() - 7) != ".member") continue;
      auto text = ReadWholeFile(dir_ + "/" + n);
      if (!text.ok()) continue;
      GroupMemberStatus m;
      std::istringstream in(*text);
      std::string word;
      while (in >> word) {
        if (word == "member")
          in >> m.member_id;
        else if (word == "host")
          in >> m.host;
        else if (word == "updated_ms")
          in >> m.updated_ms;
        else if (word == "unit") {
          std::string kind, partition, rest;
          in >> kind >> partition;
          std::getline(in, rest);
          m.partitions.push_back(kind + " " + partition + rest);
        }
      }
      m.self = m.member_id == self_;
      members.push_back(std::move(m));
    }
    monitor_.SetGroupMembers(std::move(members));
  }

  std::string dir_;
  std::string self_;
  RunMonitor& monitor_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace

int RunGroupMember(const PreparedQuery& pq, const QueryFlags& query,
                   const KafkaClientOptions& kafka, const GroupRunFlags& flags,
                   RunMonitor& monitor) {
  Result<KafkaEndpoint> ep = ResolveKafkaEndpoint(query.source, kafka);
  if (!ep.ok()) return Fail(ep.status());
  if (flags.sink.rfind("jsonl:", 0) == 0 && flags.sink.back() != '/' && flags.sink != "jsonl:-") {
    return Fail(
        Status::InvalidArgument("--sink " + flags.sink +
                                ": the processes of a consumer group cannot share one file; "
                                "write to a directory of part files (jsonl:" +
                                flags.sink.substr(6) + "/) or to Kafka"));
  }

  // The query's identity: every unit of the shared checkpoint checks it.
  QueryIdentity identity;
  identity.parts.emplace_back("source", query.source);
  identity.parts.emplace_back("group", ep->group_id);
  for (auto& part : QueryStateParts(pq.query, pq.mode)) identity.parts.push_back(std::move(part));
  identity.parts.emplace_back("state partitions", std::to_string(flags.state_partitions));
  identity.sql = pq.sql;
  std::string identity_text;
  for (const auto& [k, v] : identity.parts) identity_text += k + "=" + v + "\n";
  char hash[17];
  std::snprintf(
      hash, sizeof(hash), "%016llx",
      static_cast<unsigned long long>(XXH3_64bits(identity_text.data(), identity_text.size())));

  // The input's partition count, and the repartition topic (created by whoever comes first).
  Result<KafkaConf> conf = MakeKafkaConf(ep->bootstrap, {{"client.id", "sluice-admin"}},
                                         ProducerProperties(ep->properties));
  if (!conf.ok()) return Fail(conf.status());
  Result<KafkaHandle> admin = NewKafkaHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!admin.ok()) return Fail(admin.status());
  Result<int> input_partitions =
      CheckKafkaTopic(admin->get(), ep->bootstrap, ep->topic, TopicCreation::kNever);
  if (!input_partitions.ok()) return Fail(input_partitions.status());
  const std::string exchange_topic = ep->group_id + "-" + std::string(hash, 8) + "-repartition";
  int exchange_partitions = 0;
  std::unique_ptr<KafkaProducer> producer;
  const GroupPlan plan = ChooseGroupPlan(pq.query, query.partitioned_by);
  const bool exchange = pq.query.aggregating && plan.exchange;
  if (pq.query.aggregating) {
    std::fprintf(stderr, "sluice: exchange: %s\n", plan.reason.c_str());
    identity.parts.emplace_back("exchange", plan.exchange ? "repartition topic" : "none");
  }
  if (exchange) {
    const int wanted =
        flags.exchange_partitions > 0 ? flags.exchange_partitions : *input_partitions;
    Result<int> got = EnsureKafkaTopic(admin->get(), ep->bootstrap, exchange_topic, wanted);
    if (!got.ok()) return Fail(got.status());
    exchange_partitions = *got;
    identity.parts.emplace_back("exchange partitions", std::to_string(exchange_partitions));
    KafkaEndpoint xep = *ep;
    xep.topic = exchange_topic;
    xep.properties = ProducerProperties(ep->properties);
    auto opened = KafkaProducer::Open(xep, {{"client.id", "sluice-exchange"},
                                            {"enable.idempotence", "true"},
                                            {"linger.ms", "5"},
                                            {"compression.type", "lz4"}});
    if (!opened.ok()) return Fail(opened.status());
    producer = std::move(*opened);
  }
  admin->reset();

  GroupEngineOptions go;
  go.engine.mode = pq.mode;
  go.engine.threads = pq.threads;
  go.engine.watermark_delay_ms = pq.watermark_ms;
  go.engine.trigger_ms = pq.trigger_ms;
  go.engine.idle_timeout_ms = flags.idle_timeout_ms;
  go.engine.time_zone = pq.time_zone;
  go.engine.state_partitions = flags.state_partitions;
  go.checkpoint_dir = WithoutTrailingSlashes(flags.checkpoint);
  go.identity = identity;
  go.input_partitions = *input_partitions;
  go.exchange_partitions = exchange_partitions;
  go.available_now = pq.available_now;
  go.allow_state_loss = flags.allow_state_loss;
  go.aligned = pq.query.aggregating && !exchange;
  SinkOptions so;
  so.time_zone = pq.time_zone;
  so.console_rows = flags.console_rows;
  so.kafka = &kafka;
  so.mode = pq.mode;
  so.checkpointed = true;
  const std::string sink_spec = flags.sink;
  go.make_sink = [sink_spec, so](const std::string& unit) -> Result<std::unique_ptr<Sink>> {
    SinkOptions o = so;
    o.writer = unit;
    return MakeSink(sink_spec, o);
  };
  GroupEngine engine(pq.query, go);

  KafkaGroupHooks hooks;
  hooks.exchange_topic = exchange ? exchange_topic : "";
  hooks.owner = &engine;
  auto source = MakeKafkaSource(query.source, kafka, pq.available_now, nullptr, hooks);
  if (!source.ok()) return Fail(source.status());
  engine.Attach(source->get(), producer.get());
  engine.SetMonitor(&monitor, ep->group_id, exchange ? exchange_topic : "");
  GroupWatcher watcher(go.checkpoint_dir + "/members", engine.member_id(), monitor);
  std::fprintf(stderr, "sluice: group %s, %d input partitions%s; checkpoint %s\n",
               ep->group_id.c_str(), *input_partitions,
               exchange ? (", partial aggregates through " + exchange_topic + " (" +
                           std::to_string(exchange_partitions) + " partitions)")
                              .c_str()
                        : "",
               go.checkpoint_dir.c_str());

  g_group_engine.store(&engine);
  std::signal(SIGPIPE, SIG_IGN);  // closed output pipes come back as EPIPE (exit 141)
  std::signal(SIGINT, OnGroupSignal);
  std::signal(SIGTERM, OnGroupSignal);
  Status st = engine.Run();
  g_group_engine.store(nullptr);
  source->reset();  // leaves the group (its revoke callbacks still reach the engine)
  const GroupCounters& c = engine.counters();
  std::fprintf(stderr,
               "sluice: this member read %lld records (%lld malformed), merged %lld partial "
               "aggregates (%lld replays dropped, %lld late groups), wrote %lld rows; exchange "
               "%lld bytes\n",
               static_cast<long long>(c.input_records), static_cast<long long>(c.malformed_records),
               static_cast<long long>(c.messages_merged), static_cast<long long>(c.replays_dropped),
               static_cast<long long>(c.late_groups), static_cast<long long>(c.output_rows),
               static_cast<long long>(c.exchange_bytes));
  std::fprintf(
      stderr,
      "summary member_input_records=%lld member_malformed_records=%lld member_output_rows=%lld "
      "exchange_bytes=%lld\n",
      static_cast<long long>(c.input_records), static_cast<long long>(c.malformed_records),
      static_cast<long long>(c.output_rows), static_cast<long long>(c.exchange_bytes));
  if (!st.ok()) return Fail(st);
  return 0;
}

}  // namespace sluice::cli
