#include "cli/query_flags.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/duration.h"
#include "plan/physical_plan.h"
#include "sql/binder.h"
#include "sql/schema_parser.h"

namespace sluice::cli {

int Fail(const Status& st) {
  // A closed output pipe ends the run quietly, as `cmd | head` does for other Unix tools.
  if (st.code() == StatusCode::kBrokenPipe) return st.exit_code();
  std::fprintf(stderr, "%s%s\n",
               st.message().rfind("error:", 0) == 0 ? "" : "error: ", st.message().c_str());
  return st.exit_code();
}

void AddQueryFlags(CLI::App& cmd, QueryFlags& f) {
  cmd.add_option("query", f.sql, "the SQL query (or use --query-file)");
  cmd.add_option("--query-file,-f", f.query_file, "read the SQL query from this file");
  cmd.add_option("--source", f.source,
                 "generator | file:PATH | file:- (stdin) | kafka://HOST:PORT[,HOST:PORT]/TOPIC")
      ->capture_default_str();
  cmd.add_option("--watermark", f.watermark,
                 "how long to wait for late events: watermark = max event time - this")
      ->capture_default_str();
  cmd.add_option("--trigger", f.trigger,
                 "how often to emit results (e.g. 1s, 10 seconds; 0 = as soon as possible: after "
                 "every round of up to 16 batches of 10,000 records), or available-now (read what "
                 "is there, close all windows, exit)")
      ->capture_default_str();
  cmd.add_option("--output-mode", f.output_mode,
                 "append | update | complete (default: append for windowed aggregations and "
                 "projections, complete for other aggregations)");
  cmd.add_option("--threads", f.threads, "worker threads (default: one per core)");
  cmd.add_option("--event-time", f.event_time, "the field holding event time in epoch ms")
      ->capture_default_str();
  cmd.add_option("--schema", f.schema,
                 "record fields as 'name TYPE, ...' (default: the lab's log record)");
  cmd.add_option("--timezone", f.timezone, "time zone for printed times (IANA name)")
      ->capture_default_str();
  cmd.add_option("--partitioned-by", f.partitioned_by,
                 "consumer group: the record field the Kafka input is keyed by (as `sluice gen "
                 "--key user_id` writes it); when it is a GROUP BY key the processes need no "
                 "exchange of partial aggregates");
}

Result<PreparedQuery> PrepareQuery(const QueryFlags& f) {
  std::string sql = f.sql;
  if (!f.query_file.empty()) {
    if (!sql.empty()) {
      return Status::InvalidArgument(
          "give the query either as an argument or with --query-file, not both");
    }
    std::ifstream in(f.query_file);
    if (!in) return Status::InvalidArgument("cannot read query file '" + f.query_file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    sql = ss.str();
  }
  if (sql.empty()) {
    return Status::InvalidArgument(
        "no query given.\nhint: sluice run \"SELECT user_id, count(*) FROM logs GROUP BY "
        "user_id\" (or --query-file F)");
  }
  PreparedQuery pq;
  pq.sql = sql;
  BindOptions bo;
  if (!f.schema.empty()) {
    auto schema = ParseSchema(f.schema);
    if (!schema.ok()) return Status::InvalidArgument("--schema: " + schema.status().message());
    bo.schema = std::move(schema).value();
  }
  bo.event_time_field = f.event_time;
  auto bound = CompileQuery(sql, bo);
  if (!bound.ok()) return bound.status();
  pq.query = std::move(bound).value();

  std::optional<OutputMode> requested;
  if (!f.output_mode.empty()) {
    auto m = ParseOutputMode(f.output_mode);
    if (!m.ok()) return Status::InvalidArgument("--output-mode: " + m.status().message());
    requested = *m;
  }
  auto mode = ResolveOutputMode(pq.query, requested);
  if (!mode.ok()) return mode.status();
  pq.mode = *mode;

  auto wm = ParseDurationMs(f.watermark);
  if (!wm.ok()) return Status::InvalidArgument("--watermark: " + wm.status().message());
  pq.watermark_ms = *wm;
  if (f.trigger == "available-now" || f.trigger == "availableNow" || f.trigger == "once") {
    pq.available_now = true;
    pq.trigger_ms = 1000;
  } else {
    auto tr = ParseDurationMs(f.trigger);
    if (!tr.ok()) return Status::InvalidArgument("--trigger: " + tr.status().message());
    pq.trigger_ms = *tr;
  }
  if (f.threads < 0 || f.threads > 256) {
    return Status::InvalidArgument("--threads must be between 1 and 256");
  }
  pq.threads = f.threads > 0 ? f.threads
                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto tz = TimeZone::Named(f.timezone);
  if (!tz.ok()) return Status::InvalidArgument("--timezone: " + tz.status().message());
  pq.time_zone = *tz;
  if (!f.partitioned_by.empty()) {
    bool known = false;
    for (const auto& field : LabSchema().fields) known = known || field.name == f.partitioned_by;
    for (const auto& field : pq.query.input_fields) known = known || field.name == f.partitioned_by;
    if (!known && f.schema.empty()) {
      return Status::InvalidArgument("--partitioned-by: '" + f.partitioned_by +
                                     "' is not a field of the record");
    }
  }
  return pq;
}

}  // namespace sluice::cli
