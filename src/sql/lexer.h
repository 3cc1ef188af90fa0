// Lexer: SQL text to tokens. Skips whitespace, `-- line` and `/* block */` comments.
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "sql/token.h"

namespace sluice {

// The tokens of `sql`, ending with one kEnd token. Tokens borrow from `sql`.
// Errors (unterminated string or comment, a stray character) are SqlError messages.
[[nodiscard]] Result<std::vector<Token>> Tokenize(std::string_view sql);

}  // namespace sluice
