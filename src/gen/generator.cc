#include "gen/generator.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/utf8.h"

namespace sluice {
namespace {

// A message template: head, then an optional slot (a number below `range`, or the term), then
// tail. Kept free of '"', '\\' and of the words "crash" and "vulnerability" so the rates of
// those words are exactly what the options say.
enum class Slot : uint8_t { kNone, kNumber, kTerm };
struct Template {
  std::string_view head;
  Slot slot;
  std::string_view tail;
  uint32_t range;
};

constexpr Template kNormal[] = {
    {"user login successful", Slot::kNone, "", 0},
    {"user logout", Slot::kNone, "", 0},
    {"disk usage at ", Slot::kNumber, "%", 100},
    {"connection timeout to db-", Slot::kNumber, "", 8},
    {"request served in ", Slot::kNumber, " ms", 2000},
    {"cache miss for key session:", Slot::kNumber, "", 100000},
    {"payment processed for order ", Slot::kNumber, "", 1000000},
    {"health check passed", Slot::kNone, "", 0},
    {"retrying upstream request (attempt ", Slot::kNumber, ")", 5},
    {"config reloaded", Slot::kNone, "", 0},
    {"GET /api/v1/items/", Slot::kNumber, " returned 200", 10000},
    {"slow query took ", Slot::kNumber, " ms", 30000},
    {"TLS handshake completed", Slot::kNone, "", 0},
    {"memory usage at ", Slot::kNumber, "%", 100},
    {"scheduled job finished", Slot::kNone, "", 0},
    {"rate limit exceeded for client ", Slot::kNumber, "", 500},
};
constexpr Template kWithTerm[] = {
    {"app ", Slot::kTerm, " detected", 0},
    {"worker ", Slot::kTerm, " after OOM", 0},
    {"", Slot::kTerm, " in module auth", 0},
    {"unexpected ", Slot::kTerm, " in payment-service", 0},
    {"kernel reported ", Slot::kTerm, " on node-7", 0},
    {"process exited after ", Slot::kTerm, " (code 139)", 0},
};
constexpr Template kWithVulnerability[] = {
    {"security ", Slot::kTerm, " detected in openssl", 0},
    {"", Slot::kTerm, " scan found CVE-2024-1234", 0},
    {"critical ", Slot::kTerm, " in libxml2 reported", 0},
    {"patch available for ", Slot::kTerm, " CVE-2023-4863", 0},
    {"possible injection ", Slot::kTerm, " on /login", 0},
};
// Non-ASCII text. None of these characters lowercases to ASCII (no U+0130, U+212A), because
// sluice folds case for ASCII only and must agree with any reference.
constexpr std::string_view kUnicode[] = {
    "café",
    "Ошибка сервера",
    "数据库连接失败",
    "naïve résumé",
    "Größe überschritten",
    "ñandú",
    "Ελληνικά",
    "💥",
    "エラー発生",
    "señal perdida 🔥",
};
// Decoded text appended to escaped contents, so the writer emits \" \\ \/ \n \t \r \b \f.
constexpr std::string_view kEscapeSuffix[] = {
    " \"quoted\"",
    " at C:\\logs\\app.log",
    "\n\tat Main.run(Main.java:42)",
    " see https://example.com/docs",
    "\r\n",
    " \b\f",
};
constexpr std::string_view kPlainText[] = {
    "2026-01-27 18:29:50 ERROR app crash detected for user_1038",
    "GET /api/v1/users 500",
    "<html><body>502 Bad Gateway</body></html>",
    "null",
    "\"just a string\"",
    "timestamp=1768142570194 severity=High content=crash",
};
constexpr std::string_view kTrailing[] = {" x", "}", ",", " {\"a\": 1}", " garbage", "]"};
constexpr std::string_view kBlank[] = {"", " ", "\t", "  \r"};
constexpr std::string_view kBadUtf8[] = {
    "\xff", "\xc3\x28", "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82",
};

constexpr std::string_view kSeverities[] = {"Low", "Medium", "High", "Critical"};
constexpr std::string_view kStatuses[] = {"200", "201", "301", "400", "401",
                                          "403", "404", "500", "502", "503"};
constexpr int kStatusPercent[] = {70, 5, 3, 4, 3, 2, 6, 4, 2, 1};  // sums to 100

constexpr std::string_view kMalformationNames[] = {
    "truncated",
    "plain_text",
    "array",
    "empty_object",
    "trailing_garbage",
    "invalid_utf8",
    "blank",
    "missing_timestamp",
    "missing_user_id",
    "missing_content",
    "missing_severity",
    "missing_source_ip",
    "timestamp_string",
    "timestamp_float",
    "timestamp_null",
    "timestamp_bool",
    "timestamp_huge",
    "severity_number",
    "severity_nan",
    "user_id_null",
    "content_object",
};
static_assert(std::size(kMalformationNames) == static_cast<size_t>(Malformation::kCount));

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* PutInt(char* p, int64_t v) { return std::to_chars(p, p + 24, v).ptr; }

// Writes source IP number `ip` (< 65536) as 10.0.(ip/256).(ip%256), unquoted.
char* PutSourceIp(char* p, int ip) {
  p = Put(p, "10.0.");
  p = PutInt(p, ip >> 8);
  *p++ = '.';
  return PutInt(p, ip & 255);
}

bool IsAsciiLetter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

// Length of the UTF-8 sequence that starts with lead byte c (input known to be valid).
size_t Utf8Length(unsigned char c) {
  if (c < 0x80) return 1;
  if (c < 0xe0) return 2;
  if (c < 0xf0) return 3;
  return 4;
}

char* PutHex4(char* p, uint32_t v, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  *p++ = '\\';
  *p++ = 'u';
  for (int shift = 12; shift >= 0; shift -= 4) *p++ = digits[(v >> shift) & 0xf];
  return p;
}

double ParseEnvDouble(const char* name, const char* text, bool& ok) {
  char* end = nullptr;
  double v = std::strtod(text, &end);
  ok = end != text && *end == '\0' && std::isfinite(v);
  if (!ok) std::fprintf(stderr, "warning: ignoring %s=%s: not a number\n", name, text);
  return v;
}

}  // namespace

std::string_view MalformationName(Malformation m) {
  auto i = static_cast<size_t>(m);
  return i < std::size(kMalformationNames) ? kMalformationNames[i] : "unknown";
}

std::string_view RecordKeyName(RecordKey k) {
  constexpr std::string_view kNames[] = {"user_id", "none", "source_ip"};  // RecordKey's order
  static_assert(std::size(kNames) == kRecordKeys.size());
  auto i = static_cast<size_t>(k);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

void ApplyLabEnvironment(GeneratorOptions& options) {
  bool ok = false;
  if (const char* v = std::getenv("TARGET_RPS"); v && *v) {
    double rate = ParseEnvDouble("TARGET_RPS", v, ok);
    if (ok && rate > 0) options.rate = rate;
  }
  if (const char* v = std::getenv("ADDITIONAL_TERM"); v && *v) options.additional_term = v;
  if (const char* v = std::getenv("ADDITIONAL_TERM_RATE"); v && *v) {
    double rate = ParseEnvDouble("ADDITIONAL_TERM_RATE", v, ok);
    if (ok && rate >= 0 && rate <= 1) options.additional_term_rate = rate;
  }
}

Status ValidateGeneratorOptions(const GeneratorOptions& o) {
  auto fraction = [](const char* name, double v) -> Status {
    if (!(v >= 0 && v <= 1)) {
      return Status::InvalidArgument(
          std::string(name) + " must be a fraction between 0 and 1, got " + std::to_string(v));
    }
    return Status::Ok();
  };
  if (!(o.rate > 0) || !std::isfinite(o.rate)) {
    return Status::InvalidArgument("--rate must be a positive number of records per second");
  }
  if (o.count && *o.count < 0) return Status::InvalidArgument("--count must not be negative");
  if (o.users < 1) return Status::InvalidArgument("--users must be at least 1");
  if (o.ips < 1 || o.ips > 65536) return Status::InvalidArgument("--ips must be in 1..65536");
  if (o.severity_weights.size() != 4) {
    return Status::InvalidArgument(
        "severity weights: give 4 weights (Low, Medium, High, Critical)");
  }
  double sum = 0;
  for (double w : o.severity_weights) {
    if (!(w >= 0) || !std::isfinite(w)) {
      return Status::InvalidArgument("--severity-mix weights must be non-negative numbers");
    }
    sum += w;
  }
  if (!(sum > 0)) return Status::InvalidArgument("--severity-mix weights must not all be 0");
  if (o.additional_term.empty() || o.additional_term.size() > 256 ||
      !IsValidUtf8(o.additional_term)) {
    return Status::InvalidArgument("--term must be 1 to 256 bytes of valid UTF-8");
  }
  SLUICE_RETURN_IF_ERROR(fraction("--term-rate", o.additional_term_rate));
  SLUICE_RETURN_IF_ERROR(fraction("--vulnerability-rate", o.vulnerability_rate));
  if (o.additional_term_rate + o.vulnerability_rate > 1) {
    return Status::InvalidArgument("--term-rate plus --vulnerability-rate must not exceed 1");
  }
  SLUICE_RETURN_IF_ERROR(fraction("--late-fraction", o.late_fraction));
  SLUICE_RETURN_IF_ERROR(fraction("--malformed-fraction", o.malformed_fraction));
  SLUICE_RETURN_IF_ERROR(fraction("--case-mix", o.case_mix));
  SLUICE_RETURN_IF_ERROR(fraction("--escape-rate", o.escape_rate));
  SLUICE_RETURN_IF_ERROR(fraction("--unicode-rate", o.unicode_rate));
  SLUICE_RETURN_IF_ERROR(fraction("hot user rate", o.hot_user_rate));
  if (o.jitter_ms < 0) return Status::InvalidArgument("--jitter must not be negative");
  if (o.late_by_ms < 0) return Status::InvalidArgument("--late-by must not be negative");
  return Status::Ok();
}

struct Generator::Fields {
  int64_t ts;
  std::string_view status;
  std::string_view severity;
  int ip;
  int user;
  bool escaped;
  Malformation broken;  // kCount: not broken
};

Generator::Generator(const GeneratorOptions& options) : options_(options) {
  // Clamp what would be undefined behaviour; ValidateGeneratorOptions reports it to users.
  if (!(options_.rate > 0)) options_.rate = 1;
  if (options_.users < 1) options_.users = 1;
  if (options_.ips < 1) options_.ips = 1;
  if (options_.ips > 65536) options_.ips = 65536;
  if (options_.jitter_ms < 0) options_.jitter_ms = 0;
  if (options_.additional_term.empty() || !IsValidUtf8(options_.additional_term)) {
    options_.additional_term = "crash";
  }
  start_ms_ = options_.start_ms ? *options_.start_ms
                                : std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
  uint64_t s = options_.seed;
  for (auto& word : rng_) word = SplitMix64(s);

  double sum = 0;
  for (size_t i = 0; i < 4; ++i) {
    double w = i < options_.severity_weights.size() ? options_.severity_weights[i] : 0;
    sum += (w > 0 && std::isfinite(w)) ? w : 0;
    severity_cdf_[i] = sum;
  }
  for (auto& c : severity_cdf_) c = sum > 0 ? c / sum : 1;
  severity_cdf_[3] = 1.0;  // rounding must never leave a gap past Critical

  size_t at = 0;
  for (size_t i = 0; i < std::size(kStatusPercent); ++i) {
    for (int k = 0; k < kStatusPercent[i]; ++k) status_table_[at++] = static_cast<uint8_t>(i);
  }
  hot_users_ = std::max(1, options_.users / 100);
  hot_stride_ = std::max(1, options_.users / hot_users_);
  for (char c : options_.additional_term) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) term_needs_escape_ = true;
  }
  // Worst case: every content byte becomes a 6-byte escape; the rest of a line is < 400 bytes.
  content_.reserve(512 + options_.additional_term.size());
  line_.resize(6 * (512 + options_.additional_term.size()) + 1024);
}

