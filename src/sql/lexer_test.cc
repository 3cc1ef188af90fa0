#include "sql/lexer.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

std::vector<Token> Lex(std::string_view sql) {
  auto r = Tokenize(sql);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : std::vector<Token>{};
}

TEST(Lexer, SplitsWordsNumbersStringsAndOperators) {
  auto t = Lex("SELECT a1, 42, 1.5, 'x' FROM t WHERE b >= 2 AND c <> 3 AND d != 4 AND e == 5 || f");
  std::vector<TokenKind> kinds;
  for (const Token& k : t) kinds.push_back(k.kind);
  std::vector<TokenKind> want = {
      TokenKind::kIdent, TokenKind::kIdent,   TokenKind::kComma,  TokenKind::kInteger,
      TokenKind::kComma, TokenKind::kDecimal, TokenKind::kComma,  TokenKind::kString,
      TokenKind::kIdent, TokenKind::kIdent,   TokenKind::kIdent,  TokenKind::kIdent,
      TokenKind::kGe,    TokenKind::kInteger, TokenKind::kIdent,  TokenKind::kIdent,
      TokenKind::kNe,    TokenKind::kInteger, TokenKind::kIdent,  TokenKind::kIdent,
      TokenKind::kNe,    TokenKind::kInteger, TokenKind::kIdent,  TokenKind::kIdent,
      TokenKind::kEq,    TokenKind::kInteger, TokenKind::kConcat, TokenKind::kIdent,
      TokenKind::kEnd};
  EXPECT_EQ(kinds, want);
}

TEST(Lexer, RecordsByteSpans) {
  auto t = Lex("SELECT  user");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].span.begin, 8u);
  EXPECT_EQ(t[1].span.end, 12u);
  EXPECT_EQ(t[1].text, "user");
}

TEST(Lexer, DoubledQuoteInsideStringIsOneQuote) {
  auto t = Lex("'it''s'");
  ASSERT_EQ(t[0].kind, TokenKind::kString);
  EXPECT_EQ(t[0].value, "it's");
}

TEST(Lexer, QuotedIdentifiersAreNotKeywords) {
  auto t = Lex("`select` \"from\"");
  EXPECT_EQ(t[0].kind, TokenKind::kQuotedIdent);
  EXPECT_EQ(t[0].value, "select");
  EXPECT_FALSE(t[0].Is("select"));
  EXPECT_EQ(t[1].value, "from");
}

TEST(Lexer, SkipsLineAndBlockComments) {
  auto t = Lex("a -- comment ; b\n/* block\n c */ d");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].text, "a");
  EXPECT_EQ(t[1].text, "d");
}

TEST(Lexer, KeywordsMatchCaseInsensitively) {
  auto t = Lex("sElEcT");
  EXPECT_TRUE(t[0].Is("SELECT"));
}

TEST(Lexer, UnterminatedStringPointsAtTheQuote) {
  auto r = Tokenize("SELECT 'abc FROM logs");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unterminated string at line 1, column 8"), std::string::npos)
      << r.status().message();
}

TEST(Lexer, UnterminatedCommentIsAnError) {
  auto r = Tokenize("SELECT a /* never closed");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unterminated comment"), std::string::npos);
}

TEST(Lexer, StrayCharacterIsAnError) {
  auto r = Tokenize("SELECT a # b");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unexpected character '#' at line 1, column 10"),
            std::string::npos)
      << r.status().message();
}

TEST(Lexer, ScientificNotationIsDecimal) {
  auto t = Lex("1e3 .5");
  EXPECT_EQ(t[0].kind, TokenKind::kDecimal);
  EXPECT_EQ(t[1].kind, TokenKind::kDecimal);
}

}  // namespace
}  // namespace sluice
