// The subcommands of the sluice binary. Each Add*Command registers a CLI11 subcommand whose
// callback stores the command's exit code in `exit_code`. The CLI is a thin layer: the work is
// done by the libraries under src/.
#pragma once

#include <CLI/CLI.hpp>

namespace sluice::cli {

void AddRunCommand(CLI::App& app, int& exit_code);
void AddExplainCommand(CLI::App& app, int& exit_code);
void AddGenCommand(CLI::App& app, int& exit_code);
void AddDevKafkaCommand(CLI::App& app, int& exit_code);
void AddCheckpointCommand(CLI::App& app, int& exit_code);
void AddBenchCommand(CLI::App& app, int& exit_code);

}  // namespace sluice::cli
