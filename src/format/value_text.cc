#include "format/value_text.h"

#include "format/json_writer.h"

namespace sluice {

std::string CellText(const Value& v, const TimeZone& tz) {
  std::string s;
  switch (v.type) {
    case Type::kNull:
      return "NULL";
    case Type::kBool:
      return v.b ? "true" : "false";
    case Type::kInt64:
      return std::to_string(v.i);
    case Type::kDouble:
      AppendDouble(s, v.d);
      return s;
    case Type::kString:
      return std::string(v.s);
    case Type::kTimestamp:
      AppendTimestamp(s, v.i, tz);
      return s;
  }
  return s;
}

}  // namespace sluice
