#include "common/bytes.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace sluice {
namespace {

TEST(BytesTest, FixedWidthsRoundTripAtTheirLimits) {
  std::string buf;
  ByteWriter w(buf);
  w.U8(0);
  w.U8(0xFF);
  w.U32(0);
  w.U32(0xFFFFFFFFu);
  w.U32(0x12345678u);
  w.U64(0);
  w.U64(std::numeric_limits<uint64_t>::max());
  w.U64(0x0123456789ABCDEFull);
  EXPECT_EQ(buf.size(), 2u + 3 * 4 + 3 * 8);

  ByteReader r(buf);
  EXPECT_EQ(r.U8(), 0);
  EXPECT_EQ(r.U8(), 0xFF);
  EXPECT_EQ(r.U32(), 0u);
  EXPECT_EQ(r.U32(), 0xFFFFFFFFu);
  EXPECT_EQ(r.U32(), 0x12345678u);
  EXPECT_EQ(r.U64(), 0u);
  EXPECT_EQ(r.U64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(r.U64(), 0x0123456789ABCDEFull);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(BytesTest, IntegersAreLittleEndianWhateverTheHost) {
  std::string buf;
  ByteWriter w(buf);
  w.U32(0x04030201u);
  w.U64(0x0807060504030201ull);
  EXPECT_EQ(buf, std::string("\x01\x02\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08", 12));
}

TEST(BytesTest, NegativeIntegersRoundTrip) {
  const int64_t values[] = {
      -1, -2, -128, -129, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
      0,  42};
  std::string buf;
  ByteWriter w(buf);
  for (int64_t v : values) w.I64(v);
  EXPECT_EQ(buf.substr(0, 8), std::string(8, '\xFF'));  // -1: two's complement, all ones
  ByteReader r(buf);
  for (int64_t v : values) EXPECT_EQ(r.I64(), v);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(BytesTest, DoublesKeepTheirExactBits) {
  const double nan_with_payload = std::bit_cast<double>(0x7FF8000000012345ull);
  const double values[] = {0.0,
                           -0.0,
                           1.5,
                           -3.25e-300,
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN(),
                           nan_with_payload,
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::max()};
  std::string buf;
  ByteWriter w(buf);
  for (double v : values) w.F64(v);
  ByteReader r(buf);
  for (double v : values) {
    const double got = r.F64();
    EXPECT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(v)) << v;
  }
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(BytesTest, NegativeZeroKeepsItsSign) {
  std::string buf;
  ByteWriter w(buf);
  w.F64(-0.0);
  ByteReader r(buf);
  EXPECT_TRUE(std::signbit(r.F64()));
}

TEST(BytesTest, VarintEdgesRoundTripInTheExpectedLength) {
  struct Case {
    uint64_t value;
    size_t bytes;
  };
  const Case cases[] = {{0, 1},
                        {1, 1},
                        {127, 1},
                        {128, 2},
                        {16383, 2},
                        {16384, 3},
                        {uint64_t{1} << 63, 10},
                        {std::numeric_limits<uint64_t>::max(), 10}};
  for (const Case& c : cases) {
    std::string buf;
    ByteWriter w(buf);
    w.Varint(c.value);
    EXPECT_EQ(buf.size(), c.bytes) << c.value;
    ByteReader r(buf);
    EXPECT_EQ(r.Varint(), c.value);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.at_end());
  }
}

TEST(BytesTest, VarintOf128IsTwoBytesLeb128) {
  std::string buf;
  ByteWriter w(buf);
  w.Varint(128);
  EXPECT_EQ(buf, std::string("\x80\x01", 2));
}

TEST(BytesTest, VarintLongerThanTenBytesFails) {
  const std::string buf(11, '\x80');
  ByteReader r(buf);
  EXPECT_EQ(r.Varint(), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(BytesTest, BytesRoundTripIncludingEmptyAndBinary) {
  const std::string binary("a\0b\xFF\n", 5);
  const std::string long_text(300, 'x');  // a two-byte length
  std::string buf;
  ByteWriter w(buf);
  w.Bytes("");
  w.Bytes(binary);
  w.Bytes(long_text);
  ByteReader r(buf);
  EXPECT_EQ(r.Bytes(), "");
  EXPECT_EQ(r.Bytes(), binary);
  EXPECT_EQ(r.Bytes(), long_text);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(BytesTest, TruncatedInputFailsAndReturnsZeros) {
  std::string buf;
  ByteWriter w(buf);
  w.U8(7);
  w.U32(0xDEADBEEF);
  w.U64(99);
  w.I64(-5);
  w.F64(2.5);
  w.Varint(1'000'000);
  w.Bytes("hello");
  for (size_t len = 0; len < buf.size(); ++len) {
    ByteReader r(std::string_view(buf).substr(0, len));
    const uint8_t a = r.U8();
    const uint32_t b = r.U32();
    const uint64_t c = r.U64();
    const int64_t d = r.I64();
    const double e = r.F64();
    const uint64_t f = r.Varint();
    const std::string_view g = r.Bytes();
    EXPECT_FALSE(r.ok()) << "prefix of " << len << " bytes";
    EXPECT_TRUE(r.at_end());
    EXPECT_EQ(r.remaining(), 0u);
    // The first read that did not fit and every read after it yield zero values.
    if (len < 1) {
      EXPECT_EQ(a, 0);
    }
    if (len < 5) {
      EXPECT_EQ(b, 0u);
    }
    if (len < 13) {
      EXPECT_EQ(c, 0u);
    }
    if (len < 21) {
      EXPECT_EQ(d, 0);
    }
    if (len < 29) {
      EXPECT_EQ(std::bit_cast<uint64_t>(e), 0u);
    }
    if (len < 32) {
      EXPECT_EQ(f, 0u);
    }
    EXPECT_TRUE(g.empty());
  }
  ByteReader whole(buf);
  EXPECT_EQ(whole.U8(), 7);
  EXPECT_EQ(whole.U32(), 0xDEADBEEF);
  EXPECT_EQ(whole.U64(), 99u);
  EXPECT_EQ(whole.I64(), -5);
  EXPECT_EQ(whole.F64(), 2.5);
  EXPECT_EQ(whole.Varint(), 1'000'000u);
  EXPECT_EQ(whole.Bytes(), "hello");
  EXPECT_TRUE(whole.ok());
}

TEST(BytesTest, ReadsAfterAFailureStayZeroEvenWithInputLeft) {
  std::string buf;
  ByteWriter w(buf);
  w.Varint(1000);  // a length the input cannot hold ...
  w.U64(123);      // ... followed by readable bytes
  ByteReader r(buf);
  EXPECT_TRUE(r.Bytes().empty());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.U64(), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(BytesTest, CountAcceptsWhatTheInputCanHold) {
  std::string buf;
  ByteWriter w(buf);
  w.Varint(3);
  for (int i = 0; i < 3; ++i) w.U64(static_cast<uint64_t>(i));
  ByteReader r(buf);
  EXPECT_EQ(r.Count(8), 3u);
  EXPECT_TRUE(r.ok());
}

TEST(BytesTest, CountRejectsMoreItemsThanTheInputCanHold) {
  std::string buf;
  ByteWriter w(buf);
  w.Varint(4);
  for (int i = 0; i < 3; ++i) w.U64(static_cast<uint64_t>(i));
  ByteReader r(buf);
  EXPECT_EQ(r.Count(8), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(BytesTest, CountRejectsAHugeDamagedCount) {
  std::string buf;
  ByteWriter w(buf);
  w.Varint(uint64_t{1} << 40);
  w.U8(0);
  ByteReader r(buf);
  EXPECT_EQ(r.Count(), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(BytesTest, CountOfZeroSizedItemsIsBoundedByOneByteEach) {
  std::string buf;
  ByteWriter w(buf);
  w.Varint(2);
  w.U8(0);
  ByteReader r(buf);
  EXPECT_EQ(r.Count(0), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(BytesTest, CountOfZeroIsFineOnEmptyRest) {
  std::string buf;
  ByteWriter w(buf);
  w.Varint(0);
  ByteReader r(buf);
  EXPECT_EQ(r.Count(44), 0u);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

}  // namespace
}  // namespace sluice
