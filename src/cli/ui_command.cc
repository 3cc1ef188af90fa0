// `sluice ui --event-log DIR`: the monitoring UI over a finished run, from the event log that
// `sluice run --event-log DIR` wrote (Spark's history server).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/query_flags.h"
#include "monitor/event_log.h"
#include "monitor/progress_printer.h"

namespace sluice::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

struct UiFlags {
  std::string event_log;
  std::string run;  // a run id, a prefix of one, or "" for the newest
  std::string ui = "127.0.0.1:18080";
};

int ServeHistory(const UiFlags& f) {
  auto runs = ListEventLogs(f.event_log);
  if (!runs.ok()) return Fail(runs.status());
  if (runs->empty()) {
    return Fail(Status::NotFound("--event-log " + f.event_log +
                                 ": no event logs (RUN_ID.jsonl files written by sluice run "
                                 "--event-log) in this directory"));
  }
  const LoggedRun* chosen = nullptr;
  std::fprintf(stderr, "sluice: %zu run(s) in %s, oldest first:\n", runs->size(),
               f.event_log.c_str());
  for (const LoggedRun& r : *runs) {
    std::fprintf(stderr, "  %s  started %s  %s\n", r.run_id.c_str(), UtcTime(r.started_ms).c_str(),
                 r.name.c_str());
    if (f.run.empty() || r.run_id.rfind(f.run, 0) == 0) chosen = &r;  // the newest that matches
  }
  if (chosen == nullptr) {
    return Fail(Status::NotFound("--run " + f.run + ": no run in " + f.event_log +
                                 " has an id starting with it (the runs are listed above)"));
  }
  RunMonitor monitor;
  if (Status st = LoadEventLog(chosen->path, monitor); !st.ok()) return Fail(st);
  std::fprintf(stderr, "sluice: showing run %s (%s)\n", chosen->run_id.c_str(),
               chosen->path.c_str());
  auto ui = StartUi(f.ui, monitor);
  if (!ui.ok()) return Fail(ui.status());
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*ui)->Stop();
  return 0;
}

}  // namespace

void AddUiCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<UiFlags>();
  CLI::App* cmd = app.add_subcommand(
      "ui",
      "Serve the monitoring UI over a finished run from its event log (Spark's history "
      "server), until Ctrl-C.\nExample: sluice ui --event-log /tmp/sluice-events");
  cmd->add_option("--event-log", flags->event_log, "directory given to sluice run --event-log")
      ->required();
  cmd->add_option("--run", flags->run,
                  "run id (or its first characters) to show; default: the newest run. To compare "
                  "two runs, start two `sluice ui` on two ports");
  cmd->add_option("--ui", flags->ui, "serve on HOST:PORT")->capture_default_str();
  cmd->callback([flags, &exit_code] { exit_code = ServeHistory(*flags); });
}

}  // namespace sluice::cli
