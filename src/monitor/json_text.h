// JsonText: a small append-only JSON writer for the monitoring endpoints. It only writes; nothing
// in sluice's monitoring reads JSON. Strings are escaped per RFC 8259 and invalid UTF-8 is
// replaced by U+FFFD, so the output always parses, whatever bytes the input records carried.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.h"

namespace sluice {

// Appends `s` as a quoted JSON string (common/utf8.h).
inline void AppendJsonQuoted(std::string& out, std::string_view s) { AppendJsonString(out, s); }

// ISO-8601 UTC with milliseconds, as Spark writes progress timestamps: "2026-01-27T18:29:50.194Z".
std::string IsoTimestamp(int64_t epoch_ms);

class JsonText {
 public:
  JsonText& BeginObject();
  JsonText& EndObject();
  JsonText& BeginArray();
  JsonText& EndArray();
  JsonText& Key(std::string_view key);
  JsonText& String(std::string_view v);
  JsonText& Int(int64_t v);
  JsonText& Double(double v);  // NaN and infinities become null
  JsonText& Bool(bool v);
  JsonText& Null();
  JsonText& OptInt(const std::optional<int64_t>& v) { return v ? Int(*v) : Null(); }
  JsonText& OptIso(const std::optional<int64_t>& ms) {
    return ms ? String(IsoTimestamp(*ms)) : Null();
  }
  // Shorthands for "key": value inside an object.
  JsonText& Field(std::string_view key, std::string_view v) { return Key(key).String(v); }
  JsonText& Field(std::string_view key, const char* v) { return Key(key).String(v); }
  JsonText& Field(std::string_view key, int64_t v) { return Key(key).Int(v); }
  JsonText& Field(std::string_view key, int v) { return Key(key).Int(v); }
  JsonText& Field(std::string_view key, double v) { return Key(key).Double(v); }
  JsonText& Field(std::string_view key, bool v) { return Key(key).Bool(v); }
  JsonText& Field(std::string_view key, const std::optional<int64_t>& v) {
    return Key(key).OptInt(v);
  }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();
  std::string out_;
  std::vector<bool> has_item_;  // per open container: whether it already holds an item
  bool after_key_ = false;
};

}  // namespace sluice
