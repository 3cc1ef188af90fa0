#include "source/kafka_source.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "common/source_status.h"
#include "kafka/broker_health.h"
#include "kafka/fetch_memory.h"
#include "kafka/kafka_client.h"
#include "source/batch_buffer_pool.h"

namespace sluice {
namespace {

using Clock = std::chrono::steady_clock;

// Messages taken from librdkafka per call: large enough to amortize the queue lock.
constexpr size_t kConsumeChunk = 4096;

// Batches are cut where offset / kMaxBatchRecords changes, so a bounded read is cut the same way
// whatever the fetch timing.
int64_t Bucket(int64_t offset) { return offset / static_cast<int64_t>(kMaxBatchRecords); }

// Replaces the logical start offsets of `list` (earliest, latest) by the offsets they stand for
// now, all in one ListOffsets request. librdkafka resolves a logical offset of an assignment with
// a query of its own, which it defers by 500 ms when the partition has not joined its leader's
// broker thread yet (a race at start-up, lost in about half the runs on dev-kafka), so a start
// "from earliest" costs 0 or 500 ms. Left as they are if the request fails (librdkafka then
// resolves them itself, as before).
void ResolveLogicalOffsets(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* list) {
  auto logical = [](int64_t o) {
    return o == RD_KAFKA_OFFSET_BEGINNING || o == RD_KAFKA_OFFSET_END;
  };
  KafkaPartitionList query(rd_kafka_topic_partition_list_new(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    // offsets_for_times reads a "timestamp" of OFFSET_BEGINNING/END as that logical offset.
    if (logical(tp.offset)) {
      rd_kafka_topic_partition_list_add(query.get(), tp.topic, tp.partition)->offset = tp.offset;
    }
  }
  if (query->cnt == 0 || rd_kafka_offsets_for_times(rk, query.get(), kKafkaStartupTimeoutMs) !=
                             RD_KAFKA_RESP_ERR_NO_ERROR) {
    return;
  }
  for (int i = 0; i < query->cnt; ++i) {
    const rd_kafka_topic_partition_t& got = query->elems[i];
    rd_kafka_topic_partition_t* tp =
        rd_kafka_topic_partition_list_find(list, got.topic, got.partition);
    if (tp != nullptr && got.err == RD_KAFKA_RESP_ERR_NO_ERROR && got.offset >= 0) {
      tp->offset = got.offset;
    }
  }
}

class KafkaSource final : public Source {
 public:
  KafkaSource(KafkaEndpoint ep, bool available_now, const std::vector<PartitionPosition>* start,
              KafkaGroupHooks hooks, std::shared_ptr<SourceStatusBoard> board)
      : ep_(std::move(ep)),
        available_now_(available_now),
        restoring_(start != nullptr),
        hooks_(std::move(hooks)),
        board_(std::move(board)) {
    if (start != nullptr) {
      for (const auto& p : *start) PartFor(0, p.partition.value).next_offset = p.next_offset.value;
    }
  }
  // Closes the consumer while the partition table is alive: closing runs the revoke callback.
  ~KafkaSource() override {
    if (rk_ && !rd_kafka_consumer_closed(rk_.get())) {
      if (ep_.group_given) LeaveGroup();
      rd_kafka_consumer_close(rk_.get());
    }
    queue_.reset();
  }

  Status Start();
  // Unsubscribes and serves the resulting revocation before the consumer is closed: librdkafka
  // 2.0's cooperative-sticky assignor aborts when a consumer is closed in the middle of a
  // rebalance (librdkafka issue #4312, fixed in 2.2), which happens when several members of a
  // group stop at once.
  void LeaveGroup();
  Status Poll(std::vector<RawBatch>& out, size_t max_batches,
              std::chrono::milliseconds timeout) override;
  bool Finished() const override;
  std::vector<PartitionInfo> Partitions() const override;
  std::string Describe() const override {
    return "kafka://" + ep_.bootstrap + "/" + ep_.topic + " (group " + ep_.group_id + ")";
  }
  void OnEpochCommitted(int64_t epoch, const std::vector<PartitionPosition>& positions) override;
  bool ReplayCuts(const std::vector<BatchCut>& cuts) override;

 private:
  // What this process knows of one partition of the topic. Touched by the driver thread only
  // (rebalance callbacks run inside Poll's librdkafka calls, on the same thread).
  struct Part {
    bool assigned = false;
    bool done = false;             // available_now: reached `target`
    int64_t next_offset = -1;      // next offset to read; -1 until the first record or EOF
    int64_t target = -1;           // available_now: high watermark at start
    RawBatch building;             // records not yet handed out (their offsets and starts)
    BatchBuffer bytes;             // their bytes
    bool building_gapless = true;  // offsets consecutive so far (then `offsets` stays empty)
    size_t last_batch_bytes = 0;   // to reserve the next batch at once
    uint32_t generation = 0;       // counts assignments: a batch from an earlier one is stale
    std::deque<int64_t> cuts;      // replay: where the next batches end, as planned (ReplayCuts)

    // Starts the next batch empty (its buffer, if not sealed, goes back to the pool).
    void ClearBuilding() {
      building = RawBatch();
      bytes = BatchBuffer();
      building_gapless = true;
    }
  };

  static void RebalanceCb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* parts, void* opaque);
  static int StatsCb(rd_kafka_t* rk, char* json, size_t len, void* opaque);
  static void ErrorCb(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  // Prints BrokerHealth's due lines and publishes the status board.
  void ReportHealth();
  // auto.offset.reset=error: the broker no longer holds the offset we asked for. Reads the
  // partition's range: offsets still there are asked for again (a transient answer); offsets
  // gone fail the run, or with --fail-on-data-loss false are skipped, counted and reported.
  Status OnOffsetOutOfRange(const rd_kafka_message_t& m);
  // Restarts fetching a partition at `offset` after librdkafka stopped it with an error.
  void RestartFetch(const char* topic, int32_t p, int64_t offset);
  void OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  // Sets each partition's start (our position, else the starting offsets) before an assign.
  void PrepareAssign(rd_kafka_topic_partition_list_t* list);
  void FinishAssign(rd_kafka_topic_partition_list_t* list);
  // 0: the input topic; 1: the exchange topic of group mode.
  int StreamOf(const char* topic) const {
    return !hooks_.exchange_topic.empty() && hooks_.exchange_topic == topic ? 1 : 0;
  }
  Part& PartFor(int stream, int32_t p) {
    auto& parts = parts_[stream];
    if (static_cast<size_t>(p) >= parts.size()) parts.resize(static_cast<size_t>(p) + 1);
    return parts[static_cast<size_t>(p)];
  }
  // About how many bytes the batch that `offset` starts will hold (0: unknown), to size its
  // buffer: as much as the partition's last batch, else, in a bounded read, the records up to
  // the batch's cut at the size per record seen so far (`record_bytes` for the very first).
  size_t ExpectedBatchBytes(const Part& s, int64_t offset, size_t record_bytes) const;
  // Appends one message to its partition's batch; returns an error only for fatal failures.
  Status Absorb(const rd_kafka_message_t& m);
  void SealBuilding(int stream, int32_t p, Part& s);
  // Group mode: forgets what was fetched of a partition another process now owns.
  void DropBuffered(int stream, int32_t p, Part& s);
  void MarkDone(int32_t p, Part& s);
  // Seals what each partition has so far: the exchange stream always, the input if asked.
  void FlushPartials(bool input);
  void ReportError(const rd_kafka_message_t& m);

  KafkaEndpoint ep_;
  bool available_now_;
  bool restoring_;  // started from a checkpoint
  KafkaHandle rk_;
  KafkaQueue queue_;  // the consumer queue: messages, rebalances and errors
  KafkaGroupHooks hooks_;
  std::vector<Part> parts_[2];         // per stream, by partition
  std::deque<RawBatch> ready_;         // sealed, not yet returned by Poll
  std::deque<BatchCut> replay_order_;  // replay: the partitions of the planned batches, in order
  bool got_assignment_ = false;
  std::vector<rd_kafka_message_t*> pending_;  // scratch for consume_batch_queue (borrowed per call)
  std::shared_ptr<BatchBufferPool> buffers_ = BatchBufferPool::Make();
  // What the batches handed out so far held, to size a partition's first batch.
  size_t sealed_bytes_ = 0;
  size_t sealed_records_ = 0;
  Status fatal_;
  Clock::time_point last_error_report_{};
  BrokerHealth health_;
  std::shared_ptr<SourceStatusBoard> board_;  // may be null
  Clock::time_point next_board_update_{};
  int64_t skipped_records_ = 0;  // --fail-on-data-loss false
};

Status KafkaSource::Start() {
  KafkaProperties defaults = {
      {"group.id", ep_.group_id},
      {"client.id", "sluice"},
      {"enable.auto.commit", "false"},  // offsets are not committed yet (see kafka_source.h)
      {"enable.auto.offset.store", "false"},
      // Only used when a fetch position is out of range (every assignment names its offset):
      // deliver that as an error instead of silently jumping (OnOffsetOutOfRange).
      {"auto.offset.reset", "error"},
      {"statistics.interval.ms", kKafkaStatisticsIntervalMs},  // BrokerHealth
      {"partition.assignment.strategy", "cooperative-sticky"},
      // A dead worker's partitions move to the others after 10 s, not Kafka's 45 s default.
      {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "1000"},
      {"enable.partition.eof", available_now_ ? "true" : "false"},
      // How long a broker may hold a fetch that finds no new records. A real broker answers
      // as soon as records arrive, so this only paces empty fetches of an idle topic (one per
      // 10 ms per broker); librdkafka's mock cluster (dev-kafka) holds an empty fetch for the
      // whole time even when records arrive meanwhile, so a longer wait is latency there.
      {"fetch.wait.max.ms", "10"},
      // Large fetches: the consumer keeps up with ~1M records/s without many round trips.
      {"max.partition.fetch.bytes", "4194304"},
      {"queued.min.messages", "200000"},
  };
  Result<KafkaConf> conf = MakeKafkaConf(ep_.bootstrap, defaults, ep_.properties);
  if (!conf.ok()) return conf.status();
  // Before the client's threads allocate: fetch buffers are reused, not faulted in again.
  (void)KeepFetchMemory();
  rd_kafka_conf_set_rebalance_cb(conf->get(), &KafkaSource::RebalanceCb);
  rd_kafka_conf_set_stats_cb(conf->get(), &KafkaSource::StatsCb);
  rd_kafka_conf_set_error_cb(conf->get(), &KafkaSource::ErrorCb);
  rd_kafka_conf_set_opaque(conf->get(), this);
  Result<KafkaHandle> rk = NewKafkaHandle(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!rk.ok()) return rk.status();
  rk_ = std::move(*rk);

  Result<int> partitions =
      CheckKafkaTopic(rk_.get(), ep_.bootstrap, ep_.topic, TopicCreation::kNever);
  if (!partitions.ok()) return partitions.status();
  parts_[0].resize(static_cast<size_t>(*partitions));

  if (available_now_) {
    // The end of the bounded read: each partition's high watermark now, all in one ListOffsets
    // request per leader (a "timestamp" of OFFSET_END asks for the end offset).
    KafkaPartitionList ends(rd_kafka_topic_partition_list_new(*partitions));
    for (int32_t p = 0; p < *partitions; ++p) {
      rd_kafka_topic_partition_list_add(ends.get(), ep_.topic.c_str(), p)->offset =
          RD_KAFKA_OFFSET_END;
    }
    // A request lost to a dropped connection is not retried by librdkafka: retry it ourselves
    // until the start-up deadline, so a broker blip during start-up is not fatal.
    const Clock::time_point deadline =
        Clock::now() + std::chrono::milliseconds(kKafkaStartupTimeoutMs);
    rd_kafka_resp_err_t err;
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      err = rd_kafka_offsets_for_times(rk_.get(), ends.get(),
                                       static_cast<int>(std::max<int64_t>(left.count(), 1)));
      for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < ends->cnt; ++i)
        err = ends->elems[i].err;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR ||
          Clock::now() + std::chrono::milliseconds(200) >= deadline)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      for (int i = 0; i < ends->cnt; ++i) ends->elems[i].offset = RD_KAFKA_OFFSET_END;
    }
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < ends->cnt; ++i) {
      parts_[0][static_cast<size_t>(ends->elems[i].partition)].target = ends->elems[i].offset;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable("cannot read the end offsets of " + ep_.topic + " at " +
                                 ep_.bootstrap + ": " + KafkaErrorText(err));
    }
  }

  rd_kafka_poll_set_consumer(rk_.get());
  queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
  if (!ep_.group_given) {
    // Nobody shares this run's group: read every partition ourselves, without the group join
    // (brokers delay a new group's first assignment by group.initial.rebalance.delay.ms, 3 s).
    KafkaPartitionList all(rd_kafka_topic_partition_list_new(*partitions));
    for (int32_t p = 0; p < *partitions; ++p) {
      rd_kafka_topic_partition_list_add(all.get(), ep_.topic.c_str(), p);
    }
    PrepareAssign(all.get());
    ResolveLogicalOffsets(rk_.get(), all.get());
    rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), all.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable("cannot assign the partitions of '" + ep_.topic +
                                 "': " + KafkaErrorText(err));
    }
    FinishAssign(all.get());
  } else {
    KafkaPartitionList topics(rd_kafka_topic_partition_list_new(2));
    rd_kafka_topic_partition_list_add(topics.get(), ep_.topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (!hooks_.exchange_topic.empty()) {
      rd_kafka_topic_partition_list_add(topics.get(), hooks_.exchange_topic.c_str(),
                                        RD_KAFKA_PARTITION_UA);
    }
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), topics.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::InvalidArgument("cannot subscribe to Kafka topic '" + ep_.topic +
                                     "': " + KafkaErrorText(err));
    }
  }
  pending_.resize(kConsumeChunk);
  return Status::Ok();
}

