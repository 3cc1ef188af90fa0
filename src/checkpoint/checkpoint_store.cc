#include "checkpoint/checkpoint_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "common/file_util.h"
#include "common/query_id.h"

namespace sluice {
namespace {

constexpr std::string_view kManifestMagic = "SLUICECK";
constexpr std::string_view kStateMagic = "SLUICEST";
constexpr std::string_view kOffsetsMagic = "SLUICEOF";
constexpr size_t kOffsetsHeaderBytes = 8 + 4;
constexpr std::string_view kMetadataHeader = "sluice checkpoint ";
constexpr size_t kStateHeaderBytes = 8 + 4 + 8;
// Manifests kept: the newest, and the one before it (for inspection after a failure).
constexpr int64_t kRetainedEpochs = 2;

uint64_t Checksum(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Metadata values are one line each: escape what would break a line.
std::string EscapeLine(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else
      out.push_back(c);
  }
  return out;
}

std::string UnescapeLine(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char n = s[++i];
      out.push_back(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Parses "name: value" lines (after the header line) into pairs, checking the checksum line.
Result<std::vector<std::pair<std::string, std::string>>> ParseMetadata(const std::string& path,
                                                                       const std::string& text) {
  auto damaged = [&](const std::string& why) {
    return Status::Corruption("checkpoint metadata '" + path + "' is damaged (" + why +
                              "); it was not written by sluice or was changed since");
  };
  if (text.rfind(kMetadataHeader, 0) != 0) return damaged("no 'sluice checkpoint' header");
  const auto sum_at = text.rfind("checksum: ");
  if (sum_at == std::string::npos) return damaged("no checksum line");
  std::string expected = text.substr(sum_at + 10);
  while (!expected.empty() && (expected.back() == '\n' || expected.back() == '\r'))
    expected.pop_back();
  if (expected != Hex(Checksum(std::string_view(text).substr(0, sum_at)))) {
    return damaged("checksum mismatch");
  }
  const size_t eol = text.find('\n');
  const std::string version = text.substr(kMetadataHeader.size(), eol - kMetadataHeader.size());
  if (version != std::to_string(kCheckpointFormatVersion)) {
    return Status::InvalidArgument("checkpoint '" + path + "' has format version " + version +
                                   "; this sluice reads version " +
                                   std::to_string(kCheckpointFormatVersion));
  }
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = eol + 1;
  while (pos < sum_at) {
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    const auto colon = line.find(": ");
    if (colon == std::string::npos) return damaged("a line without 'name: value'");
    out.emplace_back(line.substr(0, colon), UnescapeLine(line.substr(colon + 2)));
  }
  return out;
}

int64_t ParseEpochName(std::string_view name, std::string_view suffix) {
  if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) return -1;
  const std::string_view digits = name.substr(0, name.size() - suffix.size());
  if (digits.empty() || digits.size() > 19) return -1;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    if (v > (kMaxTime - (c - '0')) / 10) return -1;  // not a name we write
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string EpochFileName(int64_t epoch, std::string_view suffix) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%019lld", static_cast<long long>(epoch));
  return std::string(buf) + std::string(suffix);
}

Result<std::optional<EpochRecord>> ReadManifest(const std::string& path, int64_t epoch) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  const std::string& s = *text;
  auto damaged = [&](const std::string& why) {
    return Status::Corruption("checkpoint manifest '" + path + "' is damaged (" + why +
                              "). Nothing was run: restore the directory from a copy, or remove "
                              "this manifest to restart from the epoch before it (the output "
                              "of this epoch may then be written again), or start over with a "
                              "new --checkpoint directory");
  };
  if (s.size() < kManifestMagic.size() + 4 + 8 + 8) return damaged("too short");
  if (std::string_view(s).substr(0, kManifestMagic.size()) != kManifestMagic)
    return damaged("bad magic");
  ByteReader head(std::string_view(s).substr(kManifestMagic.size()));
  const uint32_t version = head.U32();
  const uint64_t body_len = head.U64();
  if (version != kCheckpointFormatVersion) {
    return Status::InvalidArgument("checkpoint manifest '" + path + "' has format version " +
                                   std::to_string(version) + "; this sluice reads version " +
                                   std::to_string(kCheckpointFormatVersion));
  }
  const size_t body_at = kManifestMagic.size() + 12;
  if (body_len != s.size() - body_at - 8) return damaged("length does not match the file size");
  const std::string_view body = std::string_view(s).substr(body_at, body_len);
  ByteReader tail(std::string_view(s).substr(body_at + body_len));
  if (tail.U64() != Checksum(body)) return damaged("checksum mismatch");
  EpochRecord rec;
  ByteReader r(body);
  if (!rec.Decode(r)) return damaged("does not decode");
  if (rec.epoch != epoch) return damaged("names epoch " + std::to_string(rec.epoch));
  return std::optional<EpochRecord>(std::move(rec));
}

}  // namespace

Result<std::unique_ptr<CheckpointStore>> CheckpointStore::Open(const std::string& dir_arg,
                                                               const QueryIdentity& identity) {
  const std::string dir = WithoutTrailingSlashes(dir_arg);
  if (Status st = MakeDirs(dir); !st.ok()) {
    return Status::InvalidArgument("--checkpoint: " + st.message());
  }
  for (const char* sub : {"/epochs", "/state", "/offsets"}) {
    if (Status st = MakeDirs(dir + sub); !st.ok()) {
      return Status::InvalidArgument("--checkpoint: " + st.message());
    }
  }
  const std::string lock_path = dir + "/lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::InvalidArgument("--checkpoint: cannot open '" + lock_path +
                                   "': " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof(pid) - 1, 0);
    ::close(fd);
    std::string who = n > 0 ? std::string(pid, static_cast<size_t>(n)) : std::string("?");
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    return Status::InvalidArgument("--checkpoint: '" + dir +
                                   "' is in use by another sluice process (pid " + who +
                                   "); two processes may not write one checkpoint");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message above: the lock itself is what counts.
  }
  auto store = std::unique_ptr<CheckpointStore>(new CheckpointStore(dir, fd));
  SLUICE_RETURN_IF_ERROR(store->CheckOrWriteMetadata(identity));
  // Leftovers of a process that died while writing: never part of a committed epoch.
  for (const char* sub : {"/epochs", "/state"}) {
    auto names = ListDir(dir + sub);
    if (!names.ok()) return names.status();
    for (const auto& n : *names) {
      if (n.size() > 4 && n.substr(n.size() - 4) == ".tmp") ::unlink((dir + sub + "/" + n).c_str());
    }
  }
  return store;
}

