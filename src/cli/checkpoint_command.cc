// `sluice checkpoint DIR`: what a checkpoint directory holds, without running anything or taking
// its lock: the query it belongs to and its newest committed epoch, as JSON; for a consumer
// group's checkpoint, the same for every unit (sources/P, shards/Q).
#include <algorithm>
#include <cstdio>
#include <string>

#include "checkpoint/checkpoint_store.h"
#include "cli/commands.h"
#include "cli/query_flags.h"
#include "common/file_util.h"
#include "monitor/json_text.h"

namespace sluice::cli {
namespace {

// One checkpoint: {"metadata": {...}, "latest_epoch": {...} | null}.
void Describe(JsonText& j, const std::string& metadata, const std::optional<EpochRecord>& rec) {
  j.BeginObject().Key("metadata").BeginObject();
  // "name: value" lines after the header, checksum excluded.
  size_t pos = metadata.find('\n');
  while (pos != std::string::npos && pos + 1 < metadata.size()) {
    const size_t end = metadata.find('\n', pos + 1);
    const std::string line =
        metadata.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
    pos = end;
    const auto colon = line.find(": ");
    if (colon == std::string::npos || line.rfind("checksum: ", 0) == 0) continue;
    j.Field(line.substr(0, colon), line.substr(colon + 2));
  }
  j.EndObject().Key("latest_epoch");
  if (!rec) {
    j.Null().EndObject();
    return;
  }
  const EpochRecord& r = *rec;
  j.BeginObject()
      .Field("epoch", r.epoch)
      .Field("committed_ms", r.committed_ms)
      .Field("input_finished", r.input_finished);
  j.Key("positions").BeginArray();
  for (const auto& p : r.positions) {
    j.BeginObject().Field("partition", p.partition.value).Field("next_offset", p.next_offset.value);
    if (p.next_byte >= 0) j.Field("next_byte", p.next_byte);
    j.EndObject();
  }
  j.EndArray()
      .Field("watermark_ms", r.watermark_ms)
      .Field("max_event_ms", r.max_event_ms)
      .Field("input_records", r.input_records)
      .Field("malformed_records", r.malformed_records)
      .Field("late_records", r.late_records)
      .Field("late_rows", r.late_rows)
      .Field("output_rows", r.output_rows);
  j.Key("sinks").BeginObject();
  for (const auto& [name, state] : r.sinks) j.Field(name, state);
  j.EndObject();
  int64_t rows = 0, bytes = 0;
  for (const auto& s : r.state) {
    rows += s.rows;
    bytes += static_cast<int64_t>(s.length);
  }
  j.Field("state_partitions", static_cast<int64_t>(r.state_partitions))
      .Field("state_rows", rows)
      .Field("state_bytes", bytes)
      .EndObject()
      .EndObject();
}

// A consumer group's checkpoint holds one checkpoint per unit; nullopt if `dir` is not one.
std::optional<Status> DescribeGroup(JsonText& j, const std::string& dir) {
  if (!ListDir(dir + "/sources").ok() && !ListDir(dir + "/shards").ok()) return std::nullopt;
  j.BeginObject().Key("units").BeginObject();
  for (const char* kind : {"sources", "shards"}) {
    auto names = ListDir(dir + "/" + kind);
    if (!names.ok()) continue;
    std::sort(names->begin(), names->end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;  // numeric order
    });
    for (const auto& n : *names) {
      auto info = CheckpointStore::Inspect(dir + "/" + kind + "/" + n);
      if (!info.ok()) return info.status();
      j.Key(std::string(kind) + "/" + n);
      Describe(j, info->first, info->second);
    }
  }
  j.EndObject().EndObject();
  return Status::Ok();
}

}  // namespace

void AddCheckpointCommand(CLI::App& app, int& exit_code) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "checkpoint",
      "Show what a --checkpoint directory holds: its query and newest epoch (JSON); "
      "for a consumer group's checkpoint, every unit's.");
  cmd->add_option("dir", *dir, "the checkpoint directory")->required();
  cmd->callback([dir, &exit_code] {
    JsonText j;
    if (std::optional<Status> group = DescribeGroup(j, *dir)) {
      if (!group->ok()) {
        exit_code = Fail(*group);
        return;
      }
    } else {
      auto info = CheckpointStore::Inspect(*dir);
      if (!info.ok()) {
        exit_code = Fail(info.status());
        return;
      }
      Describe(j, info->first, info->second);
    }
    std::printf("%s\n", j.str().c_str());
    exit_code = 0;
  });
}

}  // namespace sluice::cli