void KafkaSource::LeaveGroup() {
  // librdkafka 2.0's cooperative-sticky assignor also aborts when a consumer is closed before
  // its first assignment (its assignor state is still NULL; #4312): a run stopped right after
  // it joined waits for that first (possibly empty) assignment, at most a rebalance's time.
  const Clock::time_point joined_by = Clock::now() + std::chrono::seconds(15);
  while (!got_assignment_ && health_.reachable() && Clock::now() < joined_by) {
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), 100)) rd_kafka_message_destroy(m);
  }
  rd_kafka_unsubscribe(rk_.get());
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    rd_kafka_topic_partition_list_t* assigned = nullptr;
    if (rd_kafka_assignment(rk_.get(), &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) break;
    const int n = assigned->cnt;
    rd_kafka_topic_partition_list_destroy(assigned);
    if (n == 0) break;
    // Serves the revoke callback (and drops whatever is fetched meanwhile).
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), 100)) rd_kafka_message_destroy(m);
  }
}

int KafkaSource::StatsCb(rd_kafka_t* /*rk*/, char* json, size_t len, void* opaque) {
  static_cast<KafkaSource*>(opaque)->health_.OnStatistics(std::string_view(json, len),
                                                          Clock::now());
  return 0;  // librdkafka frees the text
}

