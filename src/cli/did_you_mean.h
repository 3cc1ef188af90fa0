// "did you mean": after a failed parse, the nearest known subcommand or option for each word of
// the command line that is neither. Called by main() only.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace sluice::cli {

// One line per mistyped word, e.g. "sluice: unknown option --trigerr; did you mean --trigger?\n",
// or a pointer to the help when nothing is close.
std::string DidYouMean(CLI::App& app, int argc, const char* const* argv);

}  // namespace sluice::cli