CheckpointStore::~CheckpointStore() {
  ClosePlan();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Status CheckpointStore::CheckOrWriteMetadata(const QueryIdentity& identity) {
  const std::string path = dir_ + "/metadata";
  auto text = ReadWholeFile(path);
  if (!text.ok() && text.status().code() != StatusCode::kNotFound) return text.status();
  if (!text.ok()) {
    query_id_ = NewQueryId();
    std::string out =
        std::string(kMetadataHeader) + std::to_string(kCheckpointFormatVersion) + "\n";
    out += "query id: " + query_id_ + "\n";
    for (const auto& [name, value] : identity.parts) out += name + ": " + EscapeLine(value) + "\n";
    out += "sql: " + EscapeLine(identity.sql) + "\n";
    out += "checksum: " + Hex(Checksum(out)) + "\n";
    return WriteFileAtomic(path, out);
  }
  auto parsed = ParseMetadata(path, *text);
  if (!parsed.ok()) return parsed.status();
  std::vector<std::string> diffs;
  auto stored = [&](const std::string& name) -> const std::string* {
    for (const auto& [n, v] : *parsed)
      if (n == name) return &v;
    return nullptr;
  };
  if (const std::string* id = stored("query id")) query_id_ = *id;
  for (const auto& [name, value] : identity.parts) {
    const std::string* old = stored(name);
    if (old == nullptr) {
      diffs.push_back(name + " (not recorded in the checkpoint; now '" + value + "')");
    } else if (*old != value) {
      diffs.push_back(name + " (checkpoint: '" + *old + "', now: '" + value + "')");
    }
  }
  if (diffs.empty()) return Status::Ok();
  std::string msg = "--checkpoint: '" + dir_ + "' holds the state of another query; what differs:";
  for (const auto& d : diffs) msg += "\n  " + d;
  if (const std::string* sql = stored("sql")) msg += "\nits query was: " + *sql;
  msg += "\nhint: run the original query on it, or give this query a new --checkpoint directory";
  return Status::InvalidArgument(msg);
}

std::string CheckpointStore::ManifestPath(int64_t epoch) const {
  return dir_ + "/epochs/" + EpochFileName(epoch, ".manifest");
}

std::string CheckpointStore::StatePath(int64_t epoch) const {
  return dir_ + "/state/" + EpochFileName(epoch, ".state");
}

std::string CheckpointStore::OffsetsPath(int64_t epoch) const {
  return dir_ + "/offsets/" + EpochFileName(epoch, ".offsets");
}

void CheckpointStore::ClosePlan() {
  if (plan_fd_ >= 0) ::close(plan_fd_);
  plan_fd_ = -1;
  plan_epoch_ = -1;
}

Status CheckpointStore::PlanRound(int64_t epoch, const std::vector<BatchCut>& round) {
  std::string entry;
  if (plan_epoch_ != epoch) {
    ClosePlan();
    const std::string path = OffsetsPath(epoch);
    plan_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (plan_fd_ < 0) return IOErrorFromErrno("cannot open '" + path + "'");
    plan_epoch_ = epoch;
    const off_t size = ::lseek(plan_fd_, 0, SEEK_END);
    if (size < static_cast<off_t>(kOffsetsHeaderBytes)) {
      // New, or its header was cut short by a crash (then it planned nothing).
      if (size != 0 && ::ftruncate(plan_fd_, 0) != 0) {
        return IOErrorFromErrno("cannot truncate '" + path + "'");
      }
      entry.append(kOffsetsMagic);
      ByteWriter(entry).U32(kCheckpointFormatVersion);
    }
  }
  std::string body;
  ByteWriter bw(body);
  bw.Varint(round.size());
  for (const BatchCut& c : round) {
    bw.I64(c.partition.value);
    bw.I64(c.first.value);
    bw.I64(c.end.value);
  }
  ByteWriter ew(entry);
  ew.U32(static_cast<uint32_t>(body.size()));
  entry.append(body);
  ew.U64(Checksum(body));
  return WriteAll(plan_fd_, entry, OffsetsPath(epoch));
}

Result<OffsetsLog> ReadOffsetsLog(const std::string& dir, int64_t epoch) {
  const std::string path = dir + "/offsets/" + EpochFileName(epoch, ".offsets");
  auto text = ReadWholeFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return OffsetsLog{};
    return text.status();
  }
  const std::string_view s = *text;
  OffsetsLog log;
  log.file_bytes = s.size();
  if (s.size() < kOffsetsHeaderBytes) return log;  // the header was cut short: nothing planned
  if (s.substr(0, kOffsetsMagic.size()) != kOffsetsMagic) {
    return Status::Corruption("checkpoint offsets log '" + path +
                              "' is damaged (bad magic). Nothing was run: remove it to plan "
                              "its epoch again, or start over with a new --checkpoint directory");
  }
  const uint32_t version = ByteReader(s.substr(kOffsetsMagic.size())).U32();
  if (version != kCheckpointFormatVersion) {
    return Status::InvalidArgument("checkpoint offsets log '" + path + "' has format version " +
                                   std::to_string(version) + "; this sluice reads version " +
                                   std::to_string(kCheckpointFormatVersion));
  }
  size_t at = kOffsetsHeaderBytes;
  log.valid_bytes = at;
  while (at < s.size()) {
    ByteReader head(s.substr(at));
    const uint32_t len = head.U32();
    if (!head.ok() || s.size() - at < 4 + static_cast<size_t>(len) + 8) break;
    const std::string_view body = s.substr(at + 4, len);
    if (ByteReader(s.substr(at + 4 + len)).U64() != Checksum(body)) break;
    ByteReader r(body);
    std::vector<BatchCut> round(r.Count(24));
    for (BatchCut& c : round) {
      c.partition = PartitionId(static_cast<int32_t>(r.I64()));
      c.first = Offset(r.I64());
      c.end = Offset(r.I64());
    }
    if (!r.ok() || !r.at_end()) break;
    log.rounds.push_back(std::move(round));
    at += 4 + len + 8;
    log.valid_bytes = at;
  }
  return log;
}

