#include "format/record_parser.h"

#include <cstdint>
#include <cstring>

#include "format/json_grammar.h"

namespace sluice {
namespace {

constexpr const char* kInvalidJson = "invalid JSON";

// simdjson's number parser refuses numbers that are valid JSON but do not fit a double (1e400) or
// 64 bits (big integers); a field nobody reads only has to be well-formed, so it gets this check.
bool IsJsonNumber(std::string_view s) {
  return !s.empty() && JsonNumberEnd(s.data(), s.data() + s.size()) == s.data() + s.size();
}

// The bytes of a scalar value as written, without the whitespace simdjson's raw token keeps.
std::string_view ScalarToken(simdjson::ondemand::value& v) {
  std::string_view token = v.raw_json_token();
  while (!token.empty() && IsJsonWhitespace(token.back())) token.remove_suffix(1);
  return token;
}

// The characters of a JSON string after its opening quote, up to the closing one (which the
// parser's structural index guarantees): no control characters, only JSON's escapes, and
// \u escapes that decode to Unicode (a surrogate only as a high-low pair), as simdjson requires
// of the strings a query reads. Cheaper than unescaping it into the parser's buffer.
bool IsJsonStringBody(const char* p) {
  for (;;) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') return true;
    if (c < 0x20) return false;
    if (c != '\\') {
      ++p;
      continue;
    }
    uint32_t code_point = 0;
    const size_t n = JsonEscape(p, code_point);
    if (n == 0) return false;
    p += n;
  }
}

// Reads a key without unescaping unless it holds an escape (rare): the raw key runs from after
// the opening quote to the closing one. Escapes are checked by unescaping.
inline bool ReadKey(simdjson::ondemand::field& field, std::string_view& key) {
  const char* raw = field.key().raw();
  size_t len = 0;
  while (raw[len] != '"' && raw[len] != '\\') ++len;
  key = std::string_view(raw, len);
  return raw[len] != '\\' || field.unescaped_key().get(key) == simdjson::SUCCESS;
}

// Objects and arrays in fields the query does not read may nest this deep (the walk is recursive;
// Spark's JSON reader, Jackson, stops at 1000).
constexpr int kMaxNesting = 256;
constexpr const char* kTooDeep = "JSON nested deeper than 256 levels";

// Validate* report a value nested deeper than kMaxNesting here (otherwise: bad JSON).
bool ValidateNested(simdjson::ondemand::value v, simdjson::ondemand::json_type type, int depth,
                    bool& too_deep);

// Walks a value the query does not read, so that a record with bad JSON anywhere is malformed:
// simdjson's On-Demand parser checks UTF-8 and the structure of the whole record, but atoms,
// numbers and string escapes only where they are read. Scalars are checked here (inlined into
// the parser's loop); objects and arrays out of line, at most kMaxNesting deep.
inline bool ValidateValue(simdjson::ondemand::value v, int depth, bool& too_deep) {
  using namespace simdjson;
  ondemand::json_type type;
  if (v.type().get(type)) return false;
  switch (type) {
    case ondemand::json_type::object:
    case ondemand::json_type::array:
      return ValidateNested(v, type, depth + 1, too_deep);
    case ondemand::json_type::string: {
      ondemand::raw_json_string raw;
      return v.get_raw_json_string().get(raw) == SUCCESS && IsJsonStringBody(raw.raw());
    }
    case ondemand::json_type::number:
      return IsJsonNumber(ScalarToken(v));
    case ondemand::json_type::boolean: {
      bool b = false;
      return v.get_bool().get(b) == SUCCESS;
    }
    case ondemand::json_type::null: {
      bool is_null = false;
      return v.is_null().get(is_null) == SUCCESS && is_null;
    }
  }
  return false;
}

bool ValidateNested(simdjson::ondemand::value v, simdjson::ondemand::json_type type, int depth,
                    bool& too_deep) {
  using namespace simdjson;
  if (depth > kMaxNesting) {
    too_deep = true;
    return false;
  }
  if (type == ondemand::json_type::object) {
    ondemand::object obj;
    if (v.get_object().get(obj)) return false;
    for (auto field_result : obj) {
      ondemand::field field;
      std::string_view key;
      if (std::move(field_result).get(field) || !ReadKey(field, key) ||
          !ValidateValue(field.value(), depth, too_deep)) {
        return false;
      }
    }
    return true;
  }
  ondemand::array arr;
  if (v.get_array().get(arr)) return false;
  for (auto element : arr) {
    ondemand::value e;
    if (element.get(e) || !ValidateValue(e, depth, too_deep)) return false;
  }
  return true;
}

}  // namespace

RecordParser::RecordParser(std::vector<Field> fields, Path path)
    : fields_(std::move(fields)), scanner_(fields_, path != Path::kScanFirstAvx2), path_(path) {}

int RecordParser::Lookup(std::string_view key) const {
  // A query reads a handful of fields: a linear scan beats hashing here. Lengths first:
  // most keys differ in length, and that costs no memcmp call.
  for (size_t i = 0; i < fields_.size(); ++i) {
    const std::string& name = fields_[i].name;
    // (An empty key has no first byte to compare: the name's is its terminator.)
    if (name.size() == key.size() && (key.empty() || name[0] == key[0]) &&
        std::memcmp(name.data(), key.data(), key.size()) == 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

const char* RecordParser::Parse(std::string_view rec, size_t padding, Value* row) {
  last_bad_field_ = -1;
  if (path_ != Path::kFullOnly && scanner_.Scan(rec, padding, row)) return nullptr;
  return ParseFull(rec, padding, row);
}

size_t RecordParser::IndexRun(const char* base, const uint32_t* starts, size_t count) {
  return path_ == Path::kFullOnly ? 0 : scanner_.IndexRun(base, starts, count);
}

const char* RecordParser::ParseIndexed(size_t k, std::string_view rec, size_t padding, Value* row) {
  last_bad_field_ = -1;
  if (scanner_.ScanIndexed(k, rec, row)) return nullptr;
  return ParseFull(rec, padding, row);
}

const char* RecordParser::ParseFull(std::string_view rec, size_t padding, Value* row) {
  using namespace simdjson;
  ondemand::document doc;
  if (parser_.iterate(rec.data(), rec.size(), rec.size() + padding).get(doc)) {
    return kInvalidJson;
  }
  ondemand::object obj;
  if (doc.get_object().get(obj)) return "not a JSON object";
  uint64_t seen = 0;
  for (auto field_result : obj) {
    ondemand::field field;
    std::string_view key;
    if (std::move(field_result).get(field) || !ReadKey(field, key)) return kInvalidJson;
    const int idx = Lookup(key);
    ondemand::value v = field.value();
    if (idx < 0) {  // not read by the query: only checked
      bool too_deep = false;
      if (!ValidateValue(v, 0, too_deep)) return too_deep ? kTooDeep : kInvalidJson;
      continue;
    }
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
        // Not simdjson's get_double: simdjson 3.0 misreads some mantissas of more than 19
        // digits (0.1000000000000000055511151231257827 as 2e-17).
        const std::string_view token = ScalarToken(v);
        double d = 0;
        bad = !ParseJsonDouble(token.data(), token.data() + token.size(), d);
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
