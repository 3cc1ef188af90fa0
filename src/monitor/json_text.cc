#include "monitor/json_text.h"

#include <fmt/format.h>

#include <cmath>

#include "common/time_format.h"
#include "common/utf8.h"

namespace sluice {

std::string IsoTimestamp(int64_t epoch_ms) {
  const CivilTime c = UtcCivilTime(epoch_ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.year, c.month, c.day, c.hour,
                     c.minute, c.second, c.millis);
}

void JsonText::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_item_.empty()) {
    if (has_item_.back()) out_.push_back(',');
    has_item_.back() = true;
  }
}

JsonText& JsonText::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  has_item_.push_back(false);
  return *this;
}

JsonText& JsonText::EndObject() {
  out_.push_back('}');
  has_item_.pop_back();
  return *this;
}

JsonText& JsonText::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  has_item_.push_back(false);
  return *this;
}

JsonText& JsonText::EndArray() {
  out_.push_back(']');
  has_item_.pop_back();
  return *this;
}

JsonText& JsonText::Key(std::string_view key) {
  BeforeValue();
  AppendJsonQuoted(out_, key);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonText& JsonText::String(std::string_view v) {
  BeforeValue();
  AppendJsonQuoted(out_, v);
  return *this;
}

JsonText& JsonText::Int(int64_t v) {
  BeforeValue();
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}

JsonText& JsonText::Double(double v) {
  BeforeValue();
  if (!std::isfinite(v)) {
    out_.append("null");
  } else {
    fmt::format_to(std::back_inserter(out_), "{}", v);
  }
  return *this;
}

JsonText& JsonText::Bool(bool v) {
  BeforeValue();
  out_.append(v ? "true" : "false");
  return *this;
}

JsonText& JsonText::Null() {
  BeforeValue();
  out_.append("null");
  return *this;
}

}  // namespace sluice
