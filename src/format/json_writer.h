// Writing JSON for output rows and side outputs (late and dead-letter records).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/time_format.h"
#include "common/utf8.h"
#include "common/value.h"

namespace sluice {

// BIGINT and DOUBLE as numbers, STRING as a string, TIMESTAMP as "YYYY-MM-DD HH:MM:SS", NULL.
void AppendJsonValue(std::string& out, const Value& v, const TimeZone& tz);
// {"name": value, ...} with no trailing newline.
void AppendJsonObject(std::string& out, const std::vector<std::string>& names,
                      const std::vector<OwnedValue>& values, const TimeZone& tz);
// A double the way Spark prints it: "3.0", "0.5", "1.0E10".
void AppendDouble(std::string& out, double d);

}  // namespace sluice
