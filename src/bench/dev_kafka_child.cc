#include "bench/dev_kafka_child.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace sluice::bench {

Result<std::unique_ptr<DevKafkaChild>> DevKafkaChild::Start(
    BenchContext& ctx, const std::vector<std::string>& topics) {
  const std::string file = ctx.WorkPath("bootstrap");
  std::filesystem::remove(file);
  std::vector<std::string> args = {"dev-kafka", "--no-stdin"};
  for (const std::string& t : topics) {
    args.push_back("--topic");
    args.push_back(t);
  }
  args.push_back("--bootstrap-file");
  args.push_back(file);
  const auto argv = ctx.Sluice(args);
  ctx.Record(argv);
  auto child = RunningChild::Start(argv, RunningChild::Stdout::kDevNull);
  if (!child.ok()) return child.status();
  auto dk = std::unique_ptr<DevKafkaChild>(new DevKafkaChild(std::move(*child)));
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(file);
    if (std::getline(in, dk->bootstrap_) && !dk->bootstrap_.empty()) return dk;
    if (!dk->child_.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Unavailable("sluice dev-kafka did not start: " + dk->child_.Stop(SIGKILL).err);
}

DevKafkaChild::~DevKafkaChild() { child_.Stop(SIGINT); }

}  // namespace sluice::bench
