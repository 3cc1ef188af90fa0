#include "plan/physical_plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "plan/expr_printer.h"

namespace sluice {
namespace {

std::string Ms(int64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::vector<std::string> InputNames(const BoundQuery& q) {
  std::vector<std::string> names;
  for (const auto& f : q.input_fields) names.push_back(f.name);
  return names;
}

std::vector<std::string> AggregateRowNames(const BoundQuery& q) {
  std::vector<std::string> names;
  if (q.window) {
    names.push_back("window.start");
    names.push_back("window.end");
  }
  for (size_t i = 0; i < q.group_keys.size(); ++i) {
    names.push_back(i < q.group_key_names.size() ? q.group_key_names[i]
                                                 : ExprToSql(*q.group_keys[i], InputNames(q)));
  }
  for (const auto& a : q.aggregates) names.push_back(a.text);
  return names;
}

}  // namespace

GroupPlan ChooseGroupPlan(const BoundQuery& q, std::string_view partitioned_by) {
  GroupPlan plan;
  std::vector<std::string> keys;
  for (const auto& k : q.group_keys) {
    if (k->kind == ExprKind::kColumn)
      keys.push_back(q.input_fields[static_cast<size_t>(k->slot)].name);
  }
  std::string listed;
  for (size_t i = 0; i < q.group_keys.size(); ++i) {
    if (i) listed += ", ";
    listed += ExprToSql(*q.group_keys[i], InputNames(q));
  }
  if (!partitioned_by.empty() &&
      std::find(keys.begin(), keys.end(), partitioned_by) != keys.end()) {
    plan.reason = "none: the input is partitioned by " + std::string(partitioned_by) +
                  " (--partitioned-by), a group key, so all records of a key are in one "
                  "partition and its process finalizes it";
    return plan;
  }
  plan.exchange = true;
  plan.reason =
      partitioned_by.empty()
          ? "the input's partitioning is not known (no --partitioned-by): partial "
            "aggregates by (" +
                (listed.empty() ? std::string("()") : listed) +
                ") go through the repartition topic, so each key is finalized by one process"
          : "the input is partitioned by " + std::string(partitioned_by) + ", not a group key (" +
                listed +
                "): partial aggregates go through the "
                "repartition topic, so each key is finalized by one process";
  return plan;
}

std::string_view OutputModeName(OutputMode m) {
  switch (m) {
    case OutputMode::kAppend:
      return "append";
    case OutputMode::kUpdate:
      return "update";
    case OutputMode::kComplete:
      return "complete";
  }
  return "?";
}

Result<OutputMode> ParseOutputMode(std::string_view text) {
  if (text == "append") return OutputMode::kAppend;
  if (text == "update") return OutputMode::kUpdate;
  if (text == "complete") return OutputMode::kComplete;
  return Status::InvalidArgument("unknown output mode '" + std::string(text) +
                                 "': use append, update or complete");
}

Result<OutputMode> ResolveOutputMode(const BoundQuery& q, std::optional<OutputMode> requested) {
  OutputMode mode;
  if (requested) {
    mode = *requested;
  } else if (!q.aggregating || q.window) {
    mode = OutputMode::kAppend;
  } else {
    mode = OutputMode::kComplete;
  }
  if (q.aggregating && !q.window && mode == OutputMode::kAppend) {
    return Status::InvalidArgument(
        "append output mode is not supported for an aggregation without a window: its rows "
        "never become final.\nhint: use --output-mode complete (the whole table each trigger) "
        "or update, or group by window(timestamp, '10 seconds')");
  }
  if (!q.aggregating && mode == OutputMode::kComplete) {
    return Status::InvalidArgument(
        "complete output mode needs an aggregation (GROUP BY or count/sum/...): a plain "
        "projection has no result table to repeat.\nhint: use --output-mode append");
  }
  if (!q.order_by.empty() && mode != OutputMode::kComplete) {
    return Status::InvalidArgument(
        "ORDER BY is only supported on an aggregation in complete output mode (as in Spark): "
        "other modes emit rows incrementally.\nhint: add --output-mode complete, or drop ORDER BY");
  }
  return mode;
}

PhysicalPlan BuildPlan(const BoundQuery& q, const PlanContext& ctx) {
  PhysicalPlan plan;
  const auto in_names = InputNames(q);
  auto add = [&](std::string name, std::string detail, std::string par) {
    plan.stages.push_back(
        {static_cast<int>(plan.stages.size()), std::move(name), std::move(detail), std::move(par)});
  };
  add("Scan", ctx.source + " (batches of up to 10000 records per partition)", "source");
  std::string fields;
  for (const auto& f : q.input_fields) {
    if (!fields.empty()) fields += ", ";
    fields += f.name + " " + std::string(TypeName(f.type));
  }
  add("ParseJson", "reads only [" + fields + "]; malformed records are counted and skipped",
      fmt::format("per batch, {} thread(s)", ctx.threads));
  if (q.window) {
    add("Watermark",
        fmt::format("event time {}, delay {}; per partition, query = min over active",
                    in_names[static_cast<size_t>(q.event_time_slot)], Ms(ctx.watermark_ms)),
        "driver, in batch order");
  }
  if (q.where) add("Filter", ExprToSql(*q.where, in_names), "per batch");
  if (!q.aggregating) {
    std::string cols;
    for (size_t i = 0; i < q.select.size() - q.hidden_columns; ++i) {
      if (!cols.empty()) cols += ", ";
      cols += ExprToSql(*q.select[i].expr, in_names) + " AS " + q.select[i].name;
    }
    add("Project", cols, "per batch");
  } else {
    std::string keys;
    for (size_t i = 0; i < q.group_keys.size(); ++i) {
      if (!keys.empty()) keys += ", ";
      keys += ExprToSql(*q.group_keys[i], in_names);
    }
    std::string aggs;
    for (const auto& a : q.aggregates) {
      if (!aggs.empty()) aggs += ", ";
      aggs += a.text;
    }
    if (q.window) {
      const auto& w = *q.window;
      add("WindowAssign",
          w.tumbling() ? fmt::format("tumbling {}", Ms(w.size_ms))
                       : fmt::format("sliding {} every {}", Ms(w.size_ms), Ms(w.slide_ms)),
          "per batch");
    }
    add("Exchange",
        fmt::format("hash({}) into {} key range(s)", keys.empty() ? "()" : keys, ctx.threads),
        "per batch");
    add("PartialAggregate",
        fmt::format("keys [{}], aggregates [{}]{}", keys, aggs,
                    q.window && ctx.mode != OutputMode::kComplete ? "; drops rows whose window "
                                                                    "ended at the watermark (late)"
                                                                  : ""),
        "per key range");
    std::string emit;
    switch (ctx.mode) {
      case OutputMode::kAppend:
        emit = "append: each window once, when the watermark passes its end";
        break;
      case OutputMode::kUpdate:
        emit = "update: rows changed since the previous trigger";
        break;
      case OutputMode::kComplete:
        emit = "complete: the whole table every trigger";
        break;
    }
    const auto agg_names = AggregateRowNames(q);
    if (q.having) emit += "; HAVING " + ExprToSql(*q.having, agg_names);
    if (!ctx.group_id.empty()) {
      const GroupPlan gp = ChooseGroupPlan(q, ctx.partitioned_by);
      add("Repartition",
          gp.exchange ? "Kafka topic " + ctx.group_id + "-…-repartition: " + gp.reason : gp.reason,
          gp.exchange ? "per input partition, at each trigger" : "none");
    }
    add("FinalAggregate", emit, "driver, at each trigger");
    std::string cols;
    for (size_t i = 0; i < q.select.size() - q.hidden_columns; ++i) {
      if (!cols.empty()) cols += ", ";
      cols += ExprToSql(*q.select[i].expr, agg_names) + " AS " + q.select[i].name;
    }
    add("Project", cols, "driver");
    // State estimate: groups per window times windows kept open.
    if (q.window) {
      const auto& w = *q.window;
      const int64_t open = (ctx.watermark_ms + w.size_ms) / w.slide_ms + 1;
      plan.warnings.push_back(fmt::format(
          "state: about {} open window(s) x distinct keys per window; evicted as the watermark "
          "passes{}",
          open,
          ctx.mode == OutputMode::kComplete ? " -- except in complete mode, which keeps every "
                                              "window forever (unbounded)"
                                            : ""));
    } else {
      plan.warnings.push_back(
          "state: one row per distinct key, never evicted (no window): it grows with the "
          "number of distinct keys (unbounded for keys such as user ids or IPs over time)");
    }
  }
  if (!q.order_by.empty() || q.limit) {
    std::string s;
    for (const auto& k : q.order_by) {
      if (!s.empty()) s += ", ";
      s += q.select[static_cast<size_t>(k.column)].name + (k.descending ? " DESC" : " ASC");
    }
    add("Sort",
        (s.empty() ? std::string("natural order") : s) +
            (q.limit ? fmt::format(", LIMIT {}", *q.limit) : std::string()),
        "driver");
  }
  add("Sink",
      fmt::format("{} ({} mode, trigger {})", ctx.sink, OutputModeName(ctx.mode),
                  ctx.trigger_ms == 0 ? std::string("every round") : Ms(ctx.trigger_ms)),
      "driver");
  return plan;
}

std::string ExplainText(const PhysicalPlan& plan) {
  std::string out = "== Physical Plan ==\n";
  for (size_t i = plan.stages.size(); i-- > 0;) {
    const auto& s = plan.stages[i];
    const size_t depth = plan.stages.size() - 1 - i;
    out += std::string(depth * 2, ' ') + (depth ? "+- " : "") + s.name + " [" + s.parallelism +
           "]\n" + std::string(depth * 2 + (depth ? 3 : 0), ' ') + "   " + s.detail + "\n";
  }
  if (!plan.warnings.empty()) {
    out += "\n== Notes ==\n";
    for (const auto& w : plan.warnings) out += "- " + w + "\n";
  }
  return out;
}

}  // namespace sluice
