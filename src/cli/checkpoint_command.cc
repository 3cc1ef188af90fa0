// `sluice checkpoint DIR`: what a checkpoint directory holds, without running anything or taking
// its lock: the query it belongs to and its newest committed epoch, as JSON.
#include <cstdio>
#include <string>

#include "checkpoint/checkpoint_store.h"
#include "cli/commands.h"
#include "common/file_util.h"
#include "common/utf8.h"

#include <algorithm>

namespace sluice::cli {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string Describe(const std::string& metadata, const std::optional<EpochRecord>& rec) {
  std::string out = "{\n  \"metadata\": {";
  // "name: value" lines after the header, checksum excluded.
  size_t pos = metadata.find('\n');
  bool first = true;
  while (pos != std::string::npos && pos + 1 < metadata.size()) {
    const size_t end = metadata.find('\n', pos + 1);
    const std::string line = metadata.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
    pos = end;
    const auto colon = line.find(": ");
    if (colon == std::string::npos || line.rfind("checksum: ", 0) == 0) continue;
    out += first ? "\n" : ",\n";
    first = false;
    out += "    " + Quote(line.substr(0, colon)) + ": " + Quote(line.substr(colon + 2));
  }
  out += "\n  },\n  \"latest_epoch\": ";
  if (!rec) return out + "null\n}\n";
  const EpochRecord& r = *rec;
  out += "{\n    \"epoch\": " + std::to_string(r.epoch) +
         ",\n    \"committed_ms\": " + std::to_string(r.committed_ms) +
         ",\n    \"input_finished\": " + (r.input_finished ? "true" : "false") +
         ",\n    \"positions\": [";
  for (size_t i = 0; i < r.positions.size(); ++i) {
    const auto& p = r.positions[i];
    out += std::string(i ? ", " : "") + "{\"partition\": " + std::to_string(p.partition.value) +
           ", \"next_offset\": " + std::to_string(p.next_offset.value) +
           (p.next_byte >= 0 ? ", \"next_byte\": " + std::to_string(p.next_byte) : "") + "}";
  }
  out += "],\n    \"watermark_ms\": " + std::to_string(r.watermark_ms) +
         ",\n    \"max_event_ms\": " + std::to_string(r.max_event_ms) +
         ",\n    \"input_records\": " + std::to_string(r.input_records) +
         ",\n    \"malformed_records\": " + std::to_string(r.malformed_records) +
         ",\n    \"late_records\": " + std::to_string(r.late_records) +
         ",\n    \"late_rows\": " + std::to_string(r.late_rows) +
         ",\n    \"output_rows\": " + std::to_string(r.output_rows) +
         ",\n    \"sinks\": {";
  for (size_t i = 0; i < r.sinks.size(); ++i) {
    out += std::string(i ? ", " : "") + Quote(r.sinks[i].first) + ": " + Quote(r.sinks[i].second);
  }
  int64_t rows = 0;
  uint64_t bytes = 0;
  for (const auto& s : r.state) {
    rows += s.rows;
    bytes += s.length;
  }
  out += "},\n    \"state_partitions\": " + std::to_string(r.state_partitions) +
         ",\n    \"state_rows\": " + std::to_string(rows) +
         ",\n    \"state_bytes\": " + std::to_string(bytes) + "\n  }\n}\n";
  return out;
}

}  // namespace

void AddCheckpointCommand(CLI::App& app, int& exit_code) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "checkpoint", "Show what a --checkpoint directory holds: its query and newest epoch (JSON); "
                    "for a consumer group's checkpoint, every unit's.");
  cmd->add_option("dir", *dir, "the checkpoint directory")->required();
  cmd->callback([dir, &exit_code] {
    // A consumer group's checkpoint: one checkpoint per unit (sources/P, shards/Q).
    if (ListDir(*dir + "/sources").ok() || ListDir(*dir + "/shards").ok()) {
      std::string out = "{\n  \"units\": {";
      bool first = true;
      for (const char* kind : {"sources", "shards"}) {
        auto names = ListDir(*dir + "/" + kind);
        if (!names.ok()) continue;
        std::sort(names->begin(), names->end(), [](const std::string& a, const std::string& b) {
          return a.size() != b.size() ? a.size() < b.size() : a < b;
        });
        for (const auto& n : *names) {
          auto info = CheckpointStore::Inspect(*dir + "/" + kind + "/" + n);
          if (!info.ok()) {
            std::fprintf(stderr, "error: %s\n", info.status().message().c_str());
            exit_code = info.status().exit_code();
            return;
          }
          std::string unit = Describe(info->first, info->second);
          while (!unit.empty() && unit.back() == '\n') unit.pop_back();
          std::string indented;
          for (char ch : unit) {
            indented.push_back(ch);
            if (ch == '\n') indented += "    ";
          }
          out += (first ? "\n    " : ",\n    ") + Quote(std::string(kind) + "/" + n) + ": " + indented;
          first = false;
        }
      }
      out += "\n  }\n}\n";
      std::fputs(out.c_str(), stdout);
      exit_code = 0;
      return;
    }
    auto info = CheckpointStore::Inspect(*dir);
    if (!info.ok()) {
      std::fprintf(stderr, "error: %s\n", info.status().message().c_str());
      exit_code = info.status().exit_code();
      return;
    }
    std::fputs(Describe(info->first, info->second).c_str(), stdout);
    exit_code = 0;
  });
}

}  // namespace sluice::cli