void KafkaSource::ErrorCb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  const auto e = static_cast<rd_kafka_resp_err_t>(err);
  if (e == RD_KAFKA_RESP_ERR__FATAL) {
    char why[512];
    rd_kafka_fatal_error(rk, why, sizeof(why));
    self->fatal_ = Status::Unavailable(std::string("Kafka consumer failed: ") + why);
    return;
  }
  self->health_.OnError(e, reason != nullptr ? reason : "");
}

void KafkaSource::ReportHealth() {
  const Clock::time_point now = Clock::now();
  if (std::optional<std::string> line =
          health_.DueReport("kafka source " + ep_.topic, ep_.bootstrap, now)) {
    std::fprintf(stderr, "%s\n", line->c_str());
  }
  if (board_ == nullptr || now < next_board_update_) return;
  next_board_update_ = now + std::chrono::milliseconds(250);
  SourceStatus st;
  st.reachable = health_.reachable();
  st.unreachable_since_ms = health_.unreachable_since_ms();
  if (!st.reachable) st.error = health_.last_error();
  st.skipped_records = skipped_records_;
  board_->Set(std::move(st));
}

void KafkaSource::RestartFetch(const char* topic, int32_t p, int64_t offset) {
  // librdkafka stopped the partition's fetcher (auto.offset.reset=error) and refuses a seek in
  // that state: take the partition out of the assignment and put it back at the offset.
  KafkaPartitionList l(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(l.get(), topic, p)->offset = offset;
  if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_.get(), l.get())) {
    rd_kafka_error_destroy(e);
  }
  if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_.get(), l.get())) {
    fatal_ = Status::Unavailable(std::string("cannot restart reading ") + topic + " partition " +
                                 std::to_string(p) + ": " + rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
  }
}

