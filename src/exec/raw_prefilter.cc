#include "exec/raw_prefilter.h"

#include "common/ascii.h"

namespace sluice {
namespace {

// A STRING column of the record, or lower()/upper() of one: its value is a JSON string of the
// record, so the record's bytes hold it (with escapes where the JSON has them).
bool ReadsRecordString(const Expr& e) {
  auto column = [](const Expr& c) {
    return c.kind == ExprKind::kColumn && c.type == Type::kString;
  };
  if (column(e)) return true;
  return e.kind == ExprKind::kFunction &&
         (e.function == Function::kLower || e.function == Function::kUpper) && e.args.size() == 1 &&
         column(*e.args[0]);
}

// The text a conjunct can only be TRUE with, ASCII-lowercased, or empty.
std::string RequiredText(const Expr& e) {
  if (e.kind == ExprKind::kLike && !e.negated && ReadsRecordString(*e.args[0])) {
    switch (e.like_shape) {
      case LikeShape::kExact:
      case LikeShape::kPrefix:
      case LikeShape::kSuffix:
      case LikeShape::kContains:
        return LowerAscii(e.like_needle);
      case LikeShape::kGeneral:
      case LikeShape::kAny:
        return {};
    }
  }
  if (e.kind == ExprKind::kFunction &&
      (e.function == Function::kContains || e.function == Function::kStartsWith ||
       e.function == Function::kEndsWith) &&
      e.args.size() == 2 && ReadsRecordString(*e.args[0]) &&
      e.args[1]->kind == ExprKind::kLiteral && e.args[1]->literal.type == Type::kString) {
    return LowerAscii(e.args[1]->literal.view().s);
  }
  return {};
}

void Collect(const Expr& e, std::string& longest) {
  if (e.kind == ExprKind::kAnd) {
    for (const auto& a : e.args) Collect(*a, longest);
    return;
  }
  std::string text = RequiredText(e);
  if (text.size() > longest.size()) longest = std::move(text);
}

}  // namespace

std::string PrefilterText(const Expr* where) {
  std::string longest;
  if (where != nullptr) Collect(*where, longest);
  return longest;
}

}  // namespace sluice
