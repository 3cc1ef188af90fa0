#include "kafka/kafka_options.h"

#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>

namespace sluice {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::string UniqueGroupId() {
  // Like Spark's spark-kafka-source-<uuid>: a run without --group-id shares its partitions with
  // nobody. (Offsets are not committed yet, so a fresh group loses nothing.)
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "sluice-%08x%04x", rd(), rd() & 0xffffu);
  return buf;
}

Status CheckKafkaProperty(const std::string& key, const std::string& value) {
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                          &rd_kafka_conf_destroy);
  char err[512];
  if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof(err)) !=
      RD_KAFKA_CONF_OK) {
    return Status::InvalidArgument("Kafka property '" + key + "': " + err);
  }
  return Status::Ok();
}

Result<KafkaProperties> ReadKafkaConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read Kafka config file '" + path + "'");
  KafkaProperties props;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    std::string_view l = Trim(line);
    if (l.empty() || l.front() == '#' || l.front() == '!') continue;
    size_t sep = l.find_first_of("=:");
    if (sep == std::string_view::npos || Trim(l.substr(0, sep)).empty()) {
      return Status::InvalidArgument(path + ":" + std::to_string(lineno) +
                                     ": expected 'key=value', got '" + std::string(l) + "'");
    }
    std::string key(Trim(l.substr(0, sep)));
    std::string value(Trim(l.substr(sep + 1)));
    if (Status st = CheckKafkaProperty(key, value); !st.ok()) {
      return Status::InvalidArgument(path + ":" + std::to_string(lineno) + ": " + st.message());
    }
    props.emplace_back(std::move(key), std::move(value));
  }
  return props;
}

void AddKafkaFlags(CLI::App& cmd, KafkaClientOptions& o, KafkaRole role) {
  // Defined before -X so that CLI11 (which runs callbacks in definition order) applies the file
  // first and -X overrides it.
  cmd.add_option_function<std::vector<std::string>>(
         "--kafka-config",
         [&o](const std::vector<std::string>& files) {
           for (const std::string& f : files) {
             Result<KafkaProperties> props = ReadKafkaConfigFile(f);
             if (!props.ok())
               throw CLI::ValidationError("--kafka-config", props.status().message());
             for (auto& kv : *props) o.properties.push_back(std::move(kv));
           }
         },
         "librdkafka properties file (key=value lines, # comments), e.g. SASL/TLS settings")
      ->type_name("FILE");
  cmd.add_option_function<std::vector<std::string>>(
         "-X",
         [&o](const std::vector<std::string>& kvs) {
           for (const std::string& kv : kvs) {
             size_t eq = kv.find('=');
             if (eq == std::string::npos || eq == 0) {
               throw CLI::ValidationError("-X", "expected key=value, got '" + kv + "'");
             }
             std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
             if (Status st = CheckKafkaProperty(key, value); !st.ok()) {
               throw CLI::ValidationError("-X", st.message());
             }
             o.properties.emplace_back(std::move(key), std::move(value));
           }
         },
         "librdkafka property passed through untouched (repeatable), e.g. -X "
         "security.protocol=SASL_SSL")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  if (role == KafkaRole::kProducer) return;
  cmd.add_option("--group-id", o.group_id,
                 "Kafka consumer group to join (default: the URL's group.id); processes given the "
                 "same group split the partitions. Without one no group is joined: the process "
                 "reads every partition itself (docs/kafka.md)");
  cmd.add_option_function<std::string>(
         "--starting-offsets",
         [&o](const std::string& v) {
           o.starting_offsets = v;
           o.starting_offsets_set = true;
         },
         "where to start reading: earliest | latest (default latest; offsets are not "
         "committed yet, so every run starts here)")
      ->check(CLI::IsMember({"earliest", "latest"}));
}

void AddKafkaDataLossFlag(CLI::App& cmd, KafkaClientOptions& o) {
  cmd.add_option_function<std::string>(
         "--fail-on-data-loss",
         [&o](const std::string& v) {
           o.fail_on_data_loss = v == "true";
           o.fail_on_data_loss_set = true;
         },
         "when records were deleted from Kafka before they were read (offset out of range): "
         "true fails the run (default), false skips to the oldest record still there and "
         "reports how many were skipped")
      ->type_name("true|false")
      ->check(CLI::IsMember({"true", "false"}));
}

Result<KafkaEndpoint> ResolveKafkaEndpoint(std::string_view url_text, const KafkaClientOptions& o) {
  Result<KafkaUrl> url = ParseKafkaUrl(url_text);
  if (!url.ok()) return url.status();
  KafkaEndpoint ep;
  ep.bootstrap = url->bootstrap;
  ep.topic = url->topic;
  ep.starting_offsets = "latest";
  for (const auto& [key, value] : url->params) {
    if (key == "group.id") {
      ep.group_id = value;
    } else if (key == "startingOffsets") {
      ep.starting_offsets = value;
    } else if (key == "failOnDataLoss") {
      if (value != "true" && value != "false") {
        return Status::InvalidArgument("in URL '" + std::string(url_text) +
                                       "': failOnDataLoss must be true or false, got '" + value +
                                       "'");
      }
      ep.fail_on_data_loss = value == "true";
    } else {
      if (Status st = CheckKafkaProperty(key, value); !st.ok()) {
        return Status::InvalidArgument("in URL '" + std::string(url_text) + "': " + st.message());
      }
      ep.properties.emplace_back(key, value);
    }
  }
  for (const auto& kv : o.properties) {
    if (kv.first == "group.id") ep.group_id = kv.second;
    ep.properties.push_back(kv);
  }
  if (!o.group_id.empty()) ep.group_id = o.group_id;
  ep.group_given = !ep.group_id.empty();
  if (ep.group_id.empty()) ep.group_id = UniqueGroupId();
  // A programmatic caller may set starting_offsets without the flag.
  if (o.starting_offsets_set || o.starting_offsets != "latest")
    ep.starting_offsets = o.starting_offsets;
  if (o.fail_on_data_loss_set || !o.fail_on_data_loss) ep.fail_on_data_loss = o.fail_on_data_loss;
  return ep;
}

}  // namespace sluice
