// CheckpointStore: one query's checkpoint directory (`sluice run --checkpoint DIR`, Spark's
// checkpointLocation). Owned by the process running the query and used from its engine's driver
// thread; the directory lock keeps any other process out while it is open.
//
// Layout (all integers little-endian; docs/fault-tolerance.md has the full description):
//   DIR/metadata             text: format version, query id, and the query's identity (the
//                            parts that shape its state), with an XXH3 checksum line
//   DIR/lock                 flock()ed by the process that runs the query; holds its pid
//   DIR/epochs/<N>.manifest  one committed epoch: "SLUICECK", u32 version, u64 body length,
//                            body (EpochRecord::Encode), u64 XXH3-64 of the body
//   DIR/state/<N>.state      state partitions written at epoch N: "SLUICEST", u32 version,
//                            i64 epoch, then sections of serialized state; each manifest names
//                            the (file, offset, length, checksum) of every partition's section,
//                            so a partition unchanged since an earlier epoch is not rewritten
//   DIR/offsets/<N>.offsets  the offsets log of epoch N (Spark's offsets/N): "SLUICEOF", u32
//                            version, then one entry per round of batches, appended before the
//                            round is processed: u32 body length, body (varint count; per batch
//                            i64 partition, i64 first offset, i64 end offset), u64 XXH3-64 of
//                            the body. Removed once epoch N commits.
// Every file but the offsets log (appended in place, each entry checksummed) is written to a
// temporary name, fsynced and renamed; the rename of the manifest
// is the commit point. The two newest manifests and the state files they name are kept.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/epoch_record.h"
#include "common/status.h"

namespace sluice {

// The parts of a query that its state depends on, as (name, text) pairs, e.g. ("window",
// "10s tumbling"). A checkpoint refuses a query whose parts differ.
struct QueryIdentity {
  std::vector<std::pair<std::string, std::string>> parts;
  std::string sql;  // informational: shown by `sluice checkpoint`, never compared
};

inline constexpr uint32_t kCheckpointFormatVersion = 1;

// The serialized state of one state partition, to be written at a commit.
struct StateBlob {
  uint32_t state_partition = 0;
  std::string bytes;
  int64_t rows = 0;
};

class CheckpointStore {
 public:
  // Opens DIR (creating it if needed), takes its lock, and checks the query against the one
  // the directory was created for (or records it). InvalidArgument (exit 2) when another
  // process holds the lock or the query differs; Corruption when the metadata is damaged.
  [[nodiscard]] static Result<std::unique_ptr<CheckpointStore>> Open(const std::string& dir,
                                                                     const QueryIdentity& identity);
  ~CheckpointStore();
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  // The newest committed epoch, or nullopt for a query that never committed one. A damaged
  // manifest is Corruption, never silently skipped.
  [[nodiscard]] Result<std::optional<EpochRecord>> LoadLatest();
  // The serialized state section `ref` points at, checked against its checksum.
  [[nodiscard]] Result<std::string> ReadState(const StateRef& ref) const;
  // The offsets log: appends the cuts of one round of batches of epoch `epoch`, before the
  // engine processes them. Written, not fsynced: it outlives a crash of the process (what a
  // replay needs; after a power loss the epoch's pending output is gone with it).
  [[nodiscard]] Status PlanRound(int64_t epoch, const std::vector<BatchCut>& round);
  // The rounds planned for `epoch`, in order (none if it was never planned). An entry cut short
  // by a crash while it was appended ends the log: the file is truncated before it.
  [[nodiscard]] Result<std::vector<std::vector<BatchCut>>> LoadPlan(int64_t epoch);
  // Commits `rec`: writes the `changed` state partitions into state/<epoch>.state
  // and points rec.state at them (other entries of rec.state must point at earlier files), then
  // writes the manifest, then removes what no retained manifest needs.
  [[nodiscard]] Status Commit(EpochRecord& rec, const std::vector<StateBlob>& changed);

  const std::string& dir() const { return dir_; }
  const std::string& query_id() const { return query_id_; }

  // Reads a checkpoint without locking it, for `sluice checkpoint DIR`: the metadata text and
  // the newest epoch (if any).
  [[nodiscard]] static Result<std::pair<std::string, std::optional<EpochRecord>>> Inspect(
      const std::string& dir);

 private:
  CheckpointStore(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}
  [[nodiscard]] Status CheckOrWriteMetadata(const QueryIdentity& identity);
  [[nodiscard]] Status Cleanup(const EpochRecord& committed);
  std::string ManifestPath(int64_t epoch) const;
  std::string StatePath(int64_t epoch) const;
  std::string OffsetsPath(int64_t epoch) const;
  void ClosePlan();

  const std::string dir_;
  const int lock_fd_;
  std::string query_id_;
  // State files the previous retained manifest points at (they must outlive the next commit).
  std::set<int64_t> previous_files_;
  std::optional<int64_t> previous_epoch_;
  bool loaded_ = false;  // LoadLatest ran (Commit runs it first otherwise)
  int plan_fd_ = -1;     // the offsets log being appended to, of epoch plan_epoch_
  int64_t plan_epoch_ = -1;
};

// The offsets log of `epoch` in DIR (no lock), as LoadPlan reads it: its rounds
// and the length of the file's valid part (0 when there is no log).
struct OffsetsLog {
  std::vector<std::vector<BatchCut>> rounds;
  size_t valid_bytes = 0;
  size_t file_bytes = 0;
};
[[nodiscard]] Result<OffsetsLog> ReadOffsetsLog(const std::string& dir, int64_t epoch);

// Parses the newest manifest in DIR/epochs/ (no lock); used by Open's caller and Inspect.
[[nodiscard]] Result<std::optional<EpochRecord>> ReadLatestEpoch(const std::string& dir);

}  // namespace sluice
