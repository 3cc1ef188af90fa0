#include "exec/group_engine.h"

#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "common/file_util.h"
#include "exec/exchange_message.h"
#include "exec/trigger_schedule.h"
#include "exec/window_assigner.h"
#include "format/row_codec.h"

namespace sluice {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kHeartbeatEveryMs = 2'000;
// A unit another process still holds (it is committing it during the rebalance) is retried.
constexpr int kLockAttempts = 100;
constexpr auto kLockRetry = std::chrono::milliseconds(100);

std::string Name(std::string_view prefix, int32_t p) {
  return std::string(prefix) + std::to_string(p);
}

}  // namespace

// An input partition this process owns. See group_engine.h.
struct GroupEngine::SourceUnit {
  int32_t partition = 0;
  std::unique_ptr<CheckpointStore> store;
  int64_t epoch = 0;         // the epoch being read
  int64_t epoch_start = -1;  // its first offset (-1: not known before the first record)
  int64_t next_offset = -1;  // the next offset to process
  int64_t planned_end = -1;  // a replayed epoch ends exactly here (its checkpoint says so)
  int64_t max_event = kMinTime;
  int64_t max_event_before = kMinTime;  // at the start of the epoch
  int64_t last_record_ms = 0;
  bool idle = false;
  bool finished = false;
  bool records_in_epoch = false;
  int64_t input = 0, malformed = 0, filtered = 0;  // before the epoch
  int64_t input_epoch = 0, malformed_epoch = 0, filtered_epoch = 0;
  std::vector<std::unique_ptr<AggregateState>> partials;  // per exchange partition
  std::unique_ptr<Sink> sink;  // a unit that writes its own rows (projection, aligned)
  // Aligned aggregation: the state of the partition's keys, judged by the partition's own
  // watermark (each key's records are all here).
  std::unique_ptr<AggregateState> local;
  std::vector<StateRef> state_refs;
  int64_t watermark = kMinTime;
  int64_t late_records = 0, late_rows = 0, output_rows = 0;
  std::vector<std::vector<OwnedValue>> rows;
  int64_t last_heartbeat_ms = 0;
  bool announced_finished = false;
  int64_t committed_epoch_reported = -1;  // the last epoch whose offset went to the group
  bool finish_committed = false;          // its checkpoint says the bounded read is done
};

// An exchange partition this process owns. See group_engine.h.
struct GroupEngine::Shard {
  struct Upstream {
    int64_t merged_epoch = -1;  // the highest epoch of that input partition merged here
    int64_t seen_epoch = -1;    // the newest epoch any message of it carried
    int64_t max_event = kMinTime;
    bool idle = false;
    bool finished = false;
    bool known = false;
  };
  int32_t partition = 0;
  std::unique_ptr<CheckpointStore> store;
  std::unique_ptr<AggregateState> state;
  std::unique_ptr<Sink> sink;
  std::vector<Upstream> upstream;
  std::vector<StateRef> state_refs;
  int64_t epoch = 0;         // the next output epoch
  int64_t next_offset = -1;  // in the repartition topic
  int64_t watermark = kMinTime;
  int64_t late_groups = 0, late_rows = 0, output_rows = 0;
  bool consumed = false;  // messages merged since the last commit
  bool finished = false;  // every input partition finished and the last windows emitted
};

GroupEngine::GroupEngine(const BoundQuery& query, GroupEngineOptions options)
    : query_(query),
      options_(std::move(options)),
      clock_(options_.engine.clock != nullptr ? *options_.engine.clock : SystemClock::Default()),
      pool_(options_.engine.threads),
      results_(query) {
  if (options_.engine.state_partitions == 0) options_.engine.state_partitions = 1;
  for (int i = 0; i < pool_.size(); ++i) {
    processors_.push_back(
        std::make_unique<BatchProcessor>(query_, 1, options_.engine.state_partitions));
  }
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  host_ = host;
  member_id_ = host_ + "-" + std::to_string(::getpid());
}

GroupEngine::~GroupEngine() {
  // A member that leaves says so: its file goes (a killed one's file just stops being updated).
  if (!member_id_.empty())
    ::unlink((options_.checkpoint_dir + "/members/" + member_id_ + ".member").c_str());
}

Result<std::unique_ptr<CheckpointStore>> GroupEngine::OpenUnit(const std::string& kind,
                                                               int32_t id) {
  QueryIdentity identity = options_.identity;
  identity.parts.emplace_back("unit", kind + " " + std::to_string(id));
  const std::string dir = options_.checkpoint_dir + "/" + kind + "/" + std::to_string(id);
  for (int attempt = 0;; ++attempt) {
    auto store = CheckpointStore::Open(dir, identity);
    if (store.ok() || attempt + 1 >= kLockAttempts ||
        store.status().message().find("is in use by another") == std::string::npos) {
      return store;
    }
    // The previous owner is still committing it during the rebalance.
    std::this_thread::sleep_for(kLockRetry);
  }
}

