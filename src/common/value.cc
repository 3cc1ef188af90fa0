#include "common/value.h"

namespace sluice {

std::string_view TypeName(Type t) {
  switch (t) {
    case Type::kNull:
      return "NULL";
    case Type::kBool:
      return "BOOLEAN";
    case Type::kInt64:
      return "BIGINT";
    case Type::kDouble:
      return "DOUBLE";
    case Type::kString:
      return "STRING";
    case Type::kTimestamp:
      return "TIMESTAMP";
  }
  return "?";
}

}  // namespace sluice
