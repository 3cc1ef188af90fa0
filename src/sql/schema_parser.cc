#include "sql/schema_parser.h"

#include "sql/lexer.h"
#include "sql/parser.h"

namespace sluice {

Result<Schema> ParseSchema(std::string_view text) {
  auto tokens_or = Tokenize(text);
  if (!tokens_or.ok()) return tokens_or.status();
  const std::vector<Token>& tokens = tokens_or.value();
  constexpr std::string_view kHint =
      "write name TYPE pairs, e.g. \"timestamp BIGINT, status STRING\"";
  Schema schema;
  size_t i = 0;
  if (tokens[0].kind == TokenKind::kEnd)
    return SqlError(text, tokens[0].span, "the schema is empty", kHint);
  while (true) {
    const Token& name = tokens[i];
    if (name.kind != TokenKind::kIdent && name.kind != TokenKind::kQuotedIdent) {
      return SqlError(text, name.span,
                      name.kind == TokenKind::kEnd
                          ? "expected a field name at the end"
                          : "expected a field name, found '" + std::string(name.text) + "'",
                      kHint);
    }
    std::string field_name = name.kind == TokenKind::kIdent ? std::string(name.text) : name.value;
    if (schema.Find(field_name) != nullptr) {
      return SqlError(text, name.span, "field '" + field_name + "' is declared twice");
    }
    const Token& type = tokens[++i];
    if (type.kind != TokenKind::kIdent) {
      return SqlError(text, type.span, "expected a type after '" + field_name + "'",
                      "types are BIGINT, DOUBLE, STRING, BOOLEAN");
    }
    std::optional<Type> t = ParseTypeName(type.text);
    if (t == Type::kTimestamp) {
      return SqlError(text, type.span, "a field cannot be a TIMESTAMP",
                      "event time is a BIGINT of epoch milliseconds: declare it BIGINT");
    }
    if (!t) {
      std::string_view close = ClosestMatch(
          type.text, {"BIGINT", "DOUBLE", "STRING", "BOOLEAN", "INT", "LONG", "FLOAT", "VARCHAR"});
      return SqlError(text, type.span, "unknown type '" + std::string(type.text) + "'",
                      close.empty() ? "types are BIGINT, DOUBLE, STRING, BOOLEAN"
                                    : "did you mean " + std::string(close) + "?");
    }
    ++i;
    if (tokens[i].kind == TokenKind::kLParen) {  // VARCHAR(64)
      while (tokens[i].kind != TokenKind::kRParen && tokens[i].kind != TokenKind::kEnd) ++i;
      if (tokens[i].kind == TokenKind::kRParen) ++i;
    }
    schema.fields.push_back(Field{field_name, *t});
    if (tokens[i].kind == TokenKind::kEnd) break;
    if (tokens[i].kind != TokenKind::kComma) {
      return SqlError(text, tokens[i].span,
                      "expected ',' between fields, found '" + std::string(tokens[i].text) + "'",
                      kHint);
    }
    ++i;
  }
  return schema;
}

}  // namespace sluice
