// LIKE pattern analysis: the binder classifies each constant pattern once so the evaluator can
// use a plain comparison or substring search for the common shapes ('abc%', '%abc', '%abc%').
#pragma once

#include <string>
#include <string_view>

#include "plan/expr.h"

namespace sluice {

struct LikeAnalysis {
  LikeShape shape = LikeShape::kGeneral;
  std::string needle;  // the literal text, unescaped; ASCII-lowercased when case_insensitive
};

// Pattern syntax as in Spark: % any run of characters, _ one character, \ escapes the next one.
LikeAnalysis AnalyzeLikePattern(std::string_view pattern, bool case_insensitive);

// Sets e.like_shape and e.like_needle from e.literal (the pattern) and e.case_insensitive.
void PrepareLike(Expr& e);

// The pattern that matches `text` literally (escapes % _ \).
std::string EscapeLikeLiteral(std::string_view text);

}  // namespace sluice
