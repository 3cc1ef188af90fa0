// How a value reads for a person: in a console table cell and in the UI's result table.
#pragma once

#include <string>

#include "common/time_format.h"
#include "common/value.h"

namespace sluice {

// NULL, true/false, integers, doubles as Spark prints them, timestamps as
// "YYYY-MM-DD HH:MM:SS" in `tz`, strings as they are.
std::string CellText(const Value& v, const TimeZone& tz);

}  // namespace sluice
