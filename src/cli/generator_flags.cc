#include "cli/generator_flags.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>

#include "common/duration.h"
#include "common/time_format.h"

namespace sluice::cli {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool ReadDouble(std::string_view text, double& v) {
  std::string t = Trim(text);
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  return ec == std::errc() && p == t.data() + t.size() && std::isfinite(v);
}

// "Low:50,Medium:30,High:15,Critical:5"; severities not named get weight 0.
std::vector<double> ParseSeverityMix(const std::string& text) {
  static constexpr std::string_view kNames[] = {"low", "medium", "high", "critical"};
  std::vector<double> weights(4, 0.0);
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t colon = part.find(':');
    if (colon == std::string_view::npos) {
      throw CLI::ValidationError(
          "--severity-mix",
          "expected NAME:WEIGHT pairs like Low:50,High:15, got '" + std::string(part) + "'");
    }
    std::string name = Trim(part.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t index = 0;
    while (index < 4 && kNames[index] != name) ++index;
    if (index == 4) {
      throw CLI::ValidationError(
          "--severity-mix", "unknown severity '" + name + "' (use Low, Medium, High, Critical)");
    }
    double w = 0;
    if (!ReadDouble(part.substr(colon + 1), w) || w < 0) {
      throw CLI::ValidationError("--severity-mix",
                                 "weight of " + name + " must be a non-negative number");
    }
    weights[index] = w;
  }
  double sum = weights[0] + weights[1] + weights[2] + weights[3];
  if (!(sum > 0)) throw CLI::ValidationError("--severity-mix", "weights must not all be 0");
  return weights;
}

int64_t DurationOrThrow(const char* flag, const std::string& text) {
  Result<int64_t> ms = ParseDurationMs(text);
  if (!ms.ok()) throw CLI::ValidationError(flag, ms.status().message());
  return *ms;
}

void AddFraction(CLI::App& cmd, const char* flag, double& target, const char* what) {
  cmd.add_option(flag, target, what)->check(CLI::Range(0.0, 1.0))->capture_default_str();
}

}  // namespace

void AddGeneratorFlags(CLI::App& cmd, GeneratorOptions& o) {
  cmd.add_option_function<int64_t>(
         "--count",
         [&o](const int64_t& n) {
           if (n < 0) throw CLI::ValidationError("--count", "must not be negative");
           o.count = n;
         },
         "Records to generate (default: unbounded)")
      ->type_name("N");
  cmd.add_option_function<std::string>(
         "--rate",
         [&o](const std::string& text) {
           if (text == "max") {
             o.paced = false;
             return;
           }
           double r = 0;
           if (!ReadDouble(text, r) || r <= 0) {
             throw CLI::ValidationError(
                 "--rate", "expected records per second > 0 or 'max', got '" + text + "'");
           }
           o.rate = r;
         },
         "Records per second (env TARGET_RPS); event time advances 1000/R ms per record. "
         "'max' = as fast as possible")
      ->type_name("R|max")
      ->default_str(std::to_string(static_cast<int64_t>(o.rate)));
  cmd.add_flag_callback(
      "--max-rate", [&o] { o.paced = false; },
      "Write as fast as possible; event time still follows --rate");
  cmd.add_option_function<std::string>(
         "--start",
         [&o](const std::string& text) {
           Result<int64_t> ms = ParseTimestampMs(text);
           if (!ms.ok()) throw CLI::ValidationError("--start", ms.status().message());
           o.start_ms = *ms;
         },
         "Event time of the first record: epoch ms or 2026-01-27T18:29:50Z (default: now)")
      ->type_name("TIME");
  cmd.add_option("--users", o.users, "Distinct users user_1000 .. user_(1000+N-1)")
      ->check(CLI::Range(1, 100'000'000))
      ->capture_default_str();
  cmd.add_option("--ips", o.ips, "Distinct source IPs 10.0.x.y")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd.add_option_function<std::string>(
         "--severity-mix",
         [&o](const std::string& text) { o.severity_weights = ParseSeverityMix(text); },
         "Weights of the severities")
      ->type_name("MIX")
      ->default_str("Low:50,Medium:30,High:15,Critical:5");
  cmd.add_option("--term", o.additional_term, "Word mixed into some messages (env ADDITIONAL_TERM)")
      ->capture_default_str();
  AddFraction(cmd, "--term-rate", o.additional_term_rate,
              "Fraction of records whose content contains the term (env ADDITIONAL_TERM_RATE)");
  AddFraction(cmd, "--vulnerability-rate", o.vulnerability_rate,
              "Fraction of records whose content mentions 'vulnerability'");
  cmd.add_option_function<std::string>(
         "--jitter",
         [&o](const std::string& text) { o.jitter_ms = DurationOrThrow("--jitter", text); },
         "Out of order: each event time minus uniform [0, D], e.g. 5s")
      ->type_name("DURATION")
      ->default_str("0s");
  AddFraction(cmd, "--late-fraction", o.late_fraction,
              "Fraction of records made late by --late-by");
  cmd.add_option_function<std::string>(
         "--late-by",
         [&o](const std::string& text) { o.late_by_ms = DurationOrThrow("--late-by", text); },
         "How much late records are late (plus jitter)")
      ->type_name("DURATION")
      ->default_str(FormatDurationMs(o.late_by_ms));
  AddFraction(cmd, "--malformed-fraction", o.malformed_fraction,
              "Fraction of lines broken in one of several ways (docs/generator.md)");
  AddFraction(cmd, "--case-mix", o.case_mix,
              "Fraction of terms written UPPER, Capitalized or mIxEd");
  AddFraction(cmd, "--escape-rate", o.escape_rate,
              "Fraction of contents written with JSON escapes (\\u0063rash)");
  AddFraction(cmd, "--unicode-rate", o.unicode_rate, "Fraction of contents with non-ASCII text");
  AddFraction(cmd, "--hot-user-rate", o.hot_user_rate,
              "Fraction of records from the hot 1% of users");
  cmd.add_option("--seed", o.seed, "Random seed: the same options and seed give the same bytes")
      ->capture_default_str();
}

}  // namespace sluice::cli
