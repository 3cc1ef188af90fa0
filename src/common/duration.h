// Durations as people write them in SQL and on the command line ("10 seconds", "500ms", "1m30s"),
// converted to whole milliseconds, the unit of event time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sluice {

// Parses one or more "<number><unit>" parts, case-insensitive, spaces optional between number and
// unit and between parts: "30s", "10 seconds", "1.5s", "500ms", "2m", "1 minute 30 seconds", "1h".
// Units: ms/msec/millisecond(s), s/sec/second(s), m/min/minute(s), h/hr/hour(s), d/day(s).
// A bare number is an error (the unit is never guessed); so are negative values and fractions of
// a millisecond. Errors are InvalidArgument with a hint.
[[nodiscard]] Result<int64_t> ParseDurationMs(std::string_view text);

// The shortest form ParseDurationMs reads back: "10s", "500ms", "1m30s", "1.5s", "2h", "0s".
std::string FormatDurationMs(int64_t ms);

}  // namespace sluice
