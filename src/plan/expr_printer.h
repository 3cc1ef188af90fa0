// SQL text of a bound expression, for EXPLAIN. Column slots are named by the caller.
#pragma once

#include <string>
#include <vector>

#include "plan/expr.h"

namespace sluice {

std::string ExprToSql(const Expr& e, const std::vector<std::string>& slot_names);

}  // namespace sluice