uint64_t Generator::NextRandom() {
  const uint64_t result = Rotl(rng_[1] * 5, 7) * 9;
  const uint64_t t = rng_[1] << 17;
  rng_[2] ^= rng_[0];
  rng_[3] ^= rng_[1];
  rng_[1] ^= rng_[2];
  rng_[0] ^= rng_[3];
  rng_[2] ^= t;
  rng_[3] = Rotl(rng_[3], 45);
  return result;
}

uint64_t Generator::Below(uint64_t n) {
  // Lemire's multiply-shift: the bias (< n / 2^64) is irrelevant here.
  __extension__ using U128 = unsigned __int128;
  return static_cast<uint64_t>((static_cast<U128>(NextRandom()) * n) >> 64);
}

double Generator::Uniform() { return static_cast<double>(NextRandom() >> 11) * 0x1.0p-53; }

int64_t Generator::NominalTime(int64_t i) const {
  return start_ms_ +
         static_cast<int64_t>(std::floor(static_cast<double>(i) * 1000.0 / options_.rate));
}

size_t Generator::Next(size_t n, std::string& out) {
  size_t made = 0;
  while (made < n && !Exhausted()) {
    std::string_view rec = WriteOne();
    out.append(rec);
    out.push_back('\n');
    ++made;
  }
  return made;
}

