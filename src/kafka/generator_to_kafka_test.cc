#include "kafka/generator_to_kafka.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kafka/dev_cluster.h"
#include "kafka/topic_dump.h"

namespace sluice {
namespace {

GeneratorOptions SmallRun() {
  GeneratorOptions o;
  o.count = 4000;
  o.paced = false;
  o.start_ms = 1'768'142'570'000;
  o.malformed_fraction = 0.1;
  return o;
}

// What the topic should hold: "KEY\tVALUE" per record as the dump writes them (KEY is a JSON
// string, or null for no key), sorted.
std::vector<std::string> Expected(const GeneratorOptions& o, RecordKey which) {
  Generator g(o);
  std::vector<std::string> lines;
  while (g.NextEach(
             1000,
             [&](std::string_view rec, std::string_view key) {
               std::string line = key.empty() ? "null" : "\"" + std::string(key) + "\"";
               lines.push_back(line + "\t" + std::string(rec));
             },
             which) > 0) {
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

struct Dumped {
  std::vector<std::string> key_and_value;  // "KEY\tVALUE", sorted
  std::map<std::string, std::set<int>> partitions_of_key;
  std::set<int> partitions;
};

Dumped Dump(const std::string& bootstrap, const std::string& topic) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* mem = open_memstream(&buf, &len);
  TopicDumpStats stats;
  Status st =
      DumpTopic(bootstrap, topic, {}, DumpColumns{.partition = true, .key = true}, mem, &stats);
  std::fclose(mem);
  std::string text(buf, len);
  free(buf);
  EXPECT_TRUE(st.ok()) << st.message();
  Dumped d;
  for (size_t b = 0, e; (e = text.find('\n', b)) != std::string::npos; b = e + 1) {
    std::string line = text.substr(b, e - b);
    size_t t1 = line.find('\t');
    size_t t2 = line.find('\t', t1 + 1);
    size_t t3 = line.find('\t', t2 + 1);  // the key never holds a raw tab
    const int partition = std::atoi(line.substr(0, t1).c_str());
    const std::string key = line.substr(t2 + 1, t3 - t2 - 1);
    d.partitions.insert(partition);
    d.partitions_of_key[key].insert(partition);
    d.key_and_value.push_back(line.substr(t2 + 1));
  }
  std::sort(d.key_and_value.begin(), d.key_and_value.end());
  return d;
}

TEST(GenerateToKafka, KeysAreTheUserIdTheSourceIpOrAbsent) {
  Result<std::unique_ptr<DevCluster>> c =
      DevCluster::Start(1, {{"by_user", 4}, {"by_ip", 4}, {"unkeyed", 4}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  const std::string bootstrap = (*c)->bootstrap();
  const GeneratorOptions o = SmallRun();
  const std::pair<const char*, RecordKey> runs[] = {{"by_user", RecordKey::kUserId},
                                                    {"by_ip", RecordKey::kSourceIp},
                                                    {"unkeyed", RecordKey::kNone}};
  for (const auto& [topic, which] : runs) {
    SCOPED_TRACE(topic);
    // Keyless messages are spread over the partitions even in a burst this short.
    KafkaClientOptions kafka;
    Status st = GenerateToKafka(o, which, "kafka://" + bootstrap + "/" + topic, kafka, nullptr);
    ASSERT_TRUE(st.ok()) << st.message();
    Dumped d = Dump(bootstrap, topic);
    EXPECT_EQ(d.key_and_value, Expected(o, which));
    EXPECT_EQ(d.partitions.size(), 4u);
    if (which == RecordKey::kNone) {
      ASSERT_EQ(d.partitions_of_key.size(), 1u);
      EXPECT_EQ(d.partitions_of_key.begin()->first, "null");  // no key, not an empty one
    } else {
      EXPECT_GT(d.partitions_of_key.size(), 200u);
      for (const auto& [key, parts] : d.partitions_of_key) {
        EXPECT_EQ(parts.size(), 1u) << key << " is in several partitions";
      }
    }
  }
}

}  // namespace
}  // namespace sluice
