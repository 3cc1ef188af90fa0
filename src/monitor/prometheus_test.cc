#include "monitor/prometheus.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "monitor/testing/synthetic_run.h"

namespace sluice {
namespace {

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter/gauge
  std::set<std::string> helped;
  std::map<std::string, double> samples;  // "name{labels}" -> value
  std::vector<std::string> errors;
};

// A strict reading of the text format 0.0.4: HELP and TYPE before a family's samples, valid
// metric and label names, quoted and escaped label values, a float value.
Exposition ParseExposition(const std::string& text) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
  static const std::regex kType(
      R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\[\\"n]|[^\\"\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(\\[\\"n]|[^\\"\n])*")*\})? ([-+]?([0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|NaN|Inf)))");
  Exposition e;
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, kHelp)) {
      e.helped.insert(m[1]);
    } else if (std::regex_match(line, m, kType)) {
      if (e.types.count(m[1])) e.errors.push_back("TYPE twice: " + line);
      e.types[m[1]] = m[2];
    } else if (std::regex_match(line, m, kSample)) {
      std::string name = m[1];
      if (!e.types.count(name) || !e.helped.count(name))
        e.errors.push_back("no HELP/TYPE before: " + line);
      e.samples[line.substr(0, line.rfind(' '))] = std::stod(m[7]);
    } else {
      e.errors.push_back("bad line: " + line);
    }
  }
  if (!text.empty() && text.back() != '\n') e.errors.push_back("no final newline");
  return e;
}

TEST(Prometheus, ExpositionIsValidAndNamedByConvention) {
  RunMonitor m;
  SyntheticRun run(1768142570000);
  run.Start(m);
  for (int i = 0; i < 5; ++i) run.Step(m);
  Exposition e = ParseExposition(PrometheusText(m));
  EXPECT_TRUE(e.errors.empty()) << e.errors.front();
  for (const auto& [name, type] : e.types) {
    bool total = name.size() > 6 && name.substr(name.size() - 6) == "_total";
    EXPECT_EQ(type == "counter", total) << name << " is a " << type;
    EXPECT_TRUE(name.rfind("sluice_", 0) == 0 || name.rfind("process_", 0) == 0) << name;
  }
  for (const char* name :
       {"sluice_input_rows_total", "sluice_processed_rows_per_second",
        "sluice_batch_duration_seconds", "sluice_state_rows", "sluice_state_memory_bytes",
        "sluice_watermark_seconds", "sluice_watermark_gap_seconds", "sluice_late_rows_total",
        "sluice_malformed_rows_total", "process_resident_memory_bytes"}) {
    EXPECT_TRUE(e.types.count(name)) << name;
  }
  EXPECT_EQ(e.samples.at("sluice_triggers_total"), 5);
  EXPECT_EQ(e.samples.at("sluice_watermark_gap_seconds"), 5.0);
  EXPECT_TRUE(e.samples.count("sluice_partition_lag{partition=\"2\"}"));
  EXPECT_TRUE(e.samples.count("sluice_batch_phase_duration_seconds{phase=\"parse_filter\"}"));
  EXPECT_TRUE(
      e.samples.count("sluice_operator_output_rows_total{operator_id=\"2\",operator=\"Filter\"}"));
}

TEST(Prometheus, EscapesLabelValues) {
  RunMonitor m;
  QueryInfo q;
  q.name = "q\"1\\\nx";
  m.SetQueryInfo(q);
  std::string text = PrometheusText(m);
  Exposition e = ParseExposition(text);
  EXPECT_TRUE(e.errors.empty()) << e.errors.front();
  EXPECT_NE(text.find(R"(name="q\"1\\\nx")"), std::string::npos) << text;
}

TEST(Prometheus, OmitsEventTimeGaugesBeforeAWatermarkExists) {
  RunMonitor m;
  Exposition e = ParseExposition(PrometheusText(m));
  EXPECT_TRUE(e.errors.empty());
  EXPECT_FALSE(e.types.count("sluice_watermark_seconds"));
  EXPECT_EQ(e.samples.at("sluice_input_rows_total"), 0);
}

}  // namespace
}  // namespace sluice
