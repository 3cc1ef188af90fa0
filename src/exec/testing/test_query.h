// Queries for the exec module's tests, bound as the CLI binds them.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "sql/binder.h"

namespace sluice {

// `sql` bound over `schema` with `event_time` as the event-time field. A query that does not
// bind fails the test and gives null.
inline std::unique_ptr<BoundQuery> CompileForTest(std::string_view sql, Schema schema,
                                                  std::string event_time) {
  BindOptions options;
  options.schema = std::move(schema);
  options.event_time_field = std::move(event_time);
  auto r = CompileQuery(sql, options);
  EXPECT_TRUE(r.ok()) << sql << "\n" << r.status().message();
  if (!r.ok()) return nullptr;
  return std::make_unique<BoundQuery>(std::move(r).value());
}

}  // namespace sluice
