#include "gen/generator.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.h"

namespace sluice {
namespace {

// A strict JSON reader just big enough to check generated lines, independent of the generator
// (gen_test links only sluice_gen). Top-level object members are kept with their JSON type and,
// for strings, the decoded text; for integers, whether they fit int64.
struct Member {
  char type = 0;  // 's' string, 'i' integer, 'f' other number, 'b' bool, 'n' null, 'o', 'a'
  std::string text;
  bool fits_int64 = false;
  int64_t int_value = 0;
};

class MiniJson {
 public:
  explicit MiniJson(std::string_view s) : s_(s) {}
  // True if s is exactly one JSON object (surrounding whitespace allowed) of valid UTF-8.
  bool ParseObjectLine(std::map<std::string, Member>& members) {
    if (!IsValidUtf8(s_)) return false;
    Ws();
    if (!Peek('{')) return false;
    if (!Object(&members)) return false;
    Ws();
    return i_ == s_.size();
  }

 private:
  bool Peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n'))
      ++i_;
  }
  bool Lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  static void Utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  bool Hex4(uint32_t& v) {
    if (i_ + 4 > s_.size()) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) return false;
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return true;
  }
  bool String(std::string& out) {
    if (!Lit("\"")) return false;
    while (i_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(cp)) return false;
          if (cp >= 0xdc00 && cp <= 0xdfff) return false;
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo = 0;
            if (!Lit("\\u") || !Hex4(lo) || lo < 0xdc00 || lo > 0xdfff) return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          Utf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }
  bool Number(Member& m) {
    size_t b = i_;
    if (Peek('-')) ++i_;
    if (Peek('0')) {
      ++i_;
    } else if (i_ < s_.size() && s_[i_] >= '1' && s_[i_] <= '9') {
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    } else {
      return false;
    }
    bool integer = true;
    if (Peek('.')) {
      integer = false;
      ++i_;
      size_t d = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (d == i_) return false;
    }
    if (Peek('e') || Peek('E')) {
      integer = false;
      ++i_;
      if (Peek('+') || Peek('-')) ++i_;
      size_t d = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (d == i_) return false;
    }
    m.type = integer ? 'i' : 'f';
    if (integer) {
      std::string digits(s_.substr(b, i_ - b));
      errno = 0;
      m.int_value = std::strtoll(digits.c_str(), nullptr, 10);
      m.fits_int64 = errno == 0;
    }
    return true;
  }
  bool Value(Member& m) {
    Ws();
    if (Peek('"')) {
      m.type = 's';
      return String(m.text);
    }
    if (Peek('{')) {
      m.type = 'o';
      return Object(nullptr);
    }
    if (Peek('[')) {
      m.type = 'a';
      ++i_;
      Ws();
      if (Lit("]")) return true;
      for (;;) {
        Member inner;
        if (!Value(inner)) return false;
        Ws();
        if (Lit("]")) return true;
        if (!Lit(",")) return false;
      }
    }
    if (Lit("true") || Lit("false")) {
      m.type = 'b';
      return true;
    }
    if (Lit("null")) {
      m.type = 'n';
      return true;
    }
    return Number(m);
  }
  bool Object(std::map<std::string, Member>* members) {
    if (!Lit("{")) return false;
    Ws();
    if (Lit("}")) return true;
    for (;;) {
      Ws();
      std::string key;
      if (!String(key)) return false;
      Ws();
      if (!Lit(":")) return false;
      Member m;
      if (!Value(m)) return false;
      if (members) (*members)[key] = m;
      Ws();
      if (Lit("}")) return true;
      if (!Lit(",")) return false;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

// A line is well-formed when it is one object with all six fields of the right types.
bool WellFormed(std::string_view line, std::map<std::string, Member>& m) {
  m.clear();
  if (!MiniJson(line).ParseObjectLine(m)) return false;
  for (const char* f : {"status", "severity", "source_ip", "user_id", "content"}) {
    auto it = m.find(f);
    if (it == m.end() || it->second.type != 's') return false;
  }
  auto ts = m.find("timestamp");
  return ts != m.end() && ts->second.type == 'i' && ts->second.fits_int64;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t b = 0;
  for (size_t e; (e = text.find('\n', b)) != std::string::npos; b = e + 1)
    out.push_back(text.substr(b, e - b));
  EXPECT_EQ(b, text.size()) << "every record ends with a newline";
  return out;
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

GeneratorOptions Base() {
  GeneratorOptions o;
  o.count = 100'000;
  o.paced = false;
  o.start_ms = 1'768'142'570'000;
  return o;
}

std::string Generate(const GeneratorOptions& o, size_t chunk = 4096) {
  Generator g(o);
  std::string out;
  while (g.Next(chunk, out) > 0) {
  }
  return out;
}

TEST(GeneratorTest, SameSeedGivesSameBytesWhateverTheChunking) {
  GeneratorOptions o = Base();
  o.count = 20'000;
  o.malformed_fraction = 0.05;
  o.escape_rate = 0.5;
  o.unicode_rate = 0.5;
  o.jitter_ms = 5000;
  EXPECT_EQ(Generate(o, 1), Generate(o, 7777));
}

TEST(GeneratorTest, RecordsAfterSkipEqualThoseOfAnUninterruptedRun) {
  // Every random feature on, so skipping must make the same random draws as generating.
  GeneratorOptions o = Base();
  o.count = 25'000;
  o.seed = 1234;
  o.jitter_ms = 500;
  o.late_fraction = 0.01;
  o.malformed_fraction = 0.02;
  const std::vector<std::string> all = Lines(Generate(o));
  ASSERT_EQ(all.size(), 25'000u);
  for (int64_t n : {0, 1, 9'999, 20'000, 24'999}) {
    SCOPED_TRACE(n);
    Generator g(o);
    EXPECT_EQ(g.Skip(n), n);
    EXPECT_EQ(g.produced(), n);
    std::string rest;
    while (g.Next(4096, rest) > 0) {
    }
    EXPECT_EQ(Lines(rest), std::vector<std::string>(all.begin() + n, all.end()));
  }
}

TEST(GeneratorTest, SkipStopsAtTheCount) {
  GeneratorOptions o = Base();
  o.count = 100;
  Generator g(o);
  EXPECT_EQ(g.Skip(150), 100);
  EXPECT_EQ(g.produced(), 100);
  std::string rest;
  EXPECT_EQ(g.Next(10, rest), 0u);
  EXPECT_TRUE(rest.empty());
}

TEST(GeneratorTest, DifferentSeedGivesDifferentBytes) {
  GeneratorOptions a = Base();
  a.count = 1000;
  GeneratorOptions b = a;
  b.seed = a.seed + 1;
  EXPECT_NE(Generate(a), Generate(b));
}

TEST(GeneratorTest, CountIsHonoured) {
  GeneratorOptions o = Base();
  o.count = 1234;
  o.malformed_fraction = 0.2;  // blank and truncated lines still count as records
  Generator g(o);
  std::string out;
  EXPECT_EQ(g.Next(1000, out), 1000u);
  EXPECT_EQ(g.Next(1000, out), 234u);
  EXPECT_EQ(g.Next(1000, out), 0u);
  EXPECT_EQ(g.produced(), 1234);
  EXPECT_EQ(Lines(out).size(), 1234u);

  Generator each(o);
  size_t calls = 0;
  std::string joined;
  while (each.NextEach(500, [&](std::string_view rec, std::string_view key) {
    ++calls;
    EXPECT_EQ(key.substr(0, 5), "user_");
    joined.append(rec);
    joined.push_back('\n');
  }) > 0) {
  }
  EXPECT_EQ(calls, 1234u);
  EXPECT_EQ(joined, out);
}

// The value of `"name": "..."` where a line holds it whole (malformed lines included).
std::optional<std::string> QuotedField(std::string_view line, std::string_view name) {
  const std::string open = "\"" + std::string(name) + "\": \"";
  size_t b = line.find(open);
  if (b == std::string_view::npos) return std::nullopt;
  b += open.size();
  size_t e = line.find('"', b);
  if (e == std::string_view::npos) return std::nullopt;
  return std::string(line.substr(b, e - b));
}

// The number at the start of s, which must be followed by `then` (or end s when then is 0).
std::optional<int> LeadingInt(std::string_view& s, char then) {
  int v = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || v < 0) return std::nullopt;
  s.remove_prefix(static_cast<size_t>(p - s.data()));
  if (then == 0) return s.empty() ? std::optional<int>(v) : std::nullopt;
  if (s.empty() || s.front() != then) return std::nullopt;
  s.remove_prefix(1);
  return v;
}

// True if key is user_N with N in [1000, 1000 + users).
bool IsUserKey(std::string_view key, int users) {
  if (!key.starts_with("user_")) return false;
  key.remove_prefix(5);
  std::optional<int> n = LeadingInt(key, 0);
  return n && *n >= 1000 && *n < 1000 + users;
}

// True if key is 10.0.A.B with A * 256 + B < ips.
bool IsSourceIpKey(std::string_view key, int ips) {
  if (!key.starts_with("10.0.")) return false;
  key.remove_prefix(5);
  std::optional<int> a = LeadingInt(key, '.');
  std::optional<int> b = a ? LeadingInt(key, 0) : std::nullopt;
  return b && *b < 256 && *a * 256 + *b < ips;
}

TEST(GeneratorTest, NextEachKeyIsTheUserIdTheSourceIpOrNothing) {
  GeneratorOptions o = Base();
  o.count = 20'000;
  o.ips = 1000;
  o.malformed_fraction = 0.3;
  const std::string expected = Generate(o);
  for (RecordKey which : kRecordKeys) {
    SCOPED_TRACE(RecordKeyName(which));
    const char* field = which == RecordKey::kSourceIp ? "source_ip" : "user_id";
    Generator g(o);
    std::string joined;
    int matched = 0;        // the line holds the field, and the key equals it
    int without_field = 0;  // malformed: no such field (or not JSON), yet a key all the same
    std::set<std::string> distinct;
    while (g.NextEach(
               777,
               [&](std::string_view rec, std::string_view key) {
                 joined.append(rec);
                 joined.push_back('\n');
                 if (which == RecordKey::kNone) {
                   EXPECT_TRUE(key.empty()) << key;
                   return;
                 }
                 EXPECT_TRUE(which == RecordKey::kUserId ? IsUserKey(key, o.users)
                                                         : IsSourceIpKey(key, o.ips))
                     << key;
                 distinct.emplace(key);
                 if (std::optional<std::string> v = QuotedField(rec, field)) {
                   EXPECT_EQ(*v, key) << rec;
                   ++matched;
                 } else {
                   ++without_field;
                 }
               },
               which) > 0) {
    }
    EXPECT_EQ(joined, expected);  // the key never changes the records
    if (which == RecordKey::kNone) continue;
    EXPECT_GT(matched, 14'000);
    EXPECT_GT(without_field, 100);  // missing field, user_id null, plain text, blank, truncated
    EXPECT_GT(distinct.size(), which == RecordKey::kUserId ? 900u : 990u);
  }
}

TEST(GeneratorTest, RecordKeyNames) {
  EXPECT_EQ(RecordKeyName(RecordKey::kUserId), "user_id");
  EXPECT_EQ(RecordKeyName(RecordKey::kNone), "none");
  EXPECT_EQ(RecordKeyName(RecordKey::kSourceIp), "source_ip");
}

TEST(GeneratorTest, UnboundedGeneratorKeepsGoing) {
  GeneratorOptions o = Base();
  o.count.reset();
  Generator g(o);
  std::string out;
  EXPECT_EQ(g.Next(10, out), 10u);
  EXPECT_EQ(g.Next(10, out), 10u);
}

TEST(GeneratorTest, EveryLineIsAWellFormedRecordWithoutMalformedFraction) {
  GeneratorOptions o = Base();
  o.escape_rate = 0.5;
  o.unicode_rate = 0.5;
  o.case_mix = 0.5;
  o.users = 50;
  o.ips = 300;
  std::map<std::string, Member> m;
  std::set<std::string> severities;
  for (const std::string& line : Lines(Generate(o))) {
    ASSERT_TRUE(WellFormed(line, m)) << line;
    severities.insert(m["severity"].text);
    const std::string& user = m["user_id"].text;
    ASSERT_EQ(user.substr(0, 5), "user_") << line;
    int u = std::atoi(user.c_str() + 5);
    EXPECT_TRUE(u >= 1000 && u < 1050) << line;
    const std::string& ip = m["source_ip"].text;
    ASSERT_EQ(ip.substr(0, 5), "10.0.") << line;
    int a = 0, b = 0;
    ASSERT_EQ(std::sscanf(ip.c_str() + 5, "%d.%d", &a, &b), 2);
    EXPECT_LT(a * 256 + b, 300);
  }
  EXPECT_EQ(severities, (std::set<std::string>{"Low", "Medium", "High", "Critical"}));
}

TEST(GeneratorTest, RatesOfTermsAndMalformedLinesAreWithinTolerance) {
  GeneratorOptions o = Base();
  o.additional_term_rate = 0.2;
  o.vulnerability_rate = 0.1;
  o.malformed_fraction = 0.05;
  o.case_mix = 0.5;
  o.escape_rate = 0.3;
  o.unicode_rate = 0.3;
  std::map<std::string, Member> m;
  int n = 0, broken = 0, crash = 0, vuln = 0, escaped = 0, non_ascii = 0, high = 0;
  for (const std::string& line : Lines(Generate(o))) {
    ++n;
    if (!WellFormed(line, m)) {
      ++broken;
      continue;
    }
    std::string lower = AsciiLower(m["content"].text);
    crash += lower.find("crash") != std::string::npos;
    vuln += lower.find("vulnerability") != std::string::npos;
    escaped += line.find("\\u") != std::string::npos;
    for (char c : m["content"].text) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        ++non_ascii;
        break;
      }
    }
    high += m["severity"].text == "High";
  }
  const double good = n - broken;
  EXPECT_NEAR(broken / double(n), 0.05, 0.005);
  EXPECT_NEAR(crash / good, 0.2, 0.01);
  EXPECT_NEAR(vuln / good, 0.1, 0.01);
  EXPECT_NEAR(non_ascii / good, 0.3, 0.015);
  EXPECT_GT(escaped / good, 0.2);  // most escaped contents have at least one \u escape
  EXPECT_NEAR(high / good, 0.15, 0.01);
}

TEST(GeneratorTest, CaseMixZeroKeepsTheTermLowercase) {
  GeneratorOptions o = Base();
  o.count = 20'000;
  o.case_mix = 0;
  o.escape_rate = 0;
  o.additional_term_rate = 1;
  o.vulnerability_rate = 0;
  for (const std::string& line : Lines(Generate(o)))
    ASSERT_NE(line.find("crash"), std::string::npos) << line;
  o.case_mix = 1;
  int lowercase = 0;
  for (const std::string& line : Lines(Generate(o)))
    lowercase += line.find("crash") != std::string::npos;
  EXPECT_LT(lowercase, 20'000 / 20);  // only mixed case that happened to be all lowercase
}

TEST(GeneratorTest, TimeFollowsRateWithJitterBoundAndLateFraction) {
  GeneratorOptions o = Base();
  o.rate = 1000;
  o.jitter_ms = 2000;
  o.late_fraction = 0.03;
  o.late_by_ms = 90'000;
  Generator g(o);
  std::string out;
  while (g.Next(4096, out) > 0) {
  }
  std::map<std::string, Member> m;
  int64_t i = 0;
  int late = 0;
  for (const std::string& line : Lines(out)) {
    ASSERT_TRUE(WellFormed(line, m)) << line;
    const int64_t ts = m["timestamp"].int_value;
    const int64_t nominal = g.NominalTime(i);
    EXPECT_EQ(nominal, o.start_ms.value() + i);  // 1000 records/s: one per millisecond
    ASSERT_LE(ts, nominal) << i;
    if (ts < nominal - o.jitter_ms) {
      ++late;
      ASSERT_LE(ts, nominal - o.late_by_ms) << i;
      ASSERT_GE(ts, nominal - o.late_by_ms - o.jitter_ms) << i;
    }
    ++i;
  }
  EXPECT_NEAR(late / double(i), 0.03, 0.003);
}

TEST(GeneratorTest, NominalTimeIsFloorOfIndexOverRate) {
  GeneratorOptions o = Base();
  o.rate = 3;
  Generator g(o);
  EXPECT_EQ(g.start_ms(), 1'768'142'570'000);
  EXPECT_EQ(g.NominalTime(0), g.start_ms());
  EXPECT_EQ(g.NominalTime(1), g.start_ms() + 333);
  EXPECT_EQ(g.NominalTime(3), g.start_ms() + 1000);
}

TEST(GeneratorTest, MalformedLinesAreVariedAndStayOnOneLine) {
  GeneratorOptions o = Base();
  o.count = 20'000;
  o.malformed_fraction = 1;
  o.escape_rate = 0.5;
  std::string out = Generate(o);
  std::vector<std::string> lines = Lines(out);
  ASSERT_EQ(lines.size(), 20'000u);
  std::map<std::string, Member> m;
  int broken = 0;
  for (const std::string& line : lines) broken += !WellFormed(line, m);
  EXPECT_EQ(broken, 20'000);
  for (const char* sign : {"NaN", "9223372036854775808", "[{", "{}", "\"timestamp\": null",
                           "\"user_id\": null", "\"content\": {\"text\"", "\xff", "e+12"}) {
    EXPECT_NE(out.find(sign), std::string::npos) << sign;
  }
}

TEST(GeneratorTest, TermWithQuotesIsEscaped) {
  GeneratorOptions o = Base();
  o.count = 2000;
  o.additional_term = "cr\"a\\sh";
  o.additional_term_rate = 0.5;
  std::map<std::string, Member> m;
  int found = 0;
  for (const std::string& line : Lines(Generate(o))) {
    ASSERT_TRUE(WellFormed(line, m)) << line;
    found += AsciiLower(m["content"].text).find("cr\"a\\sh") != std::string::npos;
  }
  EXPECT_GT(found, 800);
}

TEST(GeneratorTest, ValidateRejectsOutOfRangeOptions) {
  GeneratorOptions o;
  EXPECT_TRUE(ValidateGeneratorOptions(o).ok());
  o.late_fraction = 1.5;
  Status st = ValidateGeneratorOptions(o);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("--late-fraction"), std::string::npos);
  o = GeneratorOptions();
  o.rate = 0;
  EXPECT_FALSE(ValidateGeneratorOptions(o).ok());
  o = GeneratorOptions();
  o.severity_weights = {0, 0, 0, 0};
  EXPECT_FALSE(ValidateGeneratorOptions(o).ok());
}

TEST(GeneratorTest, LabEnvironmentSetsDefaults) {
  ::setenv("TARGET_RPS", "25000", 1);
  ::setenv("ADDITIONAL_TERM", "panic", 1);
  ::setenv("ADDITIONAL_TERM_RATE", "0.25", 1);
  GeneratorOptions o;
  ApplyLabEnvironment(o);
  EXPECT_EQ(o.rate, 25000);
  EXPECT_EQ(o.additional_term, "panic");
  EXPECT_EQ(o.additional_term_rate, 0.25);
  ::setenv("TARGET_RPS", "fast", 1);
  ApplyLabEnvironment(o);
  EXPECT_EQ(o.rate, 25000);  // unreadable: ignored
  ::unsetenv("TARGET_RPS");
  ::unsetenv("ADDITIONAL_TERM");
  ::unsetenv("ADDITIONAL_TERM_RATE");
}

}  // namespace
}  // namespace sluice
