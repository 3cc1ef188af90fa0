// `sluice explain`: the physical plan of a query, as stages, without running it.
#include <cstdio>

#include "cli/commands.h"
#include "cli/query_flags.h"
#include "plan/physical_plan.h"

namespace sluice::cli {

void AddExplainCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<QueryFlags>();
  auto sink = std::make_shared<std::string>("console");
  auto group = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("explain", "Print the physical plan of a query as stages.");
  AddQueryFlags(*cmd, *flags);
  cmd->add_option("--sink", *sink, "the sink the plan would write to")->capture_default_str();
  cmd->add_option("--group-id", *group,
                  "plan for several processes in this Kafka consumer group (shows whether "
                  "partial aggregates are exchanged)");
  cmd->callback([flags, sink, group, &exit_code] {
    auto pq = PrepareQuery(*flags);
    if (!pq.ok()) {
      exit_code = Fail(pq.status());
      return;
    }
    PlanContext ctx;
    ctx.source = flags->source;
    ctx.sink = *sink;
    ctx.mode = pq->mode;
    ctx.threads = pq->threads;
    ctx.watermark_ms = pq->watermark_ms;
    ctx.trigger_ms = pq->trigger_ms;
    ctx.group_id = *group;
    ctx.partitioned_by = flags->partitioned_by;
    std::fputs(ExplainText(BuildPlan(pq->query, ctx)).c_str(), stdout);
    exit_code = 0;
  });
}

}  // namespace sluice::cli