Status KafkaSource::OnOffsetOutOfRange(const rd_kafka_message_t& m) {
  const char* topic = rd_kafka_topic_name(m.rkt);
  const int stream = StreamOf(topic);
  Part& s = PartFor(stream, m.partition);
  if (!s.assigned) return Status::Ok();
  const int64_t wanted = s.next_offset >= 0 ? s.next_offset : m.offset;
  int64_t lo = -1, hi = -1;
  const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      rk_.get(), topic, m.partition, &lo, &hi, kKafkaStartupTimeoutMs);
  const std::string where =
      "Kafka topic " + std::string(topic) + " partition " + std::to_string(m.partition);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || (wanted >= lo && wanted <= hi) || wanted < 0) {
    // Still there (or we cannot tell): the broker's answer was transient, ask again.
    ReportError(m);
    RestartFetch(topic, m.partition, wanted >= 0 ? wanted : RD_KAFKA_OFFSET_BEGINNING);
    return Status::Ok();
  }
  const std::string range = "offset " + std::to_string(wanted) +
                            " is no longer in Kafka (the partition holds " + std::to_string(lo) +
                            ".." + std::to_string(hi - 1) + ")";
  if (ep_.fail_on_data_loss) {
    return Status::Unavailable(
        where + ": " + range +
        ": records were deleted (retention) or the topic was recreated before they were read. "
        "Stopping, as with Spark's failOnDataLoss; pass --fail-on-data-loss false to skip to "
        "offset " +
        std::to_string(lo) + " and go on");
  }
  // Spark's failOnDataLoss=false: go on from the oldest record the partition still holds.
  const int64_t skipped = wanted < lo ? lo - wanted : 0;
  skipped_records_ += skipped;
  std::fprintf(stderr,
               "sluice: %s: %s; skipped %lld records (offsets %lld..%lld), %lld in all, reading on "
               "at %lld (--fail-on-data-loss false)\n",
               where.c_str(), range.c_str(), static_cast<long long>(skipped),
               static_cast<long long>(wanted), static_cast<long long>(wanted + skipped - 1),
               static_cast<long long>(skipped_records_), static_cast<long long>(lo));
  s.ClearBuilding();  // cannot be continued across the gap (it is below `lo` anyway)
  s.next_offset = lo;
  RestartFetch(topic, m.partition, lo);
  return Status::Ok();
}

