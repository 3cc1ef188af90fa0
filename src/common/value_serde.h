// Values in the on-disk encoding (common/bytes.h): a type byte, then the payload in
// little-endian. Unlike format/row_codec.h (host order, in-process only), this may be read on
// another machine: it is what checkpoints store.
#pragma once

#include "common/bytes.h"
#include "common/value.h"

namespace sluice {

inline void WriteValue(ByteWriter& w, const Value& v) {
  w.U8(static_cast<uint8_t>(v.type));
  switch (v.type) {
    case Type::kNull:
      break;
    case Type::kBool:
      w.U8(v.b ? 1 : 0);
      break;
    case Type::kInt64:
    case Type::kTimestamp:
      w.I64(v.i);
      break;
    case Type::kDouble:
      w.F64(v.d);
      break;
    case Type::kString:
      w.Bytes(v.s);
      break;
  }
}

// The string of a kString value points into the reader's input.
inline Value ReadValue(ByteReader& r) {
  const uint8_t t = r.U8();
  switch (static_cast<Type>(t)) {
    case Type::kNull:
      return Value::Null();
    case Type::kBool:
      return Value::Bool(r.U8() != 0);
    case Type::kInt64:
      return Value::Int(r.I64());
    case Type::kTimestamp:
      return Value::Timestamp(r.I64());
    case Type::kDouble:
      return Value::Double(r.F64());
    case Type::kString:
      return Value::String(r.Bytes());
  }
  r.Fail();  // an unknown type byte: damaged input
  return Value::Null();
}

}  // namespace sluice
