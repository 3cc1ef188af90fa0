// Parser: tokens to a SelectStatement, by recursive descent. Precedence, loosest first:
// OR, AND, NOT, comparisons/IS/IN/LIKE/BETWEEN, + - ||, * / %, unary -.
#pragma once

#include <optional>
#include <string_view>

#include "common/status.h"
#include "sql/ast.h"

namespace sluice {

// Parses one SELECT statement (an optional trailing ';'; comments anywhere). Errors are SqlError
// messages: what, line and column with a caret, and a hint (did you mean ...?, not supported: ...).
[[nodiscard]] Result<SelectStatement> ParseSelect(std::string_view sql);

// Parses one expression alone (tests, and future --filter style flags).
[[nodiscard]] Result<AstPtr> ParseExpression(std::string_view sql);

// SQL type names: BIGINT/INT/INTEGER/LONG/SMALLINT/TINYINT, DOUBLE/FLOAT/REAL, STRING/VARCHAR/TEXT,
// BOOLEAN/BOOL, TIMESTAMP. Case-insensitive.
std::optional<Type> ParseTypeName(std::string_view name);

}  // namespace sluice
