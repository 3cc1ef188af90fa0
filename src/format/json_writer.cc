#include "format/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace sluice {

void AppendDouble(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
    return;
  }
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
    case Type::kNull:
      out += "null";
      break;
    case Type::kBool:
      out += v.b ? "true" : "false";
      break;
    case Type::kInt64: {
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v.i);
      (void)ec;
      out.append(buf, p);
      break;
    }
    case Type::kDouble:
      if (std::isfinite(v.d))
        AppendDouble(out, v.d);
      else
        out += "null";  // JSON has no NaN/Infinity
      break;
    case Type::kString:
      AppendJsonString(out, v.s);
      break;
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
