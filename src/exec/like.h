// LIKE and ILIKE matching. The binder classifies each pattern once (Expr::like_shape); the common
// shapes ('%crash%', 'abc%', '%abc', 'abc') then run as a plain comparison or substring search
// with no per-record setup, and only the rest use the general matcher.
#pragma once

#include <string_view>

#include "plan/expr.h"

namespace sluice {

// Full LIKE semantics: % any run of characters, _ exactly one UTF-8 character, \ escapes the
// next pattern character. case_insensitive folds ASCII letters only (on both sides).
bool LikeMatch(std::string_view s, std::string_view pattern, bool case_insensitive);

// Whether `haystack` contains `lower_needle` ignoring ASCII case. lower_needle must have no
// upper-case ASCII letters. This is the engine's hottest filter ('%crash%' ILIKE).
bool ContainsIgnoreAsciiCase(std::string_view haystack, std::string_view lower_needle);

// e is a kLike expression (negation not applied): does s match its pattern?
bool MatchLike(const Expr& e, std::string_view s);

}  // namespace sluice
