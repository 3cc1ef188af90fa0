// Flags shared by `sluice run` and `sluice explain`: the query, its source, and how it runs.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/time_format.h"
#include "plan/query.h"
#include "sink/sink.h"

namespace sluice::cli {

struct QueryFlags {
  std::string sql;
  std::string query_file;
  std::string source = "generator";
  std::string watermark = "10s";
  std::string trigger = "1s";
  std::string output_mode;
  int threads = 0;  // 0: one per core
  std::string event_time = "timestamp";
  std::string schema;
  std::string timezone = "UTC";
  std::string partitioned_by;  // the field the Kafka input's messages are keyed by
};

struct PreparedQuery {
  std::string sql;
  BoundQuery query;
  OutputMode mode = OutputMode::kAppend;
  int threads = 1;
  int64_t watermark_ms = 0;
  int64_t trigger_ms = 0;
  bool available_now = false;
  TimeZone time_zone = TimeZone::Utc();
};

void AddQueryFlags(CLI::App& cmd, QueryFlags& flags);

// Prints "error: MESSAGE" on stderr (once, if the message already starts so) and returns the
// exit code the status calls for (2 for the user's mistakes, 1 otherwise).
int Fail(const Status& st);
// Reads, parses and binds the query and checks every flag; InvalidArgument says what is wrong.
Result<PreparedQuery> PrepareQuery(const QueryFlags& flags);

}  // namespace sluice::cli