void KafkaSource::RebalanceCb(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t* parts, void* opaque) {
  static_cast<KafkaSource*>(opaque)->OnRebalance(err, parts);
}

void KafkaSource::OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list) {
  const bool cooperative =
      std::string_view(rd_kafka_rebalance_protocol(rk_.get())) == "COOPERATIVE";
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    PrepareAssign(list);
    if (cooperative) {
      rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_.get(), list);
      if (e != nullptr) {
        fatal_ =
            Status::Unavailable(std::string("Kafka assign failed: ") + rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk_.get(), list);
    }
    FinishAssign(list);
  } else {
    // Revoked (or lost). Group mode: the owner commits the partition and lets it go, and what
    // was fetched but not processed is dropped (the next owner reads it again). Otherwise hand
    // out what was read and keep the position in case the partition comes back.
    for (int i = 0; i < list->cnt; ++i) {
      const int stream = StreamOf(list->elems[i].topic);
      const int32_t p = list->elems[i].partition;
      Part& s = PartFor(stream, p);
      if (!s.assigned) continue;
      if (hooks_.owner != nullptr) {
        DropBuffered(stream, p, s);
        Status st = hooks_.owner->OnRevoked(stream, p);
        if (!st.ok() && fatal_.ok()) fatal_ = st;
      } else {
        SealBuilding(stream, p, s);
      }
      s.assigned = false;
    }
    if (cooperative) {
      rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_.get(), list);
      if (e != nullptr) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk_.get(), nullptr);
    }
  }
}

void KafkaSource::PrepareAssign(rd_kafka_topic_partition_list_t* list) {
  // Group mode: what the group committed tells whether another process had state for a
  // partition (its checkpoint must then be visible here).
  KafkaPartitionList committed(rd_kafka_topic_partition_list_copy(list));
  if (hooks_.owner != nullptr &&
      rd_kafka_committed(rk_.get(), committed.get(), kKafkaStartupTimeoutMs) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < committed->cnt; ++i) committed->elems[i].metadata_size = 0;
  }
  for (int i = 0; i < list->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = list->elems[i];
    const int stream = StreamOf(tp.topic);
    Part& s = PartFor(stream, tp.partition);
    s.assigned = true;
    ++s.generation;
    if (hooks_.owner != nullptr) {
      // Group mode: the owner restores the partition's state and says where it resumes.
      const rd_kafka_topic_partition_t& prior = committed->elems[i];
      const std::string_view group_commit =
          prior.err == RD_KAFKA_RESP_ERR_NO_ERROR && prior.metadata != nullptr && stream == 0
              ? std::string_view(static_cast<const char*>(prior.metadata), prior.metadata_size)
              : std::string_view();
      // A partition this process paused before (a bounded read that reached its end) and now
      // gets back must fetch again: pausing outlives an unassign.
      KafkaPartitionList one(rd_kafka_topic_partition_list_new(1));
      rd_kafka_topic_partition_list_add(one.get(), tp.topic, tp.partition);
      rd_kafka_resume_partitions(rk_.get(), one.get());
      Result<int64_t> start = hooks_.owner->OnAssigned(stream, tp.partition, group_commit);
      if (!start.ok() && fatal_.ok()) fatal_ = start.status();
      const int64_t at = start.ok() ? *start : -1;
      s.next_offset = at >= 0 ? at : -1;
      s.done = false;
      if (at == kOwnerEarliest) {
        tp.offset = RD_KAFKA_OFFSET_BEGINNING;
        continue;
      }
    }
    // Never the group's committed offset: ours (read before, or from the checkpoint), else
    // the starting offsets; a partition the checkpoint does not know is new: from its start.
    if (s.next_offset >= 0) {
      tp.offset = s.next_offset;
    } else if (restoring_) {
      tp.offset = RD_KAFKA_OFFSET_BEGINNING;
    } else {
      tp.offset =
          ep_.starting_offsets == "earliest" ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    }
  }
}

