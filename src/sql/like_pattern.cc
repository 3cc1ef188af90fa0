#include "sql/like_pattern.h"

#include "common/ascii.h"

namespace sluice {

LikeAnalysis AnalyzeLikePattern(std::string_view pattern, bool case_insensitive) {
  LikeAnalysis out;
  // Split into: leading %s, a literal middle, trailing %s. Anything else is general.
  size_t i = 0;
  bool leading = false, trailing = false;
  while (i < pattern.size() && pattern[i] == '%') {
    leading = true;
    ++i;
  }
  std::string literal;
  for (; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      literal.push_back(pattern[++i]);
    } else if (c == '%') {
      size_t j = i;
      while (j < pattern.size() && pattern[j] == '%') ++j;
      if (j != pattern.size()) return out;  // a % in the middle
      trailing = true;
      break;
    } else if (c == '_') {
      return out;
    } else {
      literal.push_back(c);
    }
  }
  if (case_insensitive) literal = LowerAscii(literal);
  if ((leading || trailing) && literal.empty())
    out.shape = LikeShape::kAny;
  else if (leading && trailing)
    out.shape = LikeShape::kContains;
  else if (leading)
    out.shape = LikeShape::kSuffix;
  else if (trailing)
    out.shape = LikeShape::kPrefix;
  else
    out.shape = LikeShape::kExact;
  out.needle = std::move(literal);
  return out;
}

void PrepareLike(Expr& e) {
  LikeAnalysis a = AnalyzeLikePattern(e.literal.s, e.case_insensitive);
  e.like_shape = a.shape;
  e.like_needle = std::move(a.needle);
}

std::string EscapeLikeLiteral(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace sluice
