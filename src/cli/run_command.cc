// `sluice run`: a SQL query over a source into a sink, continuously or to the end of the input.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/generator_flags.h"
#include "cli/query_flags.h"
#include "common/duration.h"
#include "exec/engine.h"
#include "exec/run_reporter.h"
#include "monitor/progress_printer.h"
#include "monitor/run_monitor.h"
#include "web/ui_server.h"
#include "kafka/kafka_options.h"
#include "plan/physical_plan.h"
#include "sink/sink_factory.h"
#include "source/source_factory.h"

namespace sluice::cli {
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
  bool progress = false;
  GeneratorOptions generator;
  KafkaClientOptions kafka;
};

int Fail(const Status& st) {
  std::fprintf(stderr, "%s%s\n", st.message().rfind("error:", 0) == 0 ? "" : "error: ",
               st.message().c_str());
  return st.exit_code();
}

// "HOST:PORT", "PORT" or ":PORT"; the host defaults to 127.0.0.1 so nothing is exposed by default.
Status ParseHostPort(const std::string& text, std::string& host, int& port) {
  host = "127.0.0.1";
  std::string p = text;
  const auto colon = text.rfind(':');
  if (colon != std::string::npos) {
    if (colon > 0) host = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  const long v = std::strtol(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || v < 0 || v > 65535) {
    return Status::InvalidArgument("--ui: expected HOST:PORT such as 127.0.0.1:4040, got '" + text + "'");
  }
  port = static_cast<int>(v);
  return Status::Ok();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

int Run(RunFlags& f) {
  auto prepared = PrepareQuery(f.query);
  if (!prepared.ok()) return Fail(prepared.status());
  PreparedQuery& pq = prepared.value();

  auto idle = ParseDurationMs(f.idle_timeout);
  if (!idle.ok()) return Fail(Status::InvalidArgument("--idle-timeout: " + idle.status().message()));
  f.kafka.idle_timeout_ms = *idle;

  if (f.query.source == "generator" || f.query.source == "gen") {
    if (Status st = ValidateGeneratorOptions(f.generator); !st.ok()) return Fail(st);
  }
  SourceOptions so;
  so.generator = f.generator;
  so.kafka = &f.kafka;
  so.available_now = pq.available_now;
  auto source = MakeSource(f.query.source, so);
  if (!source.ok()) return Fail(source.status());

  SinkOptions sko;
  sko.time_zone = pq.time_zone;
  sko.console_rows = f.console_rows;
  sko.kafka = &f.kafka;
  auto sink = MakeSink(f.sink, sko);
  if (!sink.ok()) return Fail(sink.status());
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
  Engine engine(pq.query, eo, **source, **sink);
  engine.SetLateSink(late_sink.get());
  engine.SetDeadLetterSink(dead_letter.get());

  PlanContext ctx;
  ctx.source = (*source)->Describe();
  ctx.sink = (*sink)->Describe();
  ctx.mode = pq.mode;
  ctx.threads = pq.threads;
  ctx.watermark_ms = pq.watermark_ms;
  ctx.trigger_ms = pq.trigger_ms;
  const PhysicalPlan plan = BuildPlan(pq.query, ctx);
  RunMonitor monitor;
  QueryInfo info;
  info.id = NewQueryId();
  info.run_id = NewQueryId();
  info.name = "sluice";
  info.sql = pq.sql;
  info.output_mode = std::string(OutputModeName(pq.mode));
  info.trigger_interval_ms = pq.trigger_ms;
  info.watermark_delay_ms = pq.watermark_ms;
  info.source_description = ctx.source;
  info.sink_description = ctx.sink;
  info.num_workers = pq.threads;
  info.started_ms = WallMs();
  info.plan = RunReporter::PlanNodes(plan);
  monitor.SetQueryInfo(std::move(info));
  RunReporter reporter(monitor, engine, **source, **sink, plan, pq.time_zone);
  const bool progress = f.progress;
  engine.SetTriggerCallback([&reporter, &monitor, progress](const TriggerReport& r) {
    reporter.OnTrigger(r);
    if (progress) PrintProgress(monitor);
  });

  std::unique_ptr<UiServer> ui;
  if (!f.ui.empty()) {
    std::string host;
    int port = 0;
    if (Status st = ParseHostPort(f.ui, host, port); !st.ok()) return Fail(st);
    auto started = UiServer::Start(host, port, monitor);
    if (!started.ok()) return Fail(started.status());
    ui = std::move(started).value();
    std::fprintf(stderr, "sluice: monitoring UI at %s\n", ui->url().c_str());
  }
  monitor.SetState(RunState::kRunning);

  g_engine.store(&engine);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const auto t0 = std::chrono::steady_clock::now();
  Status st = engine.Run();
  g_engine.store(nullptr);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const RunCounters& c = engine.counters();
  std::fprintf(stderr,
               "sluice: %lld records in %.2f s (%.0f records/s), %lld malformed, %lld late, "
               "%lld output rows in %lld batches\n",
               static_cast<long long>(c.input_records), secs,
               secs > 0 ? static_cast<double>(c.input_records) / secs : 0.0,
               static_cast<long long>(c.malformed_records), static_cast<long long>(c.late_records),
               static_cast<long long>(c.output_rows), static_cast<long long>(c.triggers));
  std::fprintf(stderr,
               "summary input_records=%lld malformed_records=%lld late_records=%lld "
               "late_rows=%lld output_rows=%lld\n",
               static_cast<long long>(c.input_records), static_cast<long long>(c.malformed_records),
               static_cast<long long>(c.late_records), static_cast<long long>(c.late_rows),
               static_cast<long long>(c.output_rows));
  monitor.SetState(st.ok() ? RunState::kFinished : RunState::kFailed, st.message());
  if (progress) PrintRunSummary(monitor, WallMs());
  if (ui) ui->Stop();
  if (!st.ok()) return Fail(st);
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<RunFlags>();
  ApplyLabEnvironment(flags->generator);
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a SQL query continuously over a source into a sink.\n"
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
  AddGeneratorFlags(*cmd, flags->generator);
  AddKafkaFlags(*cmd, flags->kafka);
  cmd->callback([flags, &exit_code] { exit_code = Run(*flags); });
}

}  // namespace sluice::cli