void Generator::AppendTerm(std::string_view term) {
  const size_t from = content_.size();
  content_.append(term);
  if (!Chance(options_.case_mix)) return;
  const uint64_t how = Below(3);
  uint64_t bits = NextRandom();
  for (size_t i = from; i < content_.size(); ++i) {
    auto c = static_cast<unsigned char>(content_[i]);
    if (!IsAsciiLetter(c)) continue;
    bool upper = true;  // how == 0: UPPER
    if (how == 1) {
      upper = i == from;  // Capitalized
    } else if (how == 2) {
      upper = bits & 1;  // mIxEd
      bits >>= 1;
    }
    content_[i] = static_cast<char>(upper ? (c & ~0x20u) : (c | 0x20u));
  }
}

void Generator::BuildContent() {
  content_.clear();
  const double u = options_.additional_term_rate + options_.vulnerability_rate > 0 ? Uniform() : 1;
  const Template* t = nullptr;
  std::string_view term;
  if (u < options_.additional_term_rate) {
    t = &kWithTerm[Below(std::size(kWithTerm))];
    term = options_.additional_term;
  } else if (u < options_.additional_term_rate + options_.vulnerability_rate) {
    t = &kWithVulnerability[Below(std::size(kWithVulnerability))];
    term = "vulnerability";
  } else {
    t = &kNormal[Below(std::size(kNormal))];
  }
  const bool unicode = Chance(options_.unicode_rate);
  const bool prefix = unicode && (NextRandom() & 1);
  std::string_view text = unicode ? kUnicode[Below(std::size(kUnicode))] : "";
  if (prefix) {
    content_.append(text);
    content_.append(": ");
  }
  content_.append(t->head);
  if (t->slot == Slot::kTerm) {
    AppendTerm(term);
  } else if (t->slot == Slot::kNumber) {
    char digits[24];
    char* end = PutInt(digits, static_cast<int64_t>(Below(t->range)));
    content_.append(digits, static_cast<size_t>(end - digits));
  }
  content_.append(t->tail);
  if (unicode && !prefix) {
    content_.append(" (");
    content_.append(text);
    content_.push_back(')');
  }
}