Result<std::vector<std::vector<BatchCut>>> CheckpointStore::LoadPlan(int64_t epoch) {
  SLUICE_ASSIGN_OR_RETURN(OffsetsLog log, ReadOffsetsLog(dir_, epoch));
  const std::string path = OffsetsPath(epoch);
  if (log.file_bytes != log.valid_bytes) {
    // The process died while appending: drop the partial entry before appending again.
    ClosePlan();
    if (::truncate(path.c_str(), static_cast<off_t>(log.valid_bytes)) != 0) {
      return IOErrorFromErrno("cannot truncate '" + path + "'");
    }
  }
  return std::move(log.rounds);
}

Result<std::optional<EpochRecord>> ReadLatestEpoch(const std::string& dir) {
  auto names = ListDir(dir + "/epochs");
  if (!names.ok()) {
    if (names.status().code() == StatusCode::kNotFound) return std::optional<EpochRecord>();
    return names.status();
  }
  int64_t latest = -1;
  for (const auto& n : *names) latest = std::max(latest, ParseEpochName(n, ".manifest"));
  if (latest < 0) return std::optional<EpochRecord>();
  return ReadManifest(dir + "/epochs/" + EpochFileName(latest, ".manifest"), latest);
}

Result<std::optional<EpochRecord>> CheckpointStore::LoadLatest() {
  auto rec = ReadLatestEpoch(dir_);
  if (rec.ok()) loaded_ = true;
  if (!rec.ok() || !rec->has_value()) return rec;
  previous_epoch_ = (*rec)->epoch;
  previous_files_.clear();
  for (const auto& s : (*rec)->state) previous_files_.insert(s.file_epoch);
  return rec;
}

