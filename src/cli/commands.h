// The subcommands of the sluice binary. Each Add*Command registers a CLI11 subcommand whose
// callback stores the command's exit code in `exit_code`. The CLI is a thin layer: the work is
// done by the libraries under src/.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "common/source_status.h"
#include "monitor/run_monitor.h"
#include "web/ui_server.h"

namespace sluice::cli {

void AddRunCommand(CLI::App& app, int& exit_code);
void AddExplainCommand(CLI::App& app, int& exit_code);
void AddGenCommand(CLI::App& app, int& exit_code);
void AddDevKafkaCommand(CLI::App& app, int& exit_code);
void AddCheckpointCommand(CLI::App& app, int& exit_code);
void AddUiCommand(CLI::App& app, int& exit_code);
void AddBenchCommand(CLI::App& app, int& exit_code);

// The monitoring UI on `spec` (HOST:PORT, PORT or :PORT; the host defaults to 127.0.0.1), or
// nothing when `spec` is empty (`sluice run` and `sluice ui`). `source_status`, when given,
// adds the Kafka source's reachability to /api/progress and /metrics.
Result<std::unique_ptr<UiServer>> StartUi(
    const std::string& spec, RunMonitor& monitor,
    std::shared_ptr<const SourceStatusBoard> source_status = nullptr);

}  // namespace sluice::cli
