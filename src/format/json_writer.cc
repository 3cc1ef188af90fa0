#include "format/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace sluice {

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out.push_back('"');
  const bool valid = IsValidUtf8(s);
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else if (c >= 0x80 && !valid) {
          out += "\\ufffd";  // keep the output valid JSON; the raw line is not recoverable here
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void AppendDouble(std::string& out, double d) {
  if (std::isnan(d)) { out += "NaN"; return; }
  if (std::isinf(d)) { out += d > 0 ? "Infinity" : "-Infinity"; return; }
  char buf[64];
  double a = std::fabs(d);
  if (a != 0 && (a >= 1e7 || a < 1e-3)) {
    // Spark (Java) style scientific notation: 1.0E10
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    (void)ec;
    std::string s(buf, p);
    auto e = s.find('e');
    std::string mant = s.substr(0, e);
    if (mant.find('.') == std::string::npos) mant += ".0";
    int exp = std::stoi(s.substr(e + 1));
    out += mant;
    out += 'E';
    out += std::to_string(exp);
    return;
  }
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
  (void)ec;
  std::string_view sv(buf, static_cast<size_t>(p - buf));
  out.append(sv);
  if (sv.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void AppendJsonValue(std::string& out, const Value& v, const TimeZone& tz) {
  char buf[32];
  switch (v.type) {
    case Type::kNull: out += "null"; break;
    case Type::kBool: out += v.b ? "true" : "false"; break;
    case Type::kInt64: {
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v.i);
      (void)ec;
      out.append(buf, p);
      break;
    }
    case Type::kDouble:
      if (std::isfinite(v.d)) AppendDouble(out, v.d);
      else out += "null";  // JSON has no NaN/Infinity
      break;
    case Type::kString: AppendJsonString(out, v.s); break;
    case Type::kTimestamp:
      out.push_back('"');
      AppendTimestamp(out, v.i, tz);
      out.push_back('"');
      break;
  }
}

void AppendJsonObject(std::string& out, const std::vector<std::string>& names,
                      const std::vector<OwnedValue>& values, const TimeZone& tz) {
  out.push_back('{');
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (i) out += ", ";
    AppendJsonString(out, names[i]);
    out += ": ";
    AppendJsonValue(out, values[i].view(), tz);
  }
  out.push_back('}');
}

}  // namespace sluice
