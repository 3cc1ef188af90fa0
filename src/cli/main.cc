// sluice: SQL stream processing over JSON log events. See README.md.
#include <cstdio>

#include "cli/commands.h"
#include "cli/did_you_mean.h"

// An exception that escapes is a bug: std::terminate then aborts with its stack (STYLE.md: no
// exceptions for a user's mistake).
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  CLI::App app{"sluice: SQL stream processing over JSON log events", "sluice"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sluice 0.1.0");
  int exit_code = 0;
  sluice::cli::AddRunCommand(app, exit_code);
  sluice::cli::AddExplainCommand(app, exit_code);
  sluice::cli::AddGenCommand(app, exit_code);
  sluice::cli::AddDevKafkaCommand(app, exit_code);
  sluice::cli::AddCheckpointCommand(app, exit_code);
  sluice::cli::AddUiCommand(app, exit_code);
  sluice::cli::AddBenchCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A wrong flag or argument is the user's mistake: say what (and what was probably meant),
    // and exit 2.
    app.exit(e);
    std::fputs(sluice::cli::DidYouMean(app, argc, argv).c_str(), stderr);
    return 2;
  }
  return exit_code;
}
