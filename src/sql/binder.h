// Binder: SQL text to a BoundQuery (names resolved, types checked, slots laid out), the
// contract the planner and the engine run. Also the place of the few logical rewrites that
// make the lab's filters cheap (see docs/sql.md, "What the binder rewrites").
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "plan/query.h"

namespace sluice {

struct BindOptions {
  Schema schema = LabSchema();
  // The field window(...) must be given: a BIGINT of epoch milliseconds (--event-time NAME).
  std::string event_time_field = "timestamp";
};

// Parses and binds one SQL statement (an optional trailing ';' and `--`/`/* */` comments are
// allowed). Every error is InvalidArgument with line, column, a caret under the offending text
// and a hint (see sql_error.h).
[[nodiscard]] Result<BoundQuery> CompileQuery(std::string_view sql, const BindOptions& options);

}  // namespace sluice
