#include "kafka/kafka_url.h"

#include <cstdlib>

#include "common/utf8.h"

namespace sluice {
namespace {

Status UrlError(std::string_view text, std::string_view what) {
  return Status::InvalidArgument("bad Kafka URL '" + std::string(text) + "': " + std::string(what) +
                                 "; expected " + std::string(kKafkaUrlForm));
}

// %XX and '+' decoding for query parameters (values such as SASL passwords may need them).
std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool ValidTopicChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// Checks one "host[:port]" or "[v6addr]:port" entry; returns what is wrong, or empty.
std::string CheckHostPort(std::string_view hp) {
  if (hp.empty()) return "empty broker address in the host list";
  std::string_view host = hp, port;
  if (hp.front() == '[') {
    size_t close = hp.find(']');
    if (close == std::string_view::npos) return "unterminated '[' in '" + std::string(hp) + "'";
    host = hp.substr(0, close + 1);
    std::string_view rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "unexpected text after ']' in '" + std::string(hp) + "'";
      port = rest.substr(1);
      if (port.empty()) return "missing port after ':' in '" + std::string(hp) + "'";
    }
  } else {
    size_t colon = hp.rfind(':');
    if (colon != std::string_view::npos) {
      host = hp.substr(0, colon);
      port = hp.substr(colon + 1);
      if (port.empty()) return "missing port after ':' in '" + std::string(hp) + "'";
    }
  }
  if (host.empty() || host == "[]") return "missing host in '" + std::string(hp) + "'";
  for (char c : host) {
    if (c == '/' || c == '?' || c == '@' || c == ' ') {
      return "invalid character '" + std::string(1, c) + "' in host '" + std::string(host) + "'";
    }
  }
  if (!port.empty()) {
    long value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return "port '" + std::string(port) + "' is not a number";
      value = value * 10 + (c - '0');
      if (value > 65535) break;
    }
    if (value < 1 || value > 65535)
      return "port " + std::string(port) + " is out of range 1..65535";
  }
  return {};
}

}  // namespace

bool IsKafkaUrl(std::string_view text) { return text.starts_with("kafka://"); }

Result<KafkaUrl> ParseKafkaUrl(std::string_view text) {
  constexpr std::string_view kScheme = "kafka://";
  if (!text.starts_with(kScheme)) return UrlError(text, "it must start with kafka://");
  std::string_view rest = text.substr(kScheme.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return UrlError(text, "missing '/TOPIC' after the brokers");
  std::string_view hosts = rest.substr(0, slash);
  if (hosts.empty()) return UrlError(text, "missing broker address (HOST:PORT)");
  std::string_view path = rest.substr(slash + 1);
  std::string_view query;
  if (size_t q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }

  KafkaUrl url;
  for (size_t pos = 0;;) {
    size_t comma = hosts.find(',', pos);
    std::string_view hp =
        hosts.substr(pos, comma == std::string_view::npos ? hosts.npos : comma - pos);
    if (std::string why = CheckHostPort(hp); !why.empty()) return UrlError(text, why);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  url.bootstrap = std::string(hosts);

  if (path.empty()) return UrlError(text, "missing topic name after '/'");
  if (path.size() > 249) return UrlError(text, "topic name longer than 249 characters");
  if (path == "." || path == "..") return UrlError(text, "topic name cannot be '.' or '..'");
  for (char c : path) {
    if (!ValidTopicChar(c)) {
      return UrlError(text, "invalid character '" + std::string(1, c) +
                                "' in topic name (allowed: letters, digits, '.', '_', '-')");
    }
  }
  url.topic = std::string(path);

  for (size_t pos = 0; pos < query.size();) {
    size_t amp = query.find('&', pos);
    std::string_view kv = query.substr(pos, amp == std::string_view::npos ? query.npos : amp - pos);
    pos = amp == std::string_view::npos ? query.size() : amp + 1;
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return UrlError(text, "query parameter '" + std::string(kv) + "' is not KEY=VALUE");
    }
    auto key = PercentDecode(kv.substr(0, eq));
    auto value = PercentDecode(kv.substr(eq + 1));
    if (!key || !value) {
      return UrlError(text, "bad %-escape in query parameter '" + std::string(kv) + "'");
    }
    if (*key == "startingOffsets" || *key == "starting.offsets") {
      if (*value != "earliest" && *value != "latest") {
        return UrlError(text,
                        "startingOffsets must be 'earliest' or 'latest', not '" + *value + "'");
      }
      *key = "startingOffsets";
    }
    url.params.emplace_back(std::move(*key), std::move(*value));
  }
  return url;
}

std::optional<std::string> LabKafkaDestination() {
  const char* broker = std::getenv("KAFKA_BROKER");
  if (broker == nullptr || *broker == '\0') return std::nullopt;
  const char* topic = std::getenv("KAFKA_TOPIC");
  std::string t = (topic != nullptr && *topic != '\0') ? topic : "logs";
  return "kafka://" + std::string(broker) + "/" + t;
}

}  // namespace sluice
