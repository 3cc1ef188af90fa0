#include "sql/schema_parser.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(SchemaParser, ParsesNamesAndTypes) {
  auto s = ParseSchema(
      "ts BIGINT, level string, score DOUBLE, ok BOOLEAN, n INT, `odd name` VARCHAR(10)");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->fields.size(), 6u);
  EXPECT_EQ(s->fields[1].type, Type::kString);
  EXPECT_EQ(s->fields[2].type, Type::kDouble);
  EXPECT_EQ(s->fields[3].type, Type::kBool);
  EXPECT_EQ(s->fields[4].type, Type::kInt64);
  EXPECT_EQ(s->fields[5].name, "odd name");
}

TEST(SchemaParser, RejectsUnknownTypesAndDuplicates) {
  auto s = ParseSchema("ts BIGINT, level STRNG");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("did you mean STRING?"), std::string::npos)
      << s.status().message();
  EXPECT_NE(s.status().message().find("column 18"), std::string::npos) << s.status().message();
  EXPECT_FALSE(ParseSchema("a INT, a INT").ok());
  EXPECT_FALSE(ParseSchema("").ok());
  EXPECT_FALSE(ParseSchema("a INT b INT").ok());
}

}  // namespace
}  // namespace sluice
