#include "sql/lexer.h"

namespace sluice {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) {
  // Bytes >= 0x80 start UTF-8 letters: allowed in identifiers as Spark does.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

SourceSpan Span(size_t begin, size_t end) {
  return {static_cast<uint32_t>(begin), static_cast<uint32_t>(end)};
}

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view sql) {
  std::vector<Token> tokens;
  size_t i = 0;
  const size_t n = sql.size();
  auto add = [&](TokenKind kind, size_t begin, size_t end) {
    Token t;
    t.kind = kind;
    t.text = sql.substr(begin, end - begin);
    t.span = Span(begin, end);
    tokens.push_back(std::move(t));
  };
  while (i < n) {
    char c = sql[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      size_t close = sql.find("*/", i + 2);
      if (close == std::string_view::npos) {
        return SqlError(sql, Span(i, i + 2), "unterminated comment", "close it with */");
      }
      i = close + 2;
      continue;
    }
    size_t begin = i;
    if (IsIdentStart(c)) {
      while (i < n && IsIdentChar(sql[i])) ++i;
      add(TokenKind::kIdent, begin, i);
      continue;
    }
    if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(sql[i + 1]))) {
      bool decimal = false;
      while (i < n && IsDigit(sql[i])) ++i;
      if (i < n && sql[i] == '.') {
        decimal = true;
        ++i;
        while (i < n && IsDigit(sql[i])) ++i;
      }
      if (i < n && (sql[i] == 'e' || sql[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (sql[j] == '+' || sql[j] == '-')) ++j;
        if (j < n && IsDigit(sql[j])) {
          decimal = true;
          i = j;
          while (i < n && IsDigit(sql[i])) ++i;
        }
      }
      add(decimal ? TokenKind::kDecimal : TokenKind::kInteger, begin, i);
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      // Strings and quoted identifiers: a doubled quote inside stands for one.
      std::string value;
      ++i;
      bool closed = false;
      while (i < n) {
        if (sql[i] == c) {
          if (i + 1 < n && sql[i + 1] == c) {
            value.push_back(c);
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        value.push_back(sql[i++]);
      }
      if (!closed) {
        bool is_string = c == '\'';
        return SqlError(sql, Span(begin, begin + 1),
                        is_string ? "unterminated string" : "unterminated quoted identifier",
                        is_string ? "close the string with ' (write '' for a quote inside it)"
                                  : std::string("close the name with ") + c);
      }
      add(c == '\'' ? TokenKind::kString : TokenKind::kQuotedIdent, begin, i);
      tokens.back().value = std::move(value);
      continue;
    }
    auto two = [&](char next) { return i + 1 < n && sql[i + 1] == next; };
    TokenKind kind;
    size_t len = 1;
    switch (c) {
      case ',':
        kind = TokenKind::kComma;
        break;
      case '.':
        kind = TokenKind::kDot;
        break;
      case '(':
        kind = TokenKind::kLParen;
        break;
      case ')':
        kind = TokenKind::kRParen;
        break;
      case ';':
        kind = TokenKind::kSemicolon;
        break;
      case '*':
        kind = TokenKind::kStar;
        break;
      case '+':
        kind = TokenKind::kPlus;
        break;
      case '-':
        kind = TokenKind::kMinus;
        break;
      case '/':
        kind = TokenKind::kSlash;
        break;
      case '%':
        kind = TokenKind::kPercent;
        break;
      case '=':
        kind = TokenKind::kEq;
        if (two('=')) len = 2;
        break;
      case '<':
        if (two('>')) {
          kind = TokenKind::kNe;
          len = 2;
        } else if (two('=')) {
          kind = TokenKind::kLe;
          len = 2;
        } else
          kind = TokenKind::kLt;
        break;
      case '>':
        if (two('=')) {
          kind = TokenKind::kGe;
          len = 2;
        } else
          kind = TokenKind::kGt;
        break;
      case '!':
        if (!two('='))
          return SqlError(sql, Span(i, i + 1), "unexpected character '!'",
                          "write NOT, or != for not equal");
        kind = TokenKind::kNe;
        len = 2;
        break;
      case '|':
        if (!two('|'))
          return SqlError(sql, Span(i, i + 1), "unexpected character '|'",
                          "write OR, or || to concatenate strings");
        kind = TokenKind::kConcat;
        len = 2;
        break;
      default: {
        size_t end = i + 1;
        while (end < n && (static_cast<unsigned char>(sql[end]) & 0xC0) == 0x80) ++end;
        return SqlError(sql, Span(i, end),
                        "unexpected character '" + std::string(sql.substr(i, end - i)) + "'");
      }
    }
    i += len;
    add(kind, begin, i);
  }
  add(TokenKind::kEnd, n, n);
  return tokens;
}

}  // namespace sluice
