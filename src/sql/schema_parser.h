// Schema text for --schema: "name TYPE, name TYPE, ...".
#pragma once

#include <string_view>

#include "common/status.h"
#include "plan/query.h"

namespace sluice {

// Types: BIGINT/INT/INTEGER/LONG, DOUBLE/FLOAT, STRING/VARCHAR, BOOLEAN/BOOL (case-insensitive).
// Names may be `quoted`. Errors are InvalidArgument with column and caret, like SQL errors.
[[nodiscard]] Result<Schema> ParseSchema(std::string_view text);

}  // namespace sluice