void KafkaSource::FinishAssign(rd_kafka_topic_partition_list_t* list) {
  for (int i = 0; i < list->cnt; ++i) {
    if (StreamOf(list->elems[i].topic) != 0) continue;
    Part& s = PartFor(0, list->elems[i].partition);
    // available_now with nothing left to read: done without waiting for EOF.
    if (s.target >= 0 && s.next_offset >= s.target) MarkDone(list->elems[i].partition, s);
  }
  got_assignment_ = true;
}

void KafkaSource::DropBuffered(int stream, int32_t p, Part& s) {
  s.ClearBuilding();
  std::erase_if(ready_,
                [&](const RawBatch& b) { return b.stream == stream && b.partition.value == p; });
  s.next_offset = -1;
}

void KafkaSource::SealBuilding(int stream, int32_t p, Part& s) {
  if (s.building.size() == 0) return;
  s.building.partition = PartitionId(p);
  s.building.stream = static_cast<uint8_t>(stream);
  s.building.generation = s.generation;
  s.bytes.SealInto(s.building);
  s.last_batch_bytes = s.building.ext_size;
  sealed_bytes_ += s.building.ext_size;
  sealed_records_ += s.building.size();
  ready_.push_back(std::move(s.building));
  s.ClearBuilding();
}

size_t KafkaSource::ExpectedBatchBytes(const Part& s, int64_t offset, size_t record_bytes) const {
  if (s.last_batch_bytes > 0) return s.last_batch_bytes;
  if (s.target < 0) return 0;
  const int64_t records =
      std::min((Bucket(offset) + 1) * static_cast<int64_t>(kMaxBatchRecords), s.target) - offset;
  const size_t per_record = sealed_records_ > 0 ? sealed_bytes_ / sealed_records_ : record_bytes;
  return static_cast<size_t>(std::max<int64_t>(records, 1)) * per_record;
}

