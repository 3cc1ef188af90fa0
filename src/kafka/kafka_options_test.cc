#include "kafka/kafka_options.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>

namespace sluice {
namespace {

std::string WriteTemp(const std::string& text) {
  char name[] = "/tmp/sluice_kafka_conf_XXXXXX";
  int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  std::FILE* f = fdopen(fd, "w");
  std::fputs(text.c_str(), f);
  std::fclose(f);
  return name;
}

// Parses `args` (after the program name) with AddKafkaFlags; returns the error text or "".
std::string Parse(std::vector<std::string> args, KafkaClientOptions& o) {
  CLI::App app;
  AddKafkaFlags(app, o);
  std::vector<const char*> argv{"prog"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(KafkaOptions, ConfigFileThenDashXInOrder) {
  std::string file = WriteTemp(
      "# comment\n! also a comment\n\nsecurity.protocol = SASL_SSL\nsasl.mechanism: PLAIN\n"
      "linger.ms=5\n");
  KafkaClientOptions o;
  EXPECT_EQ(Parse({"-X", "linger.ms=50", "--kafka-config", file, "-X", "client.id=x", "--group-id",
                   "g", "--starting-offsets", "earliest"},
                  o),
            "");
  ASSERT_EQ(o.properties.size(), 5u);
  EXPECT_EQ(o.properties[0],
            (std::pair<std::string, std::string>{"security.protocol", "SASL_SSL"}));
  EXPECT_EQ(o.properties[1], (std::pair<std::string, std::string>{"sasl.mechanism", "PLAIN"}));
  EXPECT_EQ(o.properties[2].second, "5");
  EXPECT_EQ(o.properties[3], (std::pair<std::string, std::string>{"linger.ms", "50"}));  // -X wins
  EXPECT_EQ(o.properties[4].first, "client.id");
  EXPECT_EQ(o.group_id, "g");
  EXPECT_EQ(o.starting_offsets, "earliest");
  EXPECT_TRUE(o.starting_offsets_set);
  std::remove(file.c_str());
}

TEST(KafkaOptions, UnknownPropertyIsNamed) {
  KafkaClientOptions o;
  std::string err = Parse({"-X", "no.such.thing=1"}, o);
  EXPECT_NE(err.find("no.such.thing"), std::string::npos) << err;
  EXPECT_NE(err.find("No such configuration property"), std::string::npos) << err;
}

TEST(KafkaOptions, BadValueAndMissingEqualsAreErrors) {
  KafkaClientOptions o;
  EXPECT_NE(Parse({"-X", "linger.ms=soon"}, o).find("linger.ms"), std::string::npos);
  EXPECT_NE(Parse({"-X", "linger.ms"}, o).find("key=value"), std::string::npos);
  EXPECT_NE(Parse({"--starting-offsets", "middle"}, o), "");
}

TEST(KafkaOptions, ConfigFileErrorsNameLine) {
  std::string file = WriteTemp("linger.ms=1\njust-a-word\n");
  Result<KafkaProperties> p = ReadKafkaConfigFile(file);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find(file + ":2"), std::string::npos) << p.status().message();
  std::remove(file.c_str());
  EXPECT_FALSE(ReadKafkaConfigFile("/nonexistent/x.properties").ok());
}

TEST(KafkaOptions, ResolvePrecedenceFlagsOverUrlOverDefaults) {
  KafkaClientOptions o;
  Result<KafkaEndpoint> ep =
      ResolveKafkaEndpoint("kafka://h:1/t?group.id=ug&startingOffsets=earliest&linger.ms=3", o);
  ASSERT_TRUE(ep.ok()) << ep.status().message();
  EXPECT_EQ(ep->group_id, "ug");
  EXPECT_EQ(ep->starting_offsets, "earliest");
  ASSERT_EQ(ep->properties.size(), 1u);
  EXPECT_EQ(ep->properties[0].first, "linger.ms");

  o.group_id = "flag";
  o.starting_offsets = "latest";
  o.starting_offsets_set = true;
  ep = ResolveKafkaEndpoint("kafka://h:1/t?group.id=ug&startingOffsets=earliest", o);
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->group_id, "flag");
  EXPECT_EQ(ep->starting_offsets, "latest");

  ep = ResolveKafkaEndpoint("kafka://h:1/t", KafkaClientOptions{});
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->group_id.rfind("sluice-", 0), 0u);  // a fresh group per run
  EXPECT_NE(ep->group_id, ResolveKafkaEndpoint("kafka://h:1/t", KafkaClientOptions{})->group_id);
  EXPECT_EQ(ep->starting_offsets, "latest");
}

TEST(KafkaOptions, ResolveRejectsBadUrlProperty) {
  Result<KafkaEndpoint> ep =
      ResolveKafkaEndpoint("kafka://h:1/t?bogus.prop=1", KafkaClientOptions{});
  ASSERT_FALSE(ep.ok());
  EXPECT_EQ(ep.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ep.status().message().find("bogus.prop"), std::string::npos);
}

}  // namespace
}  // namespace sluice