void Generator::CorruptContent() {
  size_t at = static_cast<size_t>(Below(content_.size() + 1));
  // Move to a character boundary so the bad bytes are the only invalid UTF-8 on the line.
  while (at < content_.size() && (static_cast<unsigned char>(content_[at]) & 0xc0) == 0x80) ++at;
  content_.insert(at, kBadUtf8[Below(std::size(kBadUtf8))]);
}

char* Generator::PutContent(char* p, bool escaped) {
  *p++ = '"';
  if (!escaped && !content_needs_escape_) {
    p = Put(p, content_);
    *p++ = '"';
    return p;
  }
  uint64_t bits = 0;
  int left = 0;
  auto coin = [&](int k) -> uint64_t {  // k random bits, drawn 64 at a time
    if (left < k) {
      bits = NextRandom();
      left = 64;
    }
    uint64_t v = bits & ((uint64_t{1} << k) - 1);
    bits >>= k;
    left -= k;
    return v;
  };
  const size_t n = content_.size();
  for (size_t i = 0; i < n;) {
    const auto c = static_cast<unsigned char>(content_[i]);
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      const char* shortform = c == '\n'   ? "n"
                              : c == '\t' ? "t"
                              : c == '\r' ? "r"
                              : c == '\b' ? "b"
                              : c == '\f' ? "f"
                                          : nullptr;
      if (shortform) {
        *p++ = '\\';
        *p++ = *shortform;
      } else {
        p = PutHex4(p, c, false);
      }
      ++i;
    } else if (!escaped) {
      *p++ = static_cast<char>(c);  // plain: bytes (also of invalid UTF-8) pass through
      ++i;
    } else if (c == '/') {
      if (coin(1)) *p++ = '\\';
      *p++ = '/';
      ++i;
    } else if (c < 0x80) {
      if (IsAsciiLetter(c) && coin(2) == 0) {
        p = PutHex4(p, c, coin(1) != 0);
      } else {
        *p++ = static_cast<char>(c);
      }
      ++i;
    } else {
      const size_t len = std::min(Utf8Length(c), n - i);
      if (coin(1)) {
        uint32_t cp = len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
        for (size_t k = 1; k < len; ++k)
          cp = (cp << 6) | (static_cast<unsigned char>(content_[i + k]) & 0x3fu);
        const bool upper = coin(1) != 0;
        if (cp >= 0x10000) {
          cp -= 0x10000;
          p = PutHex4(p, 0xd800 + (cp >> 10), upper);
          p = PutHex4(p, 0xdc00 + (cp & 0x3ff), upper);
        } else {
          p = PutHex4(p, cp, upper);
        }
      } else {
        p = Put(p, std::string_view(content_).substr(i, len));
      }
      i += len;
    }
  }
  *p++ = '"';
  return p;
}