Result<int64_t> GroupEngine::OnAssigned(int stream, int32_t partition,
                                        std::string_view group_commit) {
  const auto t0 = SteadyClock::now();
  Result<int64_t> start = Assign(stream, partition, group_commit);
  NoteRebalance(
      std::string("assigned ") + (stream == 0 ? "input " : "shard ") + std::to_string(partition),
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t0).count());
  return start;
}

void GroupEngine::NoteRebalance(std::string change, int64_t restore_ms) {
  rebalances_.push_back({NowMs(), std::move(change), restore_ms});
  if (rebalances_.size() > 100) rebalances_.erase(rebalances_.begin());
}

Result<int64_t> GroupEngine::Assign(int stream, int32_t partition, std::string_view group_commit) {
  if (stream == 0) {
    auto u = std::make_unique<SourceUnit>();
    u->partition = partition;
    SLUICE_ASSIGN_OR_RETURN(u->store, OpenUnit("sources", partition));
    SLUICE_ASSIGN_OR_RETURN(std::optional<EpochRecord> rec, u->store->LoadLatest());
    u->last_record_ms = NowMs();
    if (exchanging()) {
      for (int q = 0; q < options_.exchange_partitions; ++q) {
        u->partials.push_back(std::make_unique<AggregateState>(query_));
      }
    } else {
      if (query_.aggregating) {
        u->local = std::make_unique<AggregateState>(query_);
        if (rec) {
          SLUICE_RETURN_IF_ERROR(LoadState(*u->store, rec->state, *u->local));
          u->state_refs = rec->state;
          u->watermark = rec->watermark_ms;
          u->late_records = rec->late_records;
          u->late_rows = rec->late_rows;
          u->output_rows = rec->output_rows;
        }
      }
      SLUICE_ASSIGN_OR_RETURN(u->sink, options_.make_sink(Name("p", partition)));
      const std::string* st = rec ? rec->SinkState("output") : nullptr;
      SLUICE_RETURN_IF_ERROR(u->sink->Recover(st ? std::string_view(*st) : std::string_view()));
    }
    if (!rec && group_commit.rfind("sluice epoch ", 0) == 0 && !options_.allow_state_loss) {
      return Status::InvalidArgument(
          "input partition " + std::to_string(partition) +
          " was processed by another sluice "
          "process of this group (the group's offset says '" +
          std::string(group_commit) + "'), but its checkpoint is not in " +
          options_.checkpoint_dir +
          "/sources/: every process of a group needs the same --checkpoint directory (the same "
          "machine or a shared filesystem). --allow-state-loss starts the partition over "
          "without it");
    }
    int64_t start = -1;
    if (rec) {
      u->epoch = rec->epoch;
      u->finished = rec->input_finished;
      u->finish_committed = rec->input_finished;
      u->input = rec->input_records;
      u->malformed = rec->malformed_records;
      u->filtered = rec->filtered_records;
      if (!rec->partition_watermarks.empty())
        u->max_event = rec->partition_watermarks[0].max_event_ms;
      u->max_event_before = u->max_event;
      if (exchanging()) {
        // The manifest of epoch e was written before e was produced: produce e again, from
        // exactly the same records (the shards drop it if they merged it already).
        u->epoch_start = rec->SourceValue("epoch.start", -1);
        u->planned_end = rec->SourceValue("epoch.end", -1);
        if (u->planned_end <= u->epoch_start) {
          // An epoch with nothing to replay: go on after it.
          u->epoch += 1;
          u->planned_end = -1;
        }
        start = u->epoch_start;
      } else {
        u->epoch += 1;
        start = rec->positions.empty() ? -1 : rec->positions[0].next_offset.value;
        u->epoch_start = start;
      }
      u->next_offset = start;
    }
    sources_[partition] = std::move(u);
    return start;
  }
  auto s = std::make_unique<Shard>();
  s->partition = partition;
  s->upstream.resize(static_cast<size_t>(options_.input_partitions));
  s->state = std::make_unique<AggregateState>(query_);
  SLUICE_ASSIGN_OR_RETURN(s->store, OpenUnit("shards", partition));
  SLUICE_ASSIGN_OR_RETURN(std::optional<EpochRecord> rec, s->store->LoadLatest());
  SLUICE_ASSIGN_OR_RETURN(s->sink, options_.make_sink(Name("q", partition)));
  int64_t start = kOwnerEarliest;
  if (rec) {
    SLUICE_RETURN_IF_ERROR(LoadState(*s->store, rec->state, *s->state));
    s->state_refs = rec->state;
    s->epoch = rec->epoch + 1;
    s->watermark = rec->watermark_ms;
    s->late_groups = rec->late_records;
    s->late_rows = rec->late_rows;
    s->output_rows = rec->output_rows;
    s->finished = rec->input_finished;
    if (!rec->positions.empty()) start = rec->positions[0].next_offset.value;
    s->next_offset = start;
    for (const auto& w : rec->partition_watermarks) {
      const auto p = static_cast<size_t>(w.partition.value);
      if (p >= s->upstream.size()) continue;
      Shard::Upstream& up = s->upstream[p];
      up.known = true;
      up.max_event = w.max_event_ms;
      up.merged_epoch = rec->SourceValue(Name("merged.", w.partition.value), -1);
      up.seen_epoch = rec->SourceValue(Name("seen.", w.partition.value), -1);
      const int64_t flags = rec->SourceValue(Name("flags.", w.partition.value), 0);
      up.idle = (flags & 1) != 0;
      up.finished = (flags & 2) != 0;
    }
  }
  const std::string* st = rec ? rec->SinkState("output") : nullptr;
  SLUICE_RETURN_IF_ERROR(s->sink->Recover(st ? std::string_view(*st) : std::string_view()));
  shards_[partition] = std::move(s);
  return start;
}