Result<std::string> CheckpointStore::ReadState(const StateRef& ref) const {
  const std::string path = StatePath(ref.file_epoch);
  auto damaged = [&](const std::string& why) {
    return Status::Corruption("checkpoint state '" + path + "' is damaged (" + why +
                              ", state partition " + std::to_string(ref.state_partition) +
                              "). Nothing was run: restore the directory from a copy, or start "
                              "over with a new --checkpoint directory");
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return damaged(std::string("cannot open it: ") + std::strerror(errno));
  std::string out(ref.length, '\0');
  char head[kStateHeaderBytes];
  const bool head_ok = ::pread(fd, head, sizeof(head), 0) == static_cast<ssize_t>(sizeof(head));
  size_t got = 0;
  while (got < ref.length) {
    const ssize_t n =
        ::pread(fd, out.data() + got, ref.length - got, static_cast<off_t>(ref.offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (!head_ok || std::string_view(head, kStateMagic.size()) != kStateMagic)
    return damaged("bad header");
  if (got != ref.length) return damaged("shorter than its manifest says");
  if (Checksum(out) != ref.checksum) return damaged("checksum mismatch");
  return out;
}

Status CheckpointStore::Commit(EpochRecord& rec, const std::vector<StateBlob>& changed) {
  if (plan_epoch_ >= 0 && plan_epoch_ <= rec.epoch) ClosePlan();
  if (!loaded_) {
    // Cleanup must know what the newest manifest references before it deletes anything.
    auto latest = LoadLatest();
    if (!latest.ok()) return latest.status();
  }
  if (!changed.empty()) {
    std::string file;
    ByteWriter w(file);
    file.append(kStateMagic);
    w.U32(kCheckpointFormatVersion);
    w.I64(rec.epoch);
    for (const StateBlob& blob : changed) {
      const std::string& bytes = blob.bytes;
      StateRef ref;
      ref.state_partition = blob.state_partition;
      ref.rows = blob.rows;
      ref.file_epoch = rec.epoch;
      ref.offset = file.size();
      ref.length = bytes.size();
      ref.checksum = Checksum(bytes);
      file.append(bytes);
      bool replaced = false;
      for (auto& s : rec.state) {
        if (s.state_partition == blob.state_partition) {
          s = ref;
          replaced = true;
        }
      }
      if (!replaced) rec.state.push_back(ref);
    }
    SLUICE_RETURN_IF_ERROR(WriteFileAtomic(StatePath(rec.epoch), file));
  }
  std::string body;
  ByteWriter bw(body);
  rec.Encode(bw);
  std::string manifest(kManifestMagic);
  ByteWriter mw(manifest);
  mw.U32(kCheckpointFormatVersion);
  mw.U64(body.size());
  manifest.append(body);
  mw.U64(Checksum(body));
  SLUICE_RETURN_IF_ERROR(WriteFileAtomic(ManifestPath(rec.epoch), manifest));
  return Cleanup(rec);
}

Status CheckpointStore::Cleanup(const EpochRecord& committed) {
  std::set<int64_t> keep_files = previous_files_;
  std::set<int64_t> committed_files;
  for (const auto& s : committed.state) committed_files.insert(s.file_epoch);
  keep_files.insert(committed_files.begin(), committed_files.end());
  const int64_t oldest_kept =
      previous_epoch_ ? std::min(*previous_epoch_, committed.epoch) : committed.epoch;
  static_assert(kRetainedEpochs == 2, "the cleanup below keeps exactly the previous manifest");
  // Best effort: a file left behind costs space, not correctness.
  if (auto names = ListDir(dir_ + "/epochs"); names.ok()) {
    for (const auto& n : *names) {
      const int64_t e = ParseEpochName(n, ".manifest");
      if (e >= 0 && e < oldest_kept) ::unlink((dir_ + "/epochs/" + n).c_str());
    }
  }
  if (auto names = ListDir(dir_ + "/state"); names.ok()) {
    for (const auto& n : *names) {
      const int64_t e = ParseEpochName(n, ".state");
      if (e >= 0 && e < committed.epoch && keep_files.count(e) == 0) {
        ::unlink((dir_ + "/state/" + n).c_str());
      }
    }
  }
  // The offsets logs of committed epochs: their cuts are in the positions now.
  if (auto names = ListDir(dir_ + "/offsets"); names.ok()) {
    for (const auto& n : *names) {
      const int64_t e = ParseEpochName(n, ".offsets");
      if (e >= 0 && e <= committed.epoch) ::unlink((dir_ + "/offsets/" + n).c_str());
    }
  }
  previous_epoch_ = committed.epoch;
  previous_files_ = std::move(committed_files);
  return Status::Ok();
}

Result<std::pair<std::string, std::optional<EpochRecord>>> CheckpointStore::Inspect(
    const std::string& dir) {
  auto text = ReadWholeFile(dir + "/metadata");
  if (!text.ok()) {
    return Status::InvalidArgument("'" + dir +
                                   "' is not a sluice checkpoint: " + text.status().message());
  }
  auto parsed = ParseMetadata(dir + "/metadata", *text);
  if (!parsed.ok()) return parsed.status();
  auto rec = ReadLatestEpoch(dir);
  if (!rec.ok()) return rec.status();
  return std::make_pair(*text, std::move(*rec));
}

}  // namespace sluice