char* Generator::PutObject(char* p, const Fields& f) {
  using M = Malformation;
  const M b = f.broken;
  bool first = true;
  auto key = [&](std::string_view name) {
    p = Put(p, first ? "{\"" : ", \"");
    first = false;
    p = Put(p, name);
    p = Put(p, "\": ");
  };
  if (b != M::kMissingTimestamp) {
    key("timestamp");
    switch (b) {
      case M::kTimestampString:
        *p++ = '"';
        p = PutInt(p, f.ts);
        *p++ = '"';
        break;
      case M::kTimestampFloat:
        if (NextRandom() & 1) {
          p = std::to_chars(p, p + 32, static_cast<double>(f.ts), std::chars_format::scientific)
                  .ptr;
        } else {
          p = Put(PutInt(p, f.ts), ".0");
        }
        break;
      case M::kTimestampNull:
        p = Put(p, "null");
        break;
      case M::kTimestampBool:
        p = Put(p, (NextRandom() & 1) ? "true" : "false");
        break;
      case M::kTimestampHuge:
        p = Put(p, "9223372036854775808");
        break;
      default:
        p = PutInt(p, f.ts);
    }
  }
  key("status");
  *p++ = '"';
  p = Put(p, f.status);
  *p++ = '"';
  if (b != M::kMissingSeverity) {
    key("severity");
    if (b == M::kSeverityNumber) {
      p = PutInt(p, static_cast<int64_t>(Below(4)));
    } else if (b == M::kSeverityNaN) {
      p = Put(p, "NaN");
    } else {
      *p++ = '"';
      p = Put(p, f.severity);
      *p++ = '"';
    }
  }
  if (b != M::kMissingSourceIp) {
    key("source_ip");
    *p++ = '"';
    p = PutSourceIp(p, f.ip);
    *p++ = '"';
  }
  if (b != M::kMissingUserId) {
    key("user_id");
    if (b == M::kUserIdNull) {
      p = Put(p, "null");
    } else {
      *p++ = '"';
      p = Put(p, std::string_view(key_, key_len_));
      *p++ = '"';
    }
  }
  if (b != M::kMissingContent) {
    key("content");
    if (b == M::kContentObject) {
      p = Put(p, "{\"text\": ");
      p = PutContent(p, f.escaped);
      *p++ = '}';
    } else {
      p = PutContent(p, f.escaped);
    }
  }
  if (first) *p++ = '{';
  *p++ = '}';
  return p;
}

