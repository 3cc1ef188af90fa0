#include "sql/sql_error.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(SqlError, ShowsLineColumnCaretAndHint) {
  std::string_view sql = "SELECT user, count(*) FROM logs GROUP BY user";
  Status st = SqlError(sql, {7, 11}, "unknown column 'user'", "columns are a, b");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "error: unknown column 'user' at line 1, column 8\n"
            "  SELECT user, count(*) FROM logs GROUP BY user\n"
            "         ^^^^\n"
            "hint: columns are a, b");
}

TEST(SqlError, ShowsOnlyTheLineWithTheError) {
  std::string_view sql = "SELECT a\nFROM logs\nWHERE bad";
  Status st = SqlError(sql, {25, 28}, "unknown column 'bad'");
  EXPECT_EQ(st.message(),
            "error: unknown column 'bad' at line 3, column 7\n"
            "  WHERE bad\n"
            "        ^^^");
}

TEST(SqlError, CountsColumnsInCharactersNotBytes) {
  std::string_view sql = "SELECT 'é', x";
  Status st = SqlError(sql, {13, 14}, "bad");
  EXPECT_NE(st.message().find("column 13"), std::string::npos) << st.message();
}

TEST(EditDistance, IgnoresCase) {
  EXPECT_EQ(EditDistance("SELEC", "select"), 1u);
  EXPECT_EQ(EditDistance("lowr", "lower"), 1u);
  EXPECT_EQ(ClosestMatch("lowr", {"upper", "lower"}), "lower");
  EXPECT_EQ(ClosestMatch("user", {"user_id", "status"}), "");
}

}  // namespace
}  // namespace sluice
