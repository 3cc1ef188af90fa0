// `sluice run`: a SQL query over a source into a sink, continuously or to the end of the input.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/generator_flags.h"
#include "cli/query_flags.h"
#include "cli/run_group.h"
#include "common/duration.h"
#include "common/source_status.h"
#include "exec/engine.h"
#include "exec/run_reporter.h"
#include "kafka/kafka_options.h"
#include "monitor/event_log.h"
#include "monitor/progress_printer.h"
#include "monitor/run_monitor.h"
#include "plan/physical_plan.h"
#include "plan/query_identity.h"
#include "sink/sink_factory.h"
#include "source/source_factory.h"
#include "web/ui_server.h"

namespace sluice::cli {

namespace {

// "HOST:PORT", "PORT" or ":PORT"; the host defaults to 127.0.0.1 so nothing is exposed by default.
Status ParseHostPort(const std::string& text, std::string& host, int& port) {
  host = "127.0.0.1";
  std::string p = text;
  const auto colon = text.rfind(':');
  if (colon != std::string::npos) {
    if (colon > 0) host = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  const long v = std::strtol(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || v < 0 || v > 65535) {
    return Status::InvalidArgument("--ui: expected HOST:PORT such as 127.0.0.1:4040, got '" + text +
                                   "'");
  }
  port = static_cast<int>(v);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<UiServer>> StartUi(const std::string& spec, RunMonitor& monitor,
                                          std::shared_ptr<const SourceStatusBoard> source_status) {
  if (spec.empty()) return std::unique_ptr<UiServer>();
  std::string host;
  int port = 0;
  SLUICE_RETURN_IF_ERROR(ParseHostPort(spec, host, port));
  auto started = UiServer::Start(host, port, monitor, std::move(source_status));
  if (!started.ok()) return started.status();
  std::fprintf(stderr, "sluice: monitoring UI at %s\n", (*started)->url().c_str());
  return std::move(*started);
}

namespace {

std::atomic<Engine*> g_engine{nullptr};

void OnSignal(int) {
  if (Engine* e = g_engine.load()) e->Stop();
}

struct RunFlags {
  QueryFlags query;
  std::string sink = "console";
  std::string late_sink;
  std::string dead_letter;
  std::string idle_timeout = "10s";
  size_t console_rows = 20;
  std::string ui;
  std::string event_log;
  std::string name;  // Spark's queryName; none by default
  bool progress = false;
  std::string checkpoint;
  int64_t max_records_per_trigger = 0;
  int64_t max_record_bytes = static_cast<int64_t>(kDefaultMaxRecordBytes);
  uint32_t state_partitions = EngineOptions::kDefaultStatePartitions;
  int exchange_partitions = 0;
  bool allow_state_loss = false;
  GeneratorOptions generator;
  KafkaClientOptions kafka;
};

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the monitor shows of the query (a new run id each start).
QueryInfo MakeQueryInfo(const PreparedQuery& pq, std::string id, std::string name,
                        std::string source, std::string sink) {
  QueryInfo info;
  info.id = std::move(id);
  info.run_id = NewQueryId();
  info.name = std::move(name);
  info.sql = pq.sql;
  info.output_mode = std::string(OutputModeName(pq.mode));
  info.trigger_interval_ms = pq.trigger_ms;
  info.watermark_delay_ms = pq.watermark_ms;
  info.source_description = std::move(source);
  info.sink_description = std::move(sink);
  info.num_workers = pq.threads;
  info.started_ms = WallMs();
  return info;
}

int Run(RunFlags& f) {
  auto prepared = PrepareQuery(f.query);
  if (!prepared.ok()) return Fail(prepared.status());
  PreparedQuery& pq = prepared.value();

  auto idle = ParseDurationMs(f.idle_timeout);
  if (!idle.ok())
    return Fail(Status::InvalidArgument("--idle-timeout: " + idle.status().message()));
  f.kafka.idle_timeout_ms = *idle;

  if (f.query.source == "generator" || f.query.source == "gen") {
    if (Status st = ValidateGeneratorOptions(f.generator); !st.ok()) return Fail(st);
  }
  if (f.max_records_per_trigger < 0) {
    return Fail(Status::InvalidArgument("--max-records-per-trigger must be 0 (no cap) or more"));
  }
  if (f.state_partitions < 1 || f.state_partitions > 32768) {
    return Fail(Status::InvalidArgument("--state-partitions must be between 1 and 32768"));
  }

  // A consumer group: several processes, one query (group mode), with a shared checkpoint.
  if (f.query.source.rfind("kafka://", 0) == 0) {
    f.kafka.status = std::make_shared<SourceStatusBoard>();
    Result<KafkaEndpoint> ep = ResolveKafkaEndpoint(f.query.source, f.kafka);
    if (!ep.ok()) return Fail(ep.status());
    if (ep->group_given && !f.checkpoint.empty()) {
      if (!f.event_log.empty()) {
        return Fail(Status::InvalidArgument("--event-log is not available in group mode yet"));
      }
      GroupRunFlags gf;
      gf.sink = f.sink;
      gf.checkpoint = f.checkpoint;
      gf.idle_timeout_ms = *idle;
      gf.state_partitions = f.state_partitions;
      gf.exchange_partitions = f.exchange_partitions;
      gf.allow_state_loss = f.allow_state_loss;
      gf.console_rows = f.console_rows;
      RunMonitor monitor;
      monitor.SetQueryInfo(MakeQueryInfo(pq, NewQueryId(), "group " + ep->group_id,
                                         f.query.source + " (group " + ep->group_id + ")", f.sink));
      auto ui = StartUi(f.ui, monitor, f.kafka.status);
      if (!ui.ok()) return Fail(ui.status());
      monitor.SetState(RunState::kRunning);
      const int rc = RunGroupMember(pq, f.query, f.kafka, gf, monitor);
      monitor.SetState(rc == 0 ? RunState::kFinished : RunState::kFailed);
      if (*ui) (*ui)->Stop();
      return rc;
    }
    if (ep->group_given && pq.query.aggregating && !f.allow_state_loss) {
      return Fail(Status::InvalidArgument(
          "--group-id " + ep->group_id +
          ": the processes of a consumer group share partitions, "
          "so their state must be shared too: give every process the same --checkpoint DIR "
          "(a directory all of them see), or --allow-state-loss to let each process aggregate "
          "only what it reads"));
    }
  }

  // --checkpoint: lock the directory, check the query against it, load the last epoch.
  std::unique_ptr<CheckpointStore> store;
  std::optional<EpochRecord> restored;
  if (!f.checkpoint.empty()) {
    if (f.query.source == "file:-") {
      return Fail(Status::InvalidArgument(
          "--checkpoint cannot be used with --source file:- : standard input cannot be read "
          "again after a restart; write it to a file and read that, or use Kafka"));
    }
    QueryIdentity identity;
    identity.parts.emplace_back("source", f.query.source);
    for (auto& part : QueryStateParts(pq.query, pq.mode)) identity.parts.push_back(std::move(part));
    if (pq.query.aggregating) {
      identity.parts.emplace_back("state partitions", std::to_string(f.state_partitions));
    }
    identity.sql = pq.sql;
    auto opened = CheckpointStore::Open(f.checkpoint, identity);
    if (!opened.ok()) return Fail(opened.status());
    store = std::move(opened).value();
    auto latest = store->LoadLatest();
    if (!latest.ok()) return Fail(latest.status());
    restored = std::move(*latest);
    if (restored) {
      std::fprintf(stderr,
                   "sluice: resuming from checkpoint %s at epoch %lld (%lld records read so far)\n",
                   store->dir().c_str(), static_cast<long long>(restored->epoch),
                   static_cast<long long>(restored->input_records));
    }
  }

  SourceOptions so;
  so.generator = f.generator;
  so.kafka = &f.kafka;
  so.available_now = pq.available_now;
  so.max_record_bytes = static_cast<size_t>(f.max_record_bytes);
  so.file_by_lines = f.max_records_per_trigger > 0;
  so.checkpointed = store != nullptr;
  if (restored) {
    so.restoring = true;
    so.start = restored->positions;
    so.restore_values = restored->source_values;
  }
  auto source = MakeSource(f.query.source, so);
  if (!source.ok()) return Fail(source.status());

  SinkOptions sko;
  sko.time_zone = pq.time_zone;
  sko.console_rows = f.console_rows;
  sko.kafka = &f.kafka;
  sko.mode = pq.mode;
  sko.checkpointed = store != nullptr;
  auto sink = MakeSink(f.sink, sko);
  if (!sink.ok()) return Fail(sink.status());
  sko.mode = OutputMode::kAppend;  // late rows and dead letters are appended
  std::unique_ptr<Sink> late_sink, dead_letter;
  if (!f.late_sink.empty()) {
    auto s = MakeSink(f.late_sink, sko);
    if (!s.ok()) return Fail(Status::InvalidArgument("--late-sink: " + s.status().message()));
    late_sink = std::move(s).value();
  }
  if (!f.dead_letter.empty()) {
    auto s = MakeSink(f.dead_letter, sko);
    if (!s.ok()) return Fail(Status::InvalidArgument("--dead-letter: " + s.status().message()));
    dead_letter = std::move(s).value();
  }

  EngineOptions eo;
  eo.mode = pq.mode;
  eo.threads = pq.threads;
  eo.watermark_delay_ms = pq.watermark_ms;
  eo.trigger_ms = pq.trigger_ms;
  eo.idle_timeout_ms = *idle;
  eo.time_zone = pq.time_zone;
  eo.state_partitions = f.state_partitions;
  eo.max_records_per_trigger = f.max_records_per_trigger;
  eo.checkpoint = store.get();
  Engine engine(pq.query, eo, **source, **sink);
  engine.SetLateSink(late_sink.get());
  engine.SetDeadLetterSink(dead_letter.get());
  if (store) {
    const auto restore_start = std::chrono::steady_clock::now();
    if (Status st = engine.Restore(restored); !st.ok()) return Fail(st);
    if (restored) {
      int64_t rows = 0;
      for (const auto& s : restored->state) rows += s.rows;
      std::fprintf(
          stderr, "sluice: restored %lld state rows in %.3f s\n", static_cast<long long>(rows),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - restore_start).count());
    }
    if (restored && restored->input_finished) {
      std::fprintf(stderr,
                   "sluice: the query of checkpoint %s read its input to the end at epoch "
                   "%lld; nothing left to do\n",
                   store->dir().c_str(), static_cast<long long>(restored->epoch));
    }
  }

  PlanContext ctx;
  ctx.source = (*source)->Describe();
  ctx.sink = (*sink)->Describe();
  ctx.mode = pq.mode;
  ctx.threads = pq.threads;
  ctx.watermark_ms = pq.watermark_ms;
  ctx.trigger_ms = pq.trigger_ms;
  const PhysicalPlan plan = BuildPlan(pq.query, ctx);
  RunMonitor monitor;
  QueryInfo info =
      MakeQueryInfo(pq, store ? store->query_id() : NewQueryId(), f.name, ctx.source, ctx.sink);
  info.plan = RunReporter::PlanNodes(plan);
  monitor.SetQueryInfo(std::move(info));
  std::unique_ptr<EventLogWriter> event_log;
  if (!f.event_log.empty()) {
    auto opened = EventLogWriter::Open(f.event_log, monitor);
    if (!opened.ok()) return Fail(opened.status());
    event_log = std::move(opened).value();
    std::fprintf(stderr, "sluice: event log %s\n", event_log->path().c_str());
  }
  RunReporter reporter(monitor, engine, **source, **sink, plan, pq.time_zone);
  const bool progress = f.progress;
  engine.SetTriggerCallback([&reporter, &monitor, &event_log, progress](const TriggerReport& r) {
    reporter.OnTrigger(r);
    if (event_log) event_log->AppendTrigger(monitor);
    if (progress) PrintProgress(monitor);
  });

  auto ui = StartUi(f.ui, monitor, f.kafka.status);
  if (!ui.ok()) return Fail(ui.status());
  monitor.SetState(RunState::kRunning);

  g_engine.store(&engine);
  // Writes into a closed pipe fail with EPIPE, which the sinks report (the run then ends with
  // exit code 141, as a death by SIGPIPE would, but after closing its sinks), with or without
  // the UI's server, which ignores SIGPIPE itself.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const auto t0 = std::chrono::steady_clock::now();
  Status st = engine.Run();
  g_engine.store(nullptr);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const RunCounters& c = engine.counters();
  // With a checkpoint the counters cover the whole query; the rate is this run's own.
  const int64_t read_now = c.input_records - (restored ? restored->input_records : 0);
  if (restored) {
    std::fprintf(stderr,
                 "sluice: this run read %lld records in %.2f s (%.0f records/s); the query over "
                 "all its runs: %lld records, %lld malformed, %lld late, %lld output rows in %lld "
                 "batches\n",
                 static_cast<long long>(read_now), secs,
                 secs > 0 ? static_cast<double>(read_now) / secs : 0.0,
                 static_cast<long long>(c.input_records),
                 static_cast<long long>(c.malformed_records),
                 static_cast<long long>(c.late_records), static_cast<long long>(c.output_rows),
                 static_cast<long long>(c.triggers));
  } else {
    std::fprintf(stderr,
                 "sluice: %lld records in %.2f s (%.0f records/s), %lld malformed, %lld late, "
                 "%lld output rows in %lld batches\n",
                 static_cast<long long>(read_now), secs,
                 secs > 0 ? static_cast<double>(read_now) / secs : 0.0,
                 static_cast<long long>(c.malformed_records),
                 static_cast<long long>(c.late_records), static_cast<long long>(c.output_rows),
                 static_cast<long long>(c.triggers));
  }
  std::fprintf(stderr,
               "summary input_records=%lld malformed_records=%lld late_records=%lld "
               "late_rows=%lld output_rows=%lld\n",
               static_cast<long long>(c.input_records), static_cast<long long>(c.malformed_records),
               static_cast<long long>(c.late_records), static_cast<long long>(c.late_rows),
               static_cast<long long>(c.output_rows));
  monitor.SetState(st.ok() ? RunState::kFinished : RunState::kFailed, st.message());
  const int64_t ended_ms = WallMs();
  monitor.SetEndedMs(ended_ms);
  if (event_log) event_log->AppendEnd(monitor, ended_ms);
  if (progress) PrintRunSummary(monitor, ended_ms);
  if (*ui) (*ui)->Stop();
  if (!st.ok()) return Fail(st);
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<RunFlags>();
  ApplyLabEnvironment(flags->generator);
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run a SQL query continuously over a source into a sink.\n"
      "Example: sluice run --source file:logs.jsonl \"SELECT severity, count(*) FROM logs "
      "GROUP BY severity\"");
  AddQueryFlags(*cmd, flags->query);
  cmd->add_option("--sink", flags->sink, "console | jsonl:PATH | jsonl:- | kafka://HOST:PORT/TOPIC")
      ->capture_default_str();
  cmd->add_option("--late-sink", flags->late_sink,
                  "where late rows go, with their window and lateness (same forms as --sink)");
  cmd->add_option("--dead-letter", flags->dead_letter,
                  "where malformed records go, with the reason (same forms as --sink)");
  cmd->add_option("--idle-timeout", flags->idle_timeout,
                  "a partition without records this long stops holding the watermark back")
      ->capture_default_str();
  cmd->add_option("--max-rows", flags->console_rows,
                  "rows the console shows per batch (Spark's numRows); 0 shows all")
      ->capture_default_str();
  cmd->add_option("--ui", flags->ui, "serve the monitoring UI on HOST:PORT (e.g. 127.0.0.1:4040)");
  cmd->add_flag("--progress", flags->progress, "print a line per trigger to stderr");
  cmd->add_option("--name", flags->name,
                  "a name for the query, shown by the UI, /metrics and the event log (Spark's "
                  "queryName)");
  cmd->add_option("--event-log", flags->event_log,
                  "append every trigger's progress to DIR/RUN_ID.jsonl, for `sluice ui --event-log "
                  "DIR` after the run (Spark's event log)");
  cmd->add_option("--checkpoint", flags->checkpoint,
                  "directory where every trigger commits positions, state and sink progress; "
                  "run the same command again to resume after a stop or crash "
                  "(Spark's checkpointLocation)");
  cmd->add_option("--max-records-per-trigger", flags->max_records_per_trigger,
                  "read at most this many records per trigger, in whole batches of 10,000 "
                  "(Spark's maxOffsetsPerTrigger); 0 = no cap")
      ->capture_default_str();
  cmd->add_option("--max-record-bytes", flags->max_record_bytes,
                  "file sources: a longer line is a malformed record (never split)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, static_cast<int64_t>(kMaxMaxRecordBytes)));
  cmd->add_option("--exchange-partitions", flags->exchange_partitions,
                  "consumer group: partitions of the repartition topic of partial aggregates "
                  "(default: as many as the input topic)");
  cmd->add_flag("--allow-state-loss", flags->allow_state_loss,
                "consumer group without --checkpoint: let each process aggregate only what it "
                "reads (results are per process, and a moved partition starts with no state)");
  cmd->add_option("--state-partitions", flags->state_partitions,
                  "key groups the aggregation state is split into; fixed for the life of a "
                  "checkpoint (Spark's spark.sql.shuffle.partitions)")
      ->capture_default_str();
  AddGeneratorFlags(*cmd, flags->generator);
  AddKafkaFlags(*cmd, flags->kafka);
  AddKafkaDataLossFlag(*cmd, flags->kafka);
  cmd->callback([flags, &exit_code] { exit_code = Run(*flags); });
}

}  // namespace sluice::cli
