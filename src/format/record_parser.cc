#include "format/record_parser.h"

#include <cstdint>
#include <cstring>

namespace sluice {

RecordParser::RecordParser(std::vector<Field> fields) : fields_(std::move(fields)) {}

int RecordParser::Lookup(std::string_view key) const {
  // A query reads a handful of fields: a linear scan beats hashing here. Lengths first:
  // most keys differ in length, and that costs no memcmp call.
  for (size_t i = 0; i < fields_.size(); ++i) {
    const std::string& name = fields_[i].name;
    if (name.size() == key.size() && name[0] == key[0] &&
        std::memcmp(name.data(), key.data(), key.size()) == 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

const char* RecordParser::Parse(std::string_view rec, size_t padding, Value* row) {
  using namespace simdjson;
  last_bad_field_ = -1;
  ondemand::document doc;
  if (parser_.iterate(rec.data(), rec.size(), rec.size() + padding).get(doc)) {
    return "invalid JSON";
  }
  ondemand::object obj;
  if (doc.get_object().get(obj)) return "not a JSON object";
  uint64_t seen = 0;
  for (auto field_result : obj) {
    ondemand::field field;
    if (std::move(field_result).get(field)) return "invalid JSON";
    // Keys are read raw, without unescaping, unless they hold an escape (rare): the raw key
    // runs from after the opening quote to the closing one.
    const char* raw = field.key().raw();
    size_t len = 0;
    while (raw[len] != '"' && raw[len] != '\\') ++len;
    std::string_view key(raw, len);
    if (raw[len] == '\\' && field.unescaped_key().get(key)) return "invalid JSON";
    const int idx = Lookup(key);
    if (idx < 0) continue;  // not read by the query: skipped without being parsed
    ondemand::value v = field.value();
    Value& out = row[idx];
    bool bad = false;
    switch (fields_[static_cast<size_t>(idx)].type) {
      case Type::kString: {
        std::string_view s;
        bad = v.get_string().get(s) != SUCCESS;
        out = Value::String(s);
        break;
      }
      case Type::kInt64: {
        int64_t i = 0;
        bad = v.get_int64().get(i) != SUCCESS;
        out = Value::Int(i);
        break;
      }
      case Type::kDouble: {
        double d = 0;
        bad = v.get_double().get(d) != SUCCESS;
        out = Value::Double(d);
        break;
      }
      case Type::kBool: {
        bool b = false;
        bad = v.get_bool().get(b) != SUCCESS;
        out = Value::Bool(b);
        break;
      }
      default:
        bad = true;
    }
    if (bad) {
      last_bad_field_ = idx;
      return "field has the wrong type";
    }
    seen |= uint64_t{1} << idx;
  }
  // current_location() fails with OUT_OF_BOUNDS once the whole input has been consumed.
  if (doc.current_location().error() == SUCCESS) return "trailing characters after the JSON object";
  const uint64_t all = fields_.size() >= 64 ? ~uint64_t{0} : (uint64_t{1} << fields_.size()) - 1;
  if (seen != all) {
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (!(seen & (uint64_t{1} << i))) {
        last_bad_field_ = static_cast<int>(i);
        break;
      }
    }
    return "missing field";
  }
  return nullptr;
}

}  // namespace sluice
