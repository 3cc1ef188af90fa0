#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

std::string Json(std::string_view s) {
  std::string out = "x";  // appends to what is there
  AppendJsonString(out, s);
  return out;
}

TEST(AppendJsonStringTest, EscapesQuotesBackslashesAndControlCharactersOnly) {
  EXPECT_EQ(Json(""), "x\"\"");
  EXPECT_EQ(Json("plain text, 100% ascii ~"), "x\"plain text, 100% ascii ~\"");
  EXPECT_EQ(Json("a\"b\\c"), R"(x"a\"b\\c")");
  EXPECT_EQ(Json("l1\nl2\r\tend"), R"(x"l1\nl2\r\tend")");
  EXPECT_EQ(Json(std::string("\x00\x01\x1f\x7f", 4)), R"(x"\u0000\u0001\u001f\u007f")");
  EXPECT_EQ(Json("/ and ' stay"), R"(x"/ and ' stay")");
}

TEST(AppendJsonStringTest, KeepsValidUtf8AndReplacesEveryInvalidByte) {
  EXPECT_EQ(Json("caf\xc3\xa9 \xf0\x9f\x92\xa5!"), "x\"caf\xc3\xa9 \xf0\x9f\x92\xa5!\"");
  EXPECT_EQ(Json("a\xff"
                 "b"),
            "x\"a\xEF\xBF\xBD"
            "b\"");
  // An encoded surrogate and a truncated sequence: each byte becomes U+FFFD.
  EXPECT_EQ(Json("\xed\xa0\x80"), "x\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(Json("\xc3"), "x\"\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace sluice
