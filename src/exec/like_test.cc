#include "exec/like.h"

#include <gtest/gtest.h>

#include "sql/like_pattern.h"

namespace sluice {
namespace {

// Matches through the binder's prepared fast path and through the general matcher: both must agree.
bool Like(std::string_view s, std::string_view pattern, bool ci = false) {
  Expr e;
  e.kind = ExprKind::kLike;
  e.literal.type = Type::kString;
  e.literal.s = std::string(pattern);
  e.case_insensitive = ci;
  PrepareLike(e);
  bool fast = MatchLike(e, s);
  bool general = LikeMatch(s, pattern, ci);
  EXPECT_EQ(fast, general) << "'" << s << "' LIKE '" << pattern << "'";
  return fast;
}

TEST(Like, PercentMatchesAnyRunAnywhere) {
  EXPECT_TRUE(Like("app crash detected", "%crash%"));
  EXPECT_TRUE(Like("crash", "%crash%"));
  EXPECT_TRUE(Like("crash", "crash%"));
  EXPECT_TRUE(Like("crash", "%crash"));
  EXPECT_FALSE(Like("app cras detected", "%crash%"));
  EXPECT_TRUE(Like("abcde", "a%c%e"));
  EXPECT_FALSE(Like("abcdf", "a%c%e"));
  EXPECT_TRUE(Like("", "%"));
  EXPECT_TRUE(Like("anything", "%%"));
  EXPECT_FALSE(Like("", "_"));
  EXPECT_TRUE(Like("", ""));
  EXPECT_FALSE(Like("a", ""));
}

TEST(Like, PrefixSuffixExact) {
  EXPECT_TRUE(Like("user_1038", "user%"));
  EXPECT_FALSE(Like("xuser_1038", "user%"));
  EXPECT_TRUE(Like("10.0.0.29", "%.29"));
  EXPECT_FALSE(Like("10.0.0.290", "%.29"));
  EXPECT_TRUE(Like("High", "High"));
  EXPECT_FALSE(Like("Highs", "High"));
}

TEST(Like, UnderscoreIsOneUtf8Character) {
  EXPECT_TRUE(Like("café", "caf_"));
  EXPECT_FALSE(Like("café", "caf__"));
  EXPECT_TRUE(Like("日本語", "_本_"));
  EXPECT_TRUE(Like("a日b", "a_b"));
  EXPECT_TRUE(Like("x日本語y", "%_語_"));
  EXPECT_FALSE(Like("ab", "a_b"));
}

TEST(Like, BackslashEscapesWildcardsInThePattern) {
  EXPECT_TRUE(Like("50%", "50\\%"));
  EXPECT_FALSE(Like("500", "50\\%"));
  EXPECT_TRUE(Like("a_b", "a\\_b"));
  EXPECT_FALSE(Like("axb", "a\\_b"));
  EXPECT_TRUE(Like("rate 50% off", "%50\\%%"));
}

TEST(Like, BackslashesInDataAreOrdinary) {
  EXPECT_TRUE(Like("C:\\temp\\crash.log", "%crash%"));
  EXPECT_TRUE(Like("\\u0063rash", "\\\\u0063%"));
}

TEST(Like, CaseInsensitiveFoldsAsciiOnly) {
  EXPECT_TRUE(Like("App CRASH detected", "%crash%", true));
  EXPECT_TRUE(Like("CrAsH", "crash", true));
  EXPECT_TRUE(Like("CRASH here", "Crash%", true));
  EXPECT_TRUE(Like("the end CRASH", "%CRASH", true));
  EXPECT_FALSE(Like("ÉCOLE", "école", true));  // non-ASCII letters are not folded
  EXPECT_TRUE(Like("a1B2", "A_b_", true));
}

TEST(ContainsIgnoreAsciiCase, FindsMatchesAtEveryOffset) {
  // Exercises the 8-byte scan and the tail loop at every alignment.
  for (size_t pad = 0; pad < 24; ++pad) {
    std::string s(pad, 'x');
    s += "CrAsH";
    EXPECT_TRUE(ContainsIgnoreAsciiCase(s, "crash")) << pad;
    s += std::string(pad, 'y');
    EXPECT_TRUE(ContainsIgnoreAsciiCase(s, "crash")) << pad;
    s[pad + 4] = 'x';
    EXPECT_FALSE(ContainsIgnoreAsciiCase(s, "crash")) << pad;
  }
}

TEST(ContainsIgnoreAsciiCase, ManyFalseStartsAndNonLetterFirstByte) {
  EXPECT_TRUE(ContainsIgnoreAsciiCase("cccccccccccccccrash", "crash"));
  EXPECT_FALSE(ContainsIgnoreAsciiCase("ccccccccccccccccras", "crash"));
  EXPECT_TRUE(ContainsIgnoreAsciiCase("error 500 in app", "500 in"));
  EXPECT_FALSE(ContainsIgnoreAsciiCase("error @00", "`00"));  // '@' | 0x20 == '`': must not match
  EXPECT_TRUE(ContainsIgnoreAsciiCase("x", ""));
  EXPECT_FALSE(ContainsIgnoreAsciiCase("cr", "crash"));
}

TEST(LikePattern, ClassifiesShapes) {
  EXPECT_EQ(AnalyzeLikePattern("%crash%", false).shape, LikeShape::kContains);
  EXPECT_EQ(AnalyzeLikePattern("%%crash%%", false).shape, LikeShape::kContains);
  EXPECT_EQ(AnalyzeLikePattern("crash%", false).shape, LikeShape::kPrefix);
  EXPECT_EQ(AnalyzeLikePattern("%crash", false).shape, LikeShape::kSuffix);
  EXPECT_EQ(AnalyzeLikePattern("crash", false).shape, LikeShape::kExact);
  EXPECT_EQ(AnalyzeLikePattern("%", false).shape, LikeShape::kAny);
  EXPECT_EQ(AnalyzeLikePattern("a%b", false).shape, LikeShape::kGeneral);
  EXPECT_EQ(AnalyzeLikePattern("%a_b%", false).shape, LikeShape::kGeneral);
  LikeAnalysis a = AnalyzeLikePattern("%CRASH\\%%", true);
  EXPECT_EQ(a.shape, LikeShape::kContains);
  EXPECT_EQ(a.needle, "crash%");
}

}  // namespace
}  // namespace sluice
