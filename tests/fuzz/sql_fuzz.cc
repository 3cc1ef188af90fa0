// libFuzzer target: the SQL front end (lexer, parser, binder) and the --schema parser on any
// text. Every input must either compile or fail with an InvalidArgument message; a crash,
// a sanitizer report or an abort is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sql/binder.h"
#include "sql/lexer.h"
#include "sql/parser.h"
#include "sql/schema_parser.h"

namespace {

// A user's mistake is InvalidArgument (exit 2); any other code means the front end lost track.
void CheckUserError(const sluice::Status& status) {
  if (!status.ok() && status.code() != sluice::StatusCode::kInvalidArgument) std::abort();
  if (!status.ok() && status.message().empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view sql(reinterpret_cast<const char*>(data), size);
  CheckUserError(sluice::Tokenize(sql).status());
  CheckUserError(sluice::ParseSelect(sql).status());
  CheckUserError(sluice::ParseExpression(sql).status());
  CheckUserError(sluice::CompileQuery(sql, sluice::BindOptions{}).status());
  CheckUserError(sluice::ParseSchema(sql).status());
  return 0;
}
