// A compact byte encoding of Values, used for group keys and aggregate inputs handed from the
// parse/filter step to the aggregation step (no heap allocation per row), and as hash-map keys.
// Layout per value: 1 type byte, then 8 bytes (BIGINT, TIMESTAMP, DOUBLE), 1 byte (BOOLEAN),
// 4-byte length + bytes (STRING), or nothing (NULL). Host byte order: never leaves the process.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "common/value.h"

namespace sluice {

inline void EncodeValue(std::string& out, const Value& v) {
  out.push_back(static_cast<char>(v.type));
  switch (v.type) {
    case Type::kNull:
      break;
    case Type::kBool:
      out.push_back(v.b ? 1 : 0);
      break;
    case Type::kInt64:
    case Type::kTimestamp:
      out.append(reinterpret_cast<const char*>(&v.i), 8);
      break;
    case Type::kDouble:
      out.append(reinterpret_cast<const char*>(&v.d), 8);
      break;
    case Type::kString: {
      const auto n = static_cast<uint32_t>(v.s.size());
      out.append(reinterpret_cast<const char*>(&n), 4);
      out.append(v.s);
      break;
    }
  }
}

// Decodes the value at p and advances p past it. Strings point into the encoded bytes.
inline Value DecodeValue(const char*& p) {
  Value v;
  v.type = static_cast<Type>(*p++);
  switch (v.type) {
    case Type::kNull:
      break;
    case Type::kBool:
      v.b = *p++ != 0;
      break;
    case Type::kInt64:
    case Type::kTimestamp:
      std::memcpy(&v.i, p, 8);
      p += 8;
      break;
    case Type::kDouble:
      std::memcpy(&v.d, p, 8);
      p += 8;
      break;
    case Type::kString: {
      uint32_t n;
      std::memcpy(&n, p, 4);
      p += 4;
      v.s = std::string_view(p, n);
      p += n;
      break;
    }
  }
  return v;
}

}  // namespace sluice