void KafkaSource::MarkDone(int32_t p, Part& s) {
  if (s.done) return;
  s.done = true;
  SealBuilding(0, p, s);
  // Stop fetching what was produced after the start: it belongs to no bounded read.
  KafkaPartitionList l(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(l.get(), ep_.topic.c_str(), p);
  rd_kafka_pause_partitions(rk_.get(), l.get());
}

void KafkaSource::ReportError(const rd_kafka_message_t& m) {
  // Transient errors (broker down, leader moved) are retried by librdkafka: say so, not too often.
  auto now = Clock::now();
  if (now - last_error_report_ < std::chrono::seconds(5)) return;
  last_error_report_ = now;
  std::fprintf(stderr, "sluice: kafka source %s: %s (librdkafka retries)\n", ep_.topic.c_str(),
               rd_kafka_message_errstr(&m));
}

Status KafkaSource::Absorb(const rd_kafka_message_t& m) {
  if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      Part& s = PartFor(m.rkt ? StreamOf(rd_kafka_topic_name(m.rkt)) : 0, m.partition);
      if (!s.assigned) return Status::Ok();
      if (m.offset > s.next_offset) s.next_offset = m.offset;  // skips control records
      if (s.target >= 0 && s.next_offset >= s.target) MarkDone(m.partition, s);
      return Status::Ok();
    }
    if (m.err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) return OnOffsetOutOfRange(m);
    if (m.err == RD_KAFKA_RESP_ERR__FATAL) {
      char why[512];
      rd_kafka_fatal_error(rk_.get(), why, sizeof(why));
      return Status::Unavailable(std::string("Kafka consumer failed: ") + why);
    }
    if (m.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        m.err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
        m.err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
      return Status::Unavailable("Kafka topic " + ep_.topic + ": " + rd_kafka_message_errstr(&m));
    }
    ReportError(m);
    return Status::Ok();
  }
  const int stream = StreamOf(rd_kafka_topic_name(m.rkt));
  Part& s = PartFor(stream, m.partition);
  const int64_t offset = m.offset;
  // Stale (revoked partition, or re-fetched after an error) or past the bounded read's end.
  if (!s.assigned || s.done || offset < s.next_offset) return Status::Ok();
  if (s.target >= 0 && offset >= s.target) {
    MarkDone(m.partition, s);
    return Status::Ok();
  }
  RawBatch& b = s.building;
  // A replayed batch ends where it was planned to; otherwise at the next multiple of
  // kMaxBatchRecords (or earlier, when the input pauses: FlushPartials).
  const bool planned = !s.cuts.empty();
  if (b.size() > 0 &&
      (planned ? offset >= s.cuts.front() : Bucket(offset) != Bucket(b.offset(b.size() - 1)))) {
    if (planned) s.cuts.pop_front();
    SealBuilding(stream, m.partition, s);
  }
  if (b.size() == 0) {
    b.first_offset = Offset(offset);
    s.bytes = buffers_->Take(ExpectedBatchBytes(s, offset, m.len));
    b.starts.reserve(kMaxBatchRecords + 1);
  } else if (s.building_gapless &&
             offset != b.first_offset.value + static_cast<int64_t>(b.size())) {
    // First gap (compaction, transaction markers): from now on keep every offset.
    s.building_gapless = false;
    b.offsets.reserve(kMaxBatchRecords);
    for (size_t i = 0; i < b.size(); ++i)
      b.offsets.push_back(b.first_offset.value + static_cast<int64_t>(i));
  }
  s.bytes.Append(static_cast<const char*>(m.payload), m.len);
  b.starts.push_back(static_cast<uint32_t>(s.bytes.size()));
  if (!s.building_gapless) b.offsets.push_back(offset);
  s.next_offset = offset + 1;
  if (!s.cuts.empty() && s.next_offset >= s.cuts.front()) {
    s.cuts.pop_front();
    SealBuilding(stream, m.partition, s);
  }
  if (s.target >= 0 && s.next_offset >= s.target) MarkDone(m.partition, s);
  return Status::Ok();
}

void KafkaSource::FlushPartials(bool input) {
  for (int stream = input ? 0 : 1; stream < 2; ++stream) {
    for (size_t p = 0; p < parts_[stream].size(); ++p) {
      Part& s = parts_[stream][p];
      if (s.cuts.empty()) SealBuilding(stream, static_cast<int32_t>(p), s);  // never a planned one
    }
  }
}