char* Generator::PutMalformed(char* p, const Fields& f) {
  using M = Malformation;
  switch (f.broken) {
    case M::kTruncated: {
      char* begin = p;
      char* end = PutObject(p, f);
      // Any strict prefix of an object is invalid JSON; keep at least "{".
      return begin + 1 + Below(static_cast<uint64_t>(end - begin - 1));
    }
    case M::kPlainText:
      return Put(p, kPlainText[Below(std::size(kPlainText))]);
    case M::kArray:
      *p++ = '[';
      p = PutObject(p, f);
      *p++ = ']';
      return p;
    case M::kEmptyObject:
      return Put(p, (NextRandom() & 1) ? "{}" : "{ }");
    case M::kTrailingGarbage:
      p = PutObject(p, f);
      return Put(p, kTrailing[Below(std::size(kTrailing))]);
    case M::kBlank:
      return Put(p, kBlank[Below(std::size(kBlank))]);
    default:
      return PutObject(p, f);  // field-level: missing, mistyped, invalid UTF-8
  }
}

std::string_view Generator::WriteOne() {
  const int64_t i = produced_++;
  Fields f{};
  f.ts = NominalTime(i);
  const bool late = Chance(options_.late_fraction);
  if (late) f.ts -= options_.late_by_ms;
  if (options_.jitter_ms > 0)
    f.ts -= static_cast<int64_t>(Below(static_cast<uint64_t>(options_.jitter_ms) + 1));

  f.status = kStatuses[status_table_[Below(100)]];
  const double s = Uniform();
  size_t sev = 0;
  while (sev < 3 && s >= severity_cdf_[sev]) ++sev;
  f.severity = kSeverities[sev];
  f.ip = static_cast<int>(Below(static_cast<uint64_t>(options_.ips)));
  ip_ = f.ip;
  int user = Chance(options_.hot_user_rate)
                 ? static_cast<int>(Below(static_cast<uint64_t>(hot_users_))) * hot_stride_
                 : static_cast<int>(Below(static_cast<uint64_t>(options_.users)));
  f.user = user;
  std::memcpy(key_, "user_", 5);
  key_len_ = static_cast<size_t>(PutInt(key_ + 5, 1000 + int64_t{user}) - key_);

  BuildContent();
  f.escaped = Chance(options_.escape_rate);
  content_needs_escape_ = term_needs_escape_;
  if (f.escaped && (NextRandom() & 1)) {
    content_.append(kEscapeSuffix[Below(std::size(kEscapeSuffix))]);
    content_needs_escape_ = true;
  }
  f.broken = Malformation::kCount;
  if (Chance(options_.malformed_fraction)) {
    f.broken = static_cast<Malformation>(Below(static_cast<uint64_t>(Malformation::kCount)));
    if (f.broken == Malformation::kInvalidUtf8) {
      f.escaped = false;  // the escaper would decode the bad bytes; write them raw
      CorruptContent();
    }
  }
  char* begin = line_.data();
  char* end = f.broken == Malformation::kCount ? PutObject(begin, f) : PutMalformed(begin, f);
  return std::string_view(begin, static_cast<size_t>(end - begin));
}

std::string_view Generator::SourceIpKey() {
  return std::string_view(ip_key_, static_cast<size_t>(PutSourceIp(ip_key_, ip_) - ip_key_));
}

int64_t Generator::Skip(int64_t n) {
  int64_t skipped = 0;
  while (skipped < n && !Exhausted()) {
    WriteOne();
    ++skipped;
  }
  return skipped;
}

}  // namespace sluice
