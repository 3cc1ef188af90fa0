// The parts of a query its state depends on, as text, for checkpoints: a checkpoint written by
// one query is refused by another whose parts differ (sluice run --checkpoint).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "plan/query.h"
#include "sink/sink.h"

namespace sluice {

// ("where", "..."), ("group by", "..."), ("window", "..."), ("aggregates", "..."),
// ("output mode", "..."), ("event time", "..."): what must match for the state to mean the same.
std::vector<std::pair<std::string, std::string>> QueryStateParts(const BoundQuery& query,
                                                                 OutputMode mode);

}  // namespace sluice