Status KafkaSource::Poll(std::vector<RawBatch>& out, size_t max_batches,
                         std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  size_t taken = 0;
  auto take_ready = [&] {
    while (taken < max_batches) {
      // A replay hands batches out in the planned order, whatever order they were sealed in.
      auto it = replay_order_.empty()
                    ? ready_.begin()
                    : std::find_if(ready_.begin(), ready_.end(), [&](const RawBatch& b) {
                        return b.stream == 0 && b.partition == replay_order_.front().partition;
                      });
      if (it == ready_.end()) break;
      out.push_back(std::move(*it));
      ready_.erase(it);
      if (!replay_order_.empty()) replay_order_.pop_front();
      ++taken;
    }
  };
  ReportHealth();
  while (true) {
    take_ready();
    if (taken >= max_batches || !fatal_.ok()) break;
    // Drain what librdkafka already holds without waiting.
    ssize_t n = rd_kafka_consume_batch_queue(queue_.get(), 0, pending_.data(), pending_.size());
    if (n < 0)
      return Status::Unavailable("Kafka consume failed: " + KafkaErrorText(rd_kafka_last_error()));
    Status st;
    for (ssize_t i = 0; i < n; ++i) {
      if (st.ok()) st = Absorb(*pending_[static_cast<size_t>(i)]);
      rd_kafka_message_destroy(pending_[static_cast<size_t>(i)]);
    }
    SLUICE_RETURN_IF_ERROR(st);
    if (n > 0) continue;
    // Nothing more right now. A continuous read cuts every partition's batch here and hands
    // out what has arrived (latency: no record waits for a batch to fill); the engine records
    // these cuts in its checkpoint's offsets log, so a replay cuts the same way. A bounded read
    // waits for bucket boundaries so its batches do not depend on timing. The exchange topic of
    // group mode is always handed out as it arrives (it is not part of the bounded read).
    FlushPartials(/*input=*/!available_now_);
    take_ready();
    if (taken > 0 || Finished()) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    // Block for the first message (and serve rebalances) up to the deadline.
    rd_kafka_message_t* m =
        rd_kafka_consumer_poll(rk_.get(), static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (m != nullptr) {
      st = Absorb(*m);
      rd_kafka_message_destroy(m);
      SLUICE_RETURN_IF_ERROR(st);
    }
  }
  if (hooks_.owner != nullptr) {
    // Group mode: a batch taken before its partition was revoked during this poll belongs to
    // the next owner, even if the partition came back to us (it is fetched again from the
    // position the owner restored).
    std::erase_if(out, [&](const RawBatch& b) {
      const Part& s = PartFor(b.stream, b.partition.value);
      return !s.assigned || b.generation != s.generation;
    });
  }
  return fatal_;
}

bool KafkaSource::Finished() const {
  if (!available_now_ || !got_assignment_ || !ready_.empty() || !replay_order_.empty()) {
    return false;
  }
  for (const Part& s : parts_[0]) {
    if (s.assigned && !s.done) return false;
  }
  return true;
}

std::vector<PartitionInfo> KafkaSource::Partitions() const {
  std::vector<PartitionInfo> infos;
  for (size_t p = 0; p < parts_[0].size(); ++p) {
    const Part& s = parts_[0][p];
    if (!s.assigned) continue;
    PartitionInfo info;
    info.id = PartitionId(static_cast<int32_t>(p));
    info.next_offset = Offset(s.next_offset < 0 ? 0 : s.next_offset);
    int64_t lo = 0, hi = -1;
    // Cached from fetch responses: no request to the broker.
    if (rd_kafka_get_watermark_offsets(rk_.get(), ep_.topic.c_str(), static_cast<int32_t>(p), &lo,
                                       &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0) {
      hi = s.target;
    }
    info.end_offset = hi;
    info.target_offset = s.target;
    if (s.next_offset < 0 && lo >= 0 && hi >= 0) {
      info.next_offset = Offset(ep_.starting_offsets == "earliest" ? lo : hi);
    }
    infos.push_back(info);
  }
  return infos;
}

bool KafkaSource::ReplayCuts(const std::vector<BatchCut>& cuts) {
  // Group mode's engine keeps its own positions per unit and never replays.
  if (hooks_.owner != nullptr) return false;
  for (const BatchCut& c : cuts) {
    PartFor(0, c.partition.value).cuts.push_back(c.end.value);
    replay_order_.push_back(c);
  }
  return true;
}

void KafkaSource::OnEpochCommitted(int64_t epoch, const std::vector<PartitionPosition>& positions) {
  if (!ep_.group_given || positions.empty()) return;
  KafkaPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(positions.size())));
  const std::string meta = "sluice epoch " + std::to_string(epoch);
  for (const auto& p : positions) {
    if (!PartFor(0, p.partition.value).assigned) continue;  // not ours to commit any more
    rd_kafka_topic_partition_t* tp =
        rd_kafka_topic_partition_list_add(list.get(), ep_.topic.c_str(), p.partition.value);
    tp->offset = p.next_offset.value;
    tp->metadata = rd_kafka_mem_malloc(rk_.get(), meta.size());
    std::memcpy(tp->metadata, meta.data(), meta.size());
    tp->metadata_size = meta.size();
  }
  if (list->cnt == 0) return;
  // Asynchronous: for monitoring only, a lost commit costs nothing (the checkpoint is the truth).
  rd_kafka_commit(rk_.get(), list.get(), 1);
}

}  // namespace

Result<std::unique_ptr<Source>> MakeKafkaSource(std::string_view url,
                                                const KafkaClientOptions& options,
                                                bool available_now,
                                                const std::vector<PartitionPosition>* start,
                                                KafkaGroupHooks hooks) {
  Result<KafkaEndpoint> ep = ResolveKafkaEndpoint(url, options);
  if (!ep.ok()) return ep.status();
  auto source = std::make_unique<KafkaSource>(std::move(*ep), available_now, start,
                                              std::move(hooks), options.status);
  SLUICE_RETURN_IF_ERROR(source->Start());
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace sluice