Status GroupEngine::LoadState(const CheckpointStore& store, const std::vector<StateRef>& refs,
                              AggregateState& state) {
  for (const StateRef& ref : refs) {
    SLUICE_ASSIGN_OR_RETURN(std::string bytes, store.ReadState(ref));
    SLUICE_RETURN_IF_ERROR(state.Deserialize(bytes));
  }
  state.ClearChanged();
  return Status::Ok();
}

Status GroupEngine::OnRevoked(int stream, int32_t partition) {
  NoteRebalance(
      std::string("revoked ") + (stream == 0 ? "input " : "shard ") + std::to_string(partition), 0);
  if (stream == 0) {
    auto it = sources_.find(partition);
    if (it == sources_.end()) return Status::Ok();
    SourceUnit& u = *it->second;
    // Hand the partition over at an epoch boundary: what was read is produced (or written).
    if (u.planned_end < 0 && u.records_in_epoch) {
      SLUICE_RETURN_IF_ERROR(CloseEpoch(u));
      if (exchange_ != nullptr) exchange_->Flush(60'000);
    }
    if (u.sink) SLUICE_RETURN_IF_ERROR(u.sink->Close());
    sources_.erase(it);  // releases its checkpoint's lock
    return Status::Ok();
  }
  auto it = shards_.find(partition);
  if (it == shards_.end()) return Status::Ok();
  if (it->second->consumed) SLUICE_RETURN_IF_ERROR(CommitShard(*it->second));
  SLUICE_RETURN_IF_ERROR(it->second->sink->Close());
  shards_.erase(it);
  return Status::Ok();
}

Status GroupEngine::Run() {
  std::vector<RawBatch> batches;
  TriggerSchedule schedule(options_.engine.trigger_ms);
  schedule.Start(SteadyClock::now());
  bool assigned_once = false;
  SteadyClock::duration busy{};  // processing time since the previous trigger (not polling)
  while (!stop_.load()) {
    batches.clear();
    const auto poll_start = SteadyClock::now();
    SLUICE_RETURN_IF_ERROR(source_->Poll(batches, 16, std::chrono::milliseconds(50)));
    if (batches.empty() && SteadyClock::now() - poll_start < std::chrono::milliseconds(5)) {
      // A finished bounded read returns at once: do not spin while the shards catch up.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const auto work_start = SteadyClock::now();
    // Batches of partitions revoked during this poll belong to their next owner now.
    std::erase_if(batches, [&](const RawBatch& b) {
      return b.stream == 0 ? sources_.count(b.partition.value) == 0
                           : shards_.count(b.partition.value) == 0;
    });
    std::vector<RawBatch> input;
    for (auto& b : batches) {
      if (b.stream == 1) {
        SLUICE_RETURN_IF_ERROR(ProcessExchange(b));
      } else {
        input.push_back(std::move(b));
      }
    }
    if (!input.empty()) SLUICE_RETURN_IF_ERROR(ProcessInput(input));
    busy += SteadyClock::now() - work_start;
    assigned_once = assigned_once || !sources_.empty() || !shards_.empty();

    if (!schedule.Due(SteadyClock::now())) continue;
    const auto trigger_work_start = SteadyClock::now();  // closing epochs and emitting is busy too
    schedule.TriggerStarted(trigger_work_start);
    const int64_t now = NowMs();
    std::map<int32_t, int64_t> targets;
    if (options_.available_now) {
      for (const PartitionInfo& info : source_->Partitions()) {
        targets[info.id.value] = info.target_offset;
      }
    }
    for (auto& [p, u] : sources_) {
      if (u->planned_end >= 0) continue;  // replaying: the epoch ends at its planned end
      if (options_.available_now && !u->finished) {
        const auto t = targets.find(p);
        if (t != targets.end() && t->second >= 0 &&
            (u->next_offset >= t->second || (u->next_offset < 0 && t->second == 0))) {
          u->finished = true;
        }
      }
      if (u->records_in_epoch) {
        SLUICE_RETURN_IF_ERROR(CloseEpoch(*u));
      } else if (u->finished && !u->finish_committed) {
        // Record that the partition is done, so a process that takes it over does not read it
        // again (an empty epoch: nothing to produce or replay).
        SLUICE_RETURN_IF_ERROR(exchanging() ? CommitFinished(*u) : CommitLocal(*u));
      }
      if (u->finished && !u->records_in_epoch) u->finish_committed = true;
      const bool was_idle = u->idle;
      u->idle = !u->finished && options_.engine.idle_timeout_ms > 0 &&
                now - u->last_record_ms >= options_.engine.idle_timeout_ms;
      if (exchanging() && (u->idle != was_idle || u->finished != u->announced_finished ||
                           now - u->last_heartbeat_ms >= kHeartbeatEveryMs)) {
        SLUICE_RETURN_IF_ERROR(SendHeartbeat(*u));
      }
    }
    if (exchange_ != nullptr) {
      exchange_->Flush(60'000);
      if (exchange_->failed() > 0) {
        return Status::Unavailable(
            "partial aggregates could not be delivered to the repartition "
            "topic: " +
            exchange_->first_error());
      }
    }
    // The group's offsets follow the epochs, for lag tools (the checkpoints are the truth).
    for (auto& [p, u] : sources_) {
      if (u->committed_epoch_reported == u->epoch - 1 || u->epoch == 0) continue;
      source_->OnEpochCommitted(u->epoch - 1, {{PartitionId(p), Offset(u->epoch_start), -1}});
      u->committed_epoch_reported = u->epoch - 1;
    }
    for (auto& [q, s] : shards_) SLUICE_RETURN_IF_ERROR(EmitShard(*s, false));
    const auto trigger_end = SteadyClock::now();
    busy += trigger_end - trigger_work_start;
    // Available-now keeps the pace whatever a trigger's length: its end is only seen at a trigger.
    const int64_t trigger_wall_ms =
        schedule.TriggerEnded(trigger_end, /*may_fall_behind=*/!options_.available_now);
    Publish(trigger_wall_ms, std::chrono::duration_cast<std::chrono::nanoseconds>(busy).count());
    busy = SteadyClock::duration::zero();
    if (options_.available_now && assigned_once) {
      bool done = true;
      for (const auto& [p, u] : sources_)
        done = done && u->finished && !u->records_in_epoch && u->planned_end < 0;
      if (exchanging()) done = done && AllShardsFinished();
      if (done) break;
    }
  }
  // Stopped or finished: what was read is produced or written, every owned unit committed.
  for (auto& [p, u] : sources_) {
    if (u->planned_end < 0 && u->records_in_epoch) SLUICE_RETURN_IF_ERROR(CloseEpoch(*u));
    if (u->sink) SLUICE_RETURN_IF_ERROR(u->sink->Close());
  }
  if (exchange_ != nullptr) exchange_->Flush(60'000);
  for (auto& [q, s] : shards_) {
    if (s->consumed) SLUICE_RETURN_IF_ERROR(CommitShard(*s));
    SLUICE_RETURN_IF_ERROR(s->sink->Close());
  }
  return Status::Ok();
}

bool GroupEngine::AllShardsFinished() const {
  for (const auto& [q, s] : shards_) {
    if (!s->finished) return false;
  }
  return true;
}

void GroupEngine::WriteMemberFile(const std::vector<GroupUnitStatus>& units, int64_t now) {
  if (now - member_file_written_ms_ < 1000) return;  // once a second is enough for a person
  member_file_written_ms_ = now;
  std::string text =
      "member " + member_id_ + "\nhost " + host_ + "\nupdated_ms " + std::to_string(now) + "\n";
  for (const auto& u : units) {
    text += "unit " + u.kind + " " + std::to_string(u.partition) + " epoch " +
            std::to_string(u.epoch) + " next " + std::to_string(u.next_offset) +
            (u.end_offset >= 0 ? " end " + std::to_string(u.end_offset) : std::string()) + "\n";
  }
  // Best effort: the file only informs the UI.
  const std::string dir = options_.checkpoint_dir + "/members";
  if (MakeDirs(dir).ok()) (void)WriteFileAtomic(dir + "/" + member_id_ + ".member", text);
}

void GroupEngine::Publish(int64_t trigger_wall_ms, int64_t busy_ns) {
  if (monitor_ == nullptr) return;
  TriggerProgress p;
  p.batch_id = trigger_id_++;
  p.timestamp_ms = NowMs() - trigger_wall_ms;
  p.num_input_rows = counters_.input_records - published_.input_records;
  p.input_rows_per_second = static_cast<double>(p.num_input_rows) * 1000.0 /
                            static_cast<double>(std::max<int64_t>(trigger_wall_ms, 1));
  p.processed_rows_per_second = static_cast<double>(p.num_input_rows) * 1e9 /
                                static_cast<double>(std::max<int64_t>(busy_ns, 1));
  p.duration.total_us = busy_ns / 1'000;
  p.duration.interval_ms = trigger_wall_ms;
  p.malformed_rows = counters_.malformed_records - published_.malformed_records;
  p.output_rows = counters_.output_rows - published_.output_rows;
  p.late_rows = counters_.late_rows - published_.late_rows;
  std::vector<GroupUnitStatus> units;
  std::map<int32_t, int64_t> ends;
  for (const PartitionInfo& info : source_->Partitions()) ends[info.id.value] = info.end_offset;
  std::optional<int64_t> watermark, max_event;
  for (const auto& [id, u] : sources_) {
    GroupUnitStatus st;
    st.kind = "input";
    st.partition = id;
    st.epoch = u->epoch;
    st.next_offset = u->next_offset;
    st.end_offset = ends.count(id) ? ends[id] : -1;
    if (u->local) {
      st.state_rows = u->local->rows();
      p.state.rows_total += u->local->rows();
      p.state.memory_bytes += u->local->bytes();
    }
    if (u->max_event != kMinTime) {
      st.watermark_ms = u->max_event;
      max_event = std::max(max_event.value_or(kMinTime), u->max_event);
    }
    units.push_back(st);
  }
  for (const auto& [id, s] : shards_) {
    GroupUnitStatus st;
    st.kind = "shard";
    st.partition = id;
    st.epoch = s->epoch;
    st.next_offset = s->next_offset;
    st.state_rows = s->state->rows();
    p.state.rows_total += s->state->rows();
    const StateChanges changes = s->state->TakeChanges();
    p.state.rows_updated += changes.updated;
    p.state.rows_removed += changes.removed;
    p.state.memory_bytes += s->state->bytes();
    if (s->watermark != kMinTime && s->watermark != kMaxTime) {
      st.watermark_ms = s->watermark;
      watermark = std::min(watermark.value_or(kMaxTime), s->watermark);
    }
    units.push_back(st);
  }
  p.watermark_ms = watermark;
  p.max_event_time_ms = max_event;
  published_ = counters_;
  WriteMemberFile(units, NowMs());
  monitor_->PublishTrigger(std::move(p));
  monitor_->SetGroupUnits(group_id_, exchange_topic_, std::move(units), rebalances_);
}

Status GroupEngine::ProcessInput(std::vector<RawBatch>& batches) {
  // A replayed epoch must end exactly where its checkpoint says: a batch that crosses that
  // offset is cut in two, and the epoch is produced between the halves.
  std::vector<RawBatch> work;
  std::vector<bool> ends_replay;
  for (auto& b : batches) {
    SourceUnit& u = *sources_.at(b.partition.value);
    // A finished partition reads nothing more, except the epoch it must produce again.
    if ((u.finished && u.planned_end < 0) || b.size() == 0) continue;
    if (u.planned_end < 0 || b.offset(b.size() - 1) < u.planned_end) {
      work.push_back(std::move(b));
      ends_replay.push_back(false);
      continue;
    }
    RawBatch head, tail;
    head.partition = tail.partition = b.partition;
    for (size_t i = 0; i < b.size(); ++i) {
      RawBatch& into = b.offset(i) < u.planned_end ? head : tail;
      if (into.size() == 0) into.first_offset = Offset(b.offset(i));
      into.Add(b.record(i));
      into.offsets.push_back(b.offset(i));
    }
    head.Seal();
    tail.Seal();
    work.push_back(std::move(head));  // possibly empty: the replayed epoch still ends here
    ends_replay.push_back(true);
    if (tail.size() > 0) {
      work.push_back(std::move(tail));
      ends_replay.push_back(false);
    }
  }
  // Parsing is parallel; everything after it runs in input order. A batch after a cut depends
  // on the replay having ended, so the work is processed in segments ending at each cut.
  for (size_t begin = 0; begin < work.size();) {
    size_t end = begin;
    while (end < work.size() && !ends_replay[end]) ++end;
    if (end < work.size()) ++end;  // the head of a cut closes its segment
    const size_t n = end - begin;
    if (parsed_.size() < n) parsed_.resize(n);
    pool_.ParallelFor(n, [&](size_t i, int worker) {
      processors_[static_cast<size_t>(worker)]->Process(work[begin + i], parsed_[i]);
    });
    const int64_t now = NowMs();
    for (size_t i = 0; i < n; ++i) {
      const RawBatch& b = work[begin + i];
      SourceUnit& u = *sources_.at(b.partition.value);
      if (b.size() > 0) Absorb(u, b, parsed_[i], now);
      if (ends_replay[begin + i]) {
        u.next_offset = u.planned_end;
        SLUICE_RETURN_IF_ERROR(EndSourceEpoch(u, /*replaying=*/true));
      } else if (u.planned_end >= 0 && u.next_offset >= u.planned_end) {
        SLUICE_RETURN_IF_ERROR(EndSourceEpoch(u, /*replaying=*/true));
      }
    }
    begin = end;
  }
  return Status::Ok();
}

void GroupEngine::Absorb(SourceUnit& u, const RawBatch& b, const ParsedBatch& pb, int64_t now) {
  if (u.epoch_start < 0) u.epoch_start = b.offset(0);
  u.next_offset = b.end_position().next_offset.value;
  u.records_in_epoch = true;
  u.last_record_ms = now;
  u.max_event = std::max(u.max_event, pb.max_event_time);
  u.input_epoch += pb.input_records;
  u.malformed_epoch += static_cast<int64_t>(pb.malformed.size());
  u.filtered_epoch += pb.passed_filter;
  counters_.input_records += pb.input_records;
  counters_.malformed_records += static_cast<int64_t>(pb.malformed.size());
  if (!query_.aggregating) {
    for (uint32_t off : pb.out_offsets) {
      const char* p = pb.out_bytes.data() + off;
      std::vector<OwnedValue> row;
      for (size_t c = 0; c < query_.select.size(); ++c) row.emplace_back(DecodeValue(p));
      u.rows.push_back(std::move(row));
    }
    return;
  }
  if (u.local) {
    // Aligned: straight into the unit's state, the batch judged by the watermark before it.
    const Bucket& rows = pb.buckets[0];
    int64_t late_rows = 0;
    for (const KeyedRow& r : rows.rows) {
      const std::string_view key(rows.bytes.data() + r.key_offset, r.key_len);
      const char* args = rows.bytes.data() + r.key_offset + r.key_len;
      if (!query_.window) {
        u.local->Accumulate(kNoWindow, key, args);
        continue;
      }
      bool late = false;
      ForEachWindow(*query_.window, r.event_time, [&](int64_t w) {
        if (options_.engine.mode != OutputMode::kComplete &&
            w + query_.window->size_ms <= u.watermark) {
          ++late_rows;
          late = true;
        } else {
          u.local->Accumulate(w, key, args);
        }
      });
      u.late_records += late ? 1 : 0;
    }
    u.late_rows += late_rows;
    counters_.late_rows += late_rows;
    if (u.max_event != kMinTime)
      u.watermark = std::max(u.watermark, u.max_event - options_.engine.watermark_delay_ms);
    return;
  }
  // Pre-aggregate by (window, key) into the partial of the key's exchange partition: key groups
  // map onto exchange partitions in contiguous ranges, as Flink's key groups onto tasks.
  const Bucket& bucket = pb.buckets[0];
  const auto groups = static_cast<uint64_t>(options_.engine.state_partitions);
  const auto q_count = static_cast<uint64_t>(options_.exchange_partitions);
  for (const KeyedRow& r : bucket.rows) {
    const std::string_view key(bucket.bytes.data() + r.key_offset, r.key_len);
    const char* args = bucket.bytes.data() + r.key_offset + r.key_len;
    AggregateState& partial =
        *u.partials[static_cast<size_t>(uint64_t{r.key_group} * q_count / groups)];
    if (!query_.window) {
      partial.Accumulate(kNoWindow, key, args);
    } else {
      ForEachWindow(*query_.window, r.event_time,
                    [&](int64_t w) { partial.Accumulate(w, key, args); });
    }
  }
}

Status GroupEngine::EndSourceEpoch(SourceUnit& u, bool replaying) {
  if (!replaying) {
    // Write ahead: the epoch's extent is durable before any of it leaves the process.
    EpochRecord rec = SourceRecord(u, u.epoch_start, u.next_offset, u.max_event_before);
    SLUICE_RETURN_IF_ERROR(u.store->Commit(rec, {}));
  }
  std::string bytes;
  for (int32_t q = 0; q < options_.exchange_partitions; ++q) {
    bytes.clear();
    ByteWriter w(bytes);
    u.partials[static_cast<size_t>(q)]->Serialize(w);
    SLUICE_RETURN_IF_ERROR(Produce(u, q, &bytes));
    u.partials[static_cast<size_t>(q)]->Clear();
  }
  StartNextEpoch(u);
  u.max_event_before = u.max_event;
  u.planned_end = -1;
  u.last_heartbeat_ms = NowMs();
  return Status::Ok();
}

void GroupEngine::StartNextEpoch(SourceUnit& u) {
  u.input += u.input_epoch;
  u.malformed += u.malformed_epoch;
  u.filtered += u.filtered_epoch;
  u.input_epoch = u.malformed_epoch = u.filtered_epoch = 0;
  u.epoch += 1;
  u.epoch_start = u.next_offset;
  u.records_in_epoch = false;
}

EpochRecord GroupEngine::SourceRecord(const SourceUnit& u, int64_t start, int64_t end,
                                      int64_t max_event) const {
  EpochRecord rec;
  rec.epoch = u.epoch;
  rec.committed_ms = NowMs();
  rec.input_finished = u.finished;
  rec.positions.push_back({PartitionId(u.partition), Offset(start), -1});
  rec.source_values = {{"epoch.start", start}, {"epoch.end", end}};
  rec.partition_watermarks.push_back({PartitionId(u.partition), max_event});
  rec.input_records = u.input;
  rec.malformed_records = u.malformed;
  rec.filtered_records = u.filtered;
  return rec;
}

Status GroupEngine::CommitFinished(SourceUnit& u) {
  const int64_t at = std::max<int64_t>(u.next_offset, 0);
  EpochRecord rec = SourceRecord(u, at, at, u.max_event);  // u.finished is set
  return u.store->Commit(rec, {});
}

Status GroupEngine::SendHeartbeat(SourceUnit& u) {
  for (int32_t q = 0; q < options_.exchange_partitions; ++q)
    SLUICE_RETURN_IF_ERROR(Produce(u, q, nullptr));
  u.last_heartbeat_ms = NowMs();
  u.announced_finished = u.finished;
  return Status::Ok();
}

Status GroupEngine::Produce(SourceUnit& u, int32_t q, const std::string* partial) {
  ExchangeMessage m;
  m.input_partition = u.partition;
  // A heartbeat repeats the last epoch produced, so shards can order it against data.
  m.epoch = partial != nullptr ? u.epoch : u.epoch - 1;
  m.max_event_ms = u.max_event;
  m.idle = u.idle;
  m.finished = u.finished && u.planned_end < 0;
  m.has_data = partial != nullptr;
  m.first_offset = u.epoch_start;
  m.end_offset = u.next_offset;
  if (partial != nullptr) m.partial = *partial;
  m.Encode(scratch_);
  counters_.exchange_bytes += static_cast<int64_t>(scratch_.size());
  return exchange_->Send({}, scratch_, &stop_, nullptr, q);
}

Status GroupEngine::ProcessExchange(const RawBatch& batch) {
  Shard& s = *shards_.at(batch.partition.value);
  AggregateState partial(query_);
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::string_view bytes(batch.bytes() + batch.starts[i],
                                 batch.starts[i + 1] - batch.starts[i]);
    ExchangeMessage m;
    if (!m.Decode(bytes) || m.input_partition >= options_.input_partitions) {
      return Status::Corruption("repartition topic partition " + std::to_string(s.partition) +
                                " offset " + std::to_string(batch.offset(i)) +
                                " is not a sluice exchange message of this query");
    }
    Shard::Upstream& up = s.upstream[static_cast<size_t>(m.input_partition)];
    if (m.has_data) {
      if (m.epoch <= up.merged_epoch) {
        ++counters_.replays_dropped;  // an epoch replayed after a takeover: merged already
      } else {
        SLUICE_RETURN_IF_ERROR(partial.Deserialize(m.partial));
        // Judged against the watermark before this message, as a batch in one process.
        const int64_t late_before = s.late_rows, groups_before = s.late_groups;
        s.state->MergeFrom(partial, s.watermark, &s.late_groups, &s.late_rows);
        counters_.late_rows += s.late_rows - late_before;
        counters_.late_groups += s.late_groups - groups_before;
        up.merged_epoch = m.epoch;
        ++counters_.messages_merged;
      }
    }
    up.known = true;
    up.max_event = std::max(up.max_event, m.max_event_ms);
    up.finished = up.finished || m.finished;
    if (m.epoch >= up.seen_epoch) {
      up.idle = m.idle;
      up.seen_epoch = m.epoch;
    }
    s.next_offset = batch.offset(i) + 1;
    s.consumed = true;
    s.watermark = ShardWatermark(s);
  }
  return Status::Ok();
}

int64_t GroupEngine::ShardWatermark(const Shard& s) const {
  if (s.watermark == kMaxTime) return kMaxTime;
  int64_t low = kMaxTime;
  bool all_finished = true, any_active = false;
  for (const Shard::Upstream& up : s.upstream) {
    if (!up.known) return s.watermark;  // an input partition not heard of yet holds it back
    if (up.finished) continue;
    all_finished = false;
    if (up.idle) continue;
    any_active = true;
    if (up.max_event == kMinTime) return s.watermark;
    low = std::min(low, up.max_event - options_.engine.watermark_delay_ms);
  }
  if (all_finished) return kMaxTime;
  if (!any_active) return s.watermark;  // everything idle: hold, as in one process
  return std::max(s.watermark, low);
}

Status GroupEngine::EmitShard(Shard& s, bool force_commit) {
  if (s.finished) return Status::Ok();
  s.watermark = ShardWatermark(s);
  std::vector<AggregateRow> rows;
  bool whole_table = false;  // complete mode: the table changed, write all of it again
  if (options_.engine.mode == OutputMode::kComplete) {
    whole_table = s.state->changed();
    if (whole_table) s.state->CollectAll(rows, results_.HavingFilter());
  } else {
    s.state->Take(options_.engine.mode, s.watermark, rows, results_.HavingFilter());
  }
  const bool final_emit = s.watermark == kMaxTime;
  if (rows.empty() && !whole_table && !s.consumed && !force_commit && !final_emit)
    return Status::Ok();
  if (!rows.empty() || whole_table) {
    OutputBatch out;
    out.batch_id = s.epoch;
    out.mode = options_.engine.mode;
    out.column_names = results_.names();
    out.column_types = results_.types();
    results_.SortKept(rows);
    results_.FromSorted(rows, out);
    SLUICE_RETURN_IF_ERROR(s.sink->Write(out));
    s.output_rows += static_cast<int64_t>(out.rows.size());  // rows the sink took
    counters_.output_rows += static_cast<int64_t>(out.rows.size());
  }
  if (final_emit) s.finished = true;
  return CommitShard(s);
}

Status GroupEngine::CommitShard(Shard& s) {
  SLUICE_ASSIGN_OR_RETURN(std::string sink_state, s.sink->Prepare(s.epoch));
  EpochRecord rec;
  rec.epoch = s.epoch;
  rec.committed_ms = NowMs();
  rec.input_finished = s.finished;
  rec.positions.push_back(
      {PartitionId(s.partition), Offset(std::max<int64_t>(s.next_offset, 0)), -1});
  rec.watermark_ms = s.watermark;
  for (size_t p = 0; p < s.upstream.size(); ++p) {
    const Shard::Upstream& up = s.upstream[p];
    if (!up.known) continue;
    const auto id = static_cast<int32_t>(p);
    rec.partition_watermarks.push_back({PartitionId(id), up.max_event});
    rec.source_values.emplace_back(Name("merged.", id), up.merged_epoch);
    rec.source_values.emplace_back(Name("seen.", id), up.seen_epoch);
    rec.source_values.emplace_back(Name("flags.", id), (up.idle ? 1 : 0) | (up.finished ? 2 : 0));
  }
  rec.late_records = s.late_groups;
  rec.late_rows = s.late_rows;
  rec.output_rows = s.output_rows;
  rec.sinks = {{"output", sink_state}};
  rec.state_partitions = 1;
  rec.state = s.state_refs;
  std::vector<StateBlob> blobs;
  if (s.state->changed()) blobs.push_back(s.state->ToStateBlob(0));
  SLUICE_RETURN_IF_ERROR(s.store->Commit(rec, blobs));
  s.state->ClearChanged();
  s.state_refs = std::move(rec.state);
  SLUICE_RETURN_IF_ERROR(s.sink->Commit(s.epoch));
  s.epoch += 1;
  s.consumed = false;
  return Status::Ok();
}

Status GroupEngine::CommitLocal(SourceUnit& u) {
  OutputBatch out;
  out.batch_id = u.epoch;
  out.mode = options_.engine.mode;
  out.column_names = results_.names();
  out.column_types = results_.types();
  if (u.local) {
    if (u.finished) u.watermark = kMaxTime;  // the end of a bounded read closes every window
    std::vector<AggregateRow> rows;
    u.local->Take(options_.engine.mode, u.watermark, rows, results_.HavingFilter());
    results_.SortKept(rows);
    results_.FromSorted(rows, out);
    u.output_rows += static_cast<int64_t>(out.rows.size());
  } else {
    results_.AppendProjected(std::move(u.rows), out);
    u.rows.clear();
  }
  counters_.output_rows += static_cast<int64_t>(out.rows.size());
  if (!out.rows.empty()) SLUICE_RETURN_IF_ERROR(u.sink->Write(out));
  SLUICE_ASSIGN_OR_RETURN(std::string sink_state, u.sink->Prepare(u.epoch));
  EpochRecord rec;
  rec.epoch = u.epoch;
  rec.committed_ms = NowMs();
  rec.input_finished = u.finished;
  rec.positions.push_back(
      {PartitionId(u.partition), Offset(std::max<int64_t>(u.next_offset, 0)), -1});
  rec.partition_watermarks.push_back({PartitionId(u.partition), u.max_event});
  rec.input_records = u.input + u.input_epoch;
  rec.malformed_records = u.malformed + u.malformed_epoch;
  rec.filtered_records = u.filtered + u.filtered_epoch;
  rec.sinks = {{"output", sink_state}};
  std::vector<StateBlob> blobs;
  if (u.local) {
    rec.watermark_ms = u.watermark;
    rec.late_records = u.late_records;
    rec.late_rows = u.late_rows;
    rec.output_rows = u.output_rows;
    rec.state_partitions = 1;
    rec.state = u.state_refs;
    if (u.local->changed()) blobs.push_back(u.local->ToStateBlob(0));
  }
  SLUICE_RETURN_IF_ERROR(u.store->Commit(rec, blobs));
  if (u.local) {
    u.local->ClearChanged();
    u.state_refs = std::move(rec.state);
  }
  SLUICE_RETURN_IF_ERROR(u.sink->Commit(u.epoch));
  StartNextEpoch(u);
  return Status::Ok();
}

}  // namespace sluice
