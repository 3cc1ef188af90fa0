// The generator's command-line flags, shared by `sluice gen` and by `sluice run` (for its
// in-process generator source), so both spell them the same way.
#pragma once

#include <CLI/CLI.hpp>

#include "gen/generator.h"

namespace sluice::cli {

// Registers --count, --rate, --max-rate, --start, --users, --ips, --severity-mix, --term,
// --term-rate, --vulnerability-rate, --jitter, --late-fraction, --late-by, --malformed-fraction,
// --case-mix, --escape-rate, --unicode-rate, --hot-user-rate and --seed on `cmd`; parsing stores
// into `options`, which must outlive `cmd`. Call ApplyLabEnvironment(options) first, so that the
// lab's environment variables become defaults (shown by --help) that flags override.
// An unreadable value or a fraction outside [0, 1] is a CLI::ValidationError (exit 2). After
// parsing, call ValidateGeneratorOptions for the checks that involve several options (term rate
// + vulnerability rate <= 1) or values from the environment.
void AddGeneratorFlags(CLI::App& cmd, GeneratorOptions& options);

}  // namespace sluice::cli
