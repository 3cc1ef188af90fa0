#include "exec/exchange_message.h"

#include "common/bytes.h"

namespace sluice {
namespace {
constexpr std::string_view kMagic = "SLX1";
constexpr uint8_t kIdle = 1, kFinished = 2, kData = 4;
}  // namespace

void ExchangeMessage::Encode(std::string& out) const {
  out.clear();
  out.append(kMagic);
  ByteWriter w(out);
  w.U32(static_cast<uint32_t>(input_partition));
  w.I64(epoch);
  w.I64(max_event_ms);
  w.U8(static_cast<uint8_t>((idle ? kIdle : 0) | (finished ? kFinished : 0) |
                            (has_data ? kData : 0)));
  w.I64(first_offset);
  w.I64(end_offset);
  if (has_data) w.Bytes(partial);
}

bool ExchangeMessage::Decode(std::string_view bytes) {
  if (bytes.substr(0, kMagic.size()) != kMagic) return false;
  ByteReader r(bytes.substr(kMagic.size()));
  input_partition = static_cast<int32_t>(r.U32());
  epoch = r.I64();
  max_event_ms = r.I64();
  const uint8_t flags = r.U8();
  idle = (flags & kIdle) != 0;
  finished = (flags & kFinished) != 0;
  has_data = (flags & kData) != 0;
  first_offset = r.I64();
  end_offset = r.I64();
  partial = has_data ? r.Bytes() : std::string_view();
  return r.ok() && r.at_end() && input_partition >= 0;
}

}  // namespace sluice
