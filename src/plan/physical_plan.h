// The physical plan: the stages a record passes through, as EXPLAIN prints them and the UI
// draws them, plus the checks that decide which output modes a query allows (Spark's rules).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "plan/query.h"
#include "sink/sink.h"

namespace sluice {

struct PlanStage {
  int id = 0;
  std::string name;         // "Scan", "ParseJson", "Filter", ...
  std::string detail;       // what it does, e.g. the predicate
  std::string parallelism;  // "per batch", "per key range", "driver"
};

struct PlanContext {
  std::string source = "generator";
  std::string sink = "console";
  OutputMode mode = OutputMode::kAppend;
  int threads = 1;
  int64_t watermark_ms = 10'000;
  int64_t trigger_ms = 1'000;
  std::string group_id;        // a consumer group: several processes run the query
  std::string partitioned_by;  // --partitioned-by: the field the input topic is keyed by
};

// How the processes of a consumer group split an aggregation: through an exchange of partial
// aggregates (a repartition topic), or not at all when the input is already partitioned by a
// group key. `reason` says why, for EXPLAIN and the log.
struct GroupPlan {
  bool exchange = false;
  std::string reason;
};
GroupPlan ChooseGroupPlan(const BoundQuery& query, std::string_view partitioned_by);

struct PhysicalPlan {
  std::vector<PlanStage> stages;
  std::vector<std::string> warnings;  // e.g. state that is never evicted
};

// The default output mode (append for windowed aggregations and plain projections, complete
// for other aggregations), or an InvalidArgument saying why the requested mode cannot work.
Result<OutputMode> ResolveOutputMode(const BoundQuery& query, std::optional<OutputMode> requested);
Result<OutputMode> ParseOutputMode(std::string_view text);

PhysicalPlan BuildPlan(const BoundQuery& query, const PlanContext& ctx);
std::string ExplainText(const PhysicalPlan& plan);

}  // namespace sluice
