// Token: one lexical unit of a SQL statement, with where it came from for error messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sql/sql_error.h"

namespace sluice {

enum class TokenKind : uint8_t {
  kIdent,  // unquoted word: a keyword, function, column or alias (keywords are not reserved by the
           // lexer)
  kQuotedIdent,  // `name` or "name": never a keyword
  kInteger,      // 42
  kDecimal,      // 1.5, .5, 1e3
  kString,       // 'text' ('' inside is one quote)
  kComma,
  kDot,
  kLParen,
  kRParen,
  kSemicolon,
  kStar,
  kPlus,
  kMinus,
  kSlash,
  kPercent,
  kConcat,  // * + - / % ||
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,  // = or ==, <> or !=, < <= > >=
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;  // the source slice (borrowed from the SQL text)
  std::string value;      // kString and kQuotedIdent: the content with quotes undone
  SourceSpan span;

  // An unquoted word equal to `keyword`, ASCII case-insensitive.
  bool Is(std::string_view keyword) const {
    return kind == TokenKind::kIdent && EqualsIgnoreCase(text, keyword);
  }
};

}  // namespace sluice
