// Error messages for SQL a person wrote: what went wrong, where (line, column, the line itself
// with a caret run under the offending text) and, when one helps, what to do.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice {

// A byte range [begin, end) of the SQL text.
struct SourceSpan {
  uint32_t begin = 0;
  uint32_t end = 0;
};

// InvalidArgument with the message
//   error: <what> at line L, column C
//     <the line of `sql` holding span.begin>
//     ^^^^          (under the span, clipped to that line; one caret for an empty span)
//   hint: <hint>    (only if hint is not empty)
// Columns count UTF-8 characters from 1.
Status SqlError(std::string_view sql, SourceSpan span, std::string_view what,
                std::string_view hint = {});

// Edit distance (insert, delete, replace, swap neighbours), ASCII case-insensitive.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate nearest to `word` if it is close enough to be a likely typo (at most 2 edits and
// fewer edits than half the word), else empty.
std::string_view ClosestMatch(std::string_view word,
                              const std::vector<std::string_view>& candidates);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace sluice
