// The raw prefilter: rejects, from a record's raw bytes, rows WHERE cannot pass, so WHERE runs
// only on the records that may. A WHERE whose conjuncts include `col LIKE '%text%'` (or ILIKE, a
// prefix, suffix or exact pattern, on the column or on lower()/upper() of it, or contains(),
// starts_with(), ends_with() with a literal) can only be TRUE for a record whose JSON holds
// `text`, ignoring ASCII case, or spells it with escapes. So a record whose bytes hold neither
// the text nor a backslash fails WHERE; its row is still parsed and validated, and its event
// time still counts for the watermark: only the evaluation of WHERE is saved.
//
// The search itself runs inside the scanner's run index (RecordParser::SetPrefilterText), on the
// bytes it has just loaded.
#pragma once

#include <string>

#include "plan/expr.h"

namespace sluice {

// The text `where` (may be null) can only be TRUE with, ASCII-lowercased; of several, the
// longest (the rarest, as a guess). Empty: no prefilter.
std::string PrefilterText(const Expr* where);

}  // namespace sluice
