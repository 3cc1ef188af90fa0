#include "exec/exchange_message.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

TEST(ExchangeMessageTest, DataAndHeartbeatsRoundTrip) {
  ExchangeMessage m;
  m.input_partition = 5;
  m.epoch = 1234567890123;
  m.max_event_ms = -42;
  m.idle = true;
  m.finished = false;
  m.has_data = true;
  m.first_offset = 10;
  m.end_offset = 20'000;
  const std::string partial("\x00\x01\xff partial", 11);
  m.partial = partial;
  std::string bytes;
  m.Encode(bytes);
  ExchangeMessage d;
  ASSERT_TRUE(d.Decode(bytes));
  EXPECT_EQ(d.input_partition, 5);
  EXPECT_EQ(d.epoch, 1234567890123);
  EXPECT_EQ(d.max_event_ms, -42);
  EXPECT_TRUE(d.idle);
  EXPECT_FALSE(d.finished);
  EXPECT_TRUE(d.has_data);
  EXPECT_EQ(d.first_offset, 10);
  EXPECT_EQ(d.end_offset, 20'000);
  EXPECT_EQ(d.partial, partial);

  ExchangeMessage hb;
  hb.input_partition = 2;
  hb.epoch = -1;
  hb.finished = true;
  hb.Encode(bytes);
  ASSERT_TRUE(d.Decode(bytes));
  EXPECT_FALSE(d.has_data);
  EXPECT_TRUE(d.finished);
  EXPECT_EQ(d.epoch, -1);
  EXPECT_TRUE(d.partial.empty());
}

TEST(ExchangeMessageTest, ForeignOrDamagedBytesAreRefused) {
  ExchangeMessage m;
  m.has_data = true;
  m.partial = "abc";
  std::string bytes;
  m.Encode(bytes);
  ExchangeMessage d;
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(d.Decode(bytes.substr(0, n))) << n;
  EXPECT_FALSE(d.Decode(bytes + "x"));
  EXPECT_FALSE(d.Decode(R"({"timestamp": 1})"));
}

}  // namespace
}  // namespace sluice
