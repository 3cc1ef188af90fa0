// Random ids for queries and runs: "8-4-4-4-12" hex digits, as a version-4 UUID. A query's id
// is kept in its checkpoint, so it survives restarts; a run id is new at every start.
#pragma once

#include <string>

namespace sluice {

std::string NewQueryId();

}  // namespace sluice
