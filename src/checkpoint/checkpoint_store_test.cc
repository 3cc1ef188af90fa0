// CheckpointStore on a real temporary directory: layout, commits, cleanup, locking, and what it
// does with damaged files.
#include "checkpoint/checkpoint_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace sluice {
namespace {

namespace fs = std::filesystem;

class CheckpointStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "sluice-ckpt-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/ck";
  }
  void TearDown() override { fs::remove_all(root_); }

  static QueryIdentity Identity() {
    QueryIdentity id;
    id.parts = {{"window", "10s tumbling"}, {"group keys", "user_id"}, {"aggregates", "count(*)"}};
    id.sql =
        "SELECT user_id, count(*) FROM logs\nGROUP BY window(timestamp, '10 seconds'), user_id";
    return id;
  }

  std::unique_ptr<CheckpointStore> OpenStore() {
    auto r = CheckpointStore::Open(dir_, Identity());
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  // Sorted names in a subdirectory of the checkpoint.
  std::vector<std::string> Names(const std::string& sub) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_ + "/" + sub))
      out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  // Epoch numbers of the files in epochs/ or state/.
  std::vector<int64_t> Epochs(const std::string& sub) const {
    std::vector<int64_t> out;
    for (const auto& n : Names(sub)) out.push_back(std::stoll(n.substr(0, n.find('.'))));
    return out;
  }
  std::string ManifestPath(int64_t epoch) const { return FileOf("epochs", epoch); }
  std::string StatePath(int64_t epoch) const { return FileOf("state", epoch); }
  std::string FileOf(const std::string& sub, int64_t epoch) const {
    for (const auto& n : Names(sub)) {
      if (std::stoll(n.substr(0, n.find('.'))) == epoch) return dir_ + "/" + sub + "/" + n;
    }
    ADD_FAILURE() << "no file of epoch " << epoch << " in " << sub;
    return "";
  }

  std::string root_;
  std::string dir_;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Overwrites one byte in place (no truncation: ext4 flushes a truncated file on close, which
// makes a loop over every byte slow).
void PatchByte(const std::string& path, size_t at, char c) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(c);
}

StateBlob Blob(uint32_t partition, const std::string& bytes, int64_t rows = 1) {
  StateBlob b;
  b.state_partition = partition;
  b.bytes = bytes;
  b.rows = rows;
  return b;
}

EpochRecord FullRecord(int64_t epoch) {
  EpochRecord r;
  r.epoch = epoch;
  r.committed_ms = 1'768'142'570'123;
  r.input_finished = true;
  r.positions = {{PartitionId(0), Offset(25'123), 4'567'890}, {PartitionId(5), Offset(7), -1}};
  r.source_values = {{"generator.start_ms", 1'768'142'000'000}, {"other", -3}};
  r.watermark_ms = 1'768'142'560'000;
  r.max_event_ms = 1'768'142'590'000;
  r.partition_watermarks = {{PartitionId(0), 1'768'142'590'000}, {PartitionId(5), kMinTime}};
  r.input_records = 25'123;
  r.malformed_records = 11;
  r.filtered_records = 20'000;
  r.late_records = 3;
  r.late_rows = 6;
  r.output_rows = 77;
  r.triggers = 9;
  r.projected_rows_emitted = 5;
  r.sinks = {{"output", std::string("\0\x01\xFFpart-7\n", 10)}, {"late", ""}, {"dead-letter", "x"}};
  r.state_partitions = 4;
  return r;
}

void ExpectSameRecord(const EpochRecord& a, const EpochRecord& b) {
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.committed_ms, b.committed_ms);
  EXPECT_EQ(a.input_finished, b.input_finished);
  ASSERT_EQ(a.positions.size(), b.positions.size());
  for (size_t i = 0; i < a.positions.size(); ++i) {
    EXPECT_EQ(a.positions[i].partition, b.positions[i].partition);
    EXPECT_EQ(a.positions[i].next_offset, b.positions[i].next_offset);
    EXPECT_EQ(a.positions[i].next_byte, b.positions[i].next_byte);
  }
  EXPECT_EQ(a.source_values, b.source_values);
  EXPECT_EQ(a.watermark_ms, b.watermark_ms);
  EXPECT_EQ(a.max_event_ms, b.max_event_ms);
  ASSERT_EQ(a.partition_watermarks.size(), b.partition_watermarks.size());
  for (size_t i = 0; i < a.partition_watermarks.size(); ++i) {
    EXPECT_EQ(a.partition_watermarks[i].partition, b.partition_watermarks[i].partition);
    EXPECT_EQ(a.partition_watermarks[i].max_event_ms, b.partition_watermarks[i].max_event_ms);
  }
  EXPECT_EQ(a.input_records, b.input_records);
  EXPECT_EQ(a.malformed_records, b.malformed_records);
  EXPECT_EQ(a.filtered_records, b.filtered_records);
  EXPECT_EQ(a.late_records, b.late_records);
  EXPECT_EQ(a.late_rows, b.late_rows);
  EXPECT_EQ(a.output_rows, b.output_rows);
  EXPECT_EQ(a.triggers, b.triggers);
  EXPECT_EQ(a.projected_rows_emitted, b.projected_rows_emitted);
  EXPECT_EQ(a.sinks, b.sinks);
  EXPECT_EQ(a.state_partitions, b.state_partitions);
  ASSERT_EQ(a.state.size(), b.state.size());
  for (size_t i = 0; i < a.state.size(); ++i) {
    EXPECT_EQ(a.state[i].state_partition, b.state[i].state_partition);
    EXPECT_EQ(a.state[i].file_epoch, b.state[i].file_epoch);
    EXPECT_EQ(a.state[i].offset, b.state[i].offset);
    EXPECT_EQ(a.state[i].length, b.state[i].length);
    EXPECT_EQ(a.state[i].checksum, b.state[i].checksum);
    EXPECT_EQ(a.state[i].rows, b.state[i].rows);
  }
}

// partition -> file epoch of the record's state refs.
std::map<uint32_t, int64_t> FilesOf(const EpochRecord& r) {
  std::map<uint32_t, int64_t> out;
  for (const auto& s : r.state) out[s.state_partition] = s.file_epoch;
  return out;
}

// A manifest as CheckpointStore writes it, with any version and body.
std::string RawManifest(uint32_t version, const std::string& body) {
  std::string out = "SLUICECK";
  ByteWriter w(out);
  w.U32(version);
  w.U64(body.size());
  out += body;
  w.U64(XXH3_64bits(body.data(), body.size()));
  return out;
}

TEST_F(CheckpointStoreTest, OpenCreatesTheLayoutAndMetadata) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::is_directory(dir_ + "/epochs"));
  EXPECT_TRUE(fs::is_directory(dir_ + "/state"));
  EXPECT_TRUE(fs::exists(dir_ + "/lock"));
  const std::string meta = Slurp(dir_ + "/metadata");
  EXPECT_EQ(meta.rfind("sluice checkpoint 1\n", 0), 0u) << meta;
  EXPECT_NE(meta.find("query id: " + store->query_id() + "\n"), std::string::npos) << meta;
  EXPECT_NE(meta.find("window: 10s tumbling\n"), std::string::npos) << meta;
  EXPECT_NE(meta.find("group keys: user_id\n"), std::string::npos) << meta;
  // The SQL spans lines: it is escaped onto one.
  EXPECT_NE(meta.find("sql: SELECT user_id, count(*) FROM logs\\nGROUP BY"), std::string::npos)
      << meta;
  EXPECT_NE(meta.find("\nchecksum: "), std::string::npos) << meta;
  EXPECT_EQ(store->query_id().size(), 36u);
  EXPECT_EQ(Slurp(dir_ + "/lock"), std::to_string(::getpid()) + "\n");
}

TEST_F(CheckpointStoreTest, ReopenKeepsTheQueryId) {
  std::string id;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    id = store->query_id();
  }
  auto again = OpenStore();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->query_id(), id);
}

TEST_F(CheckpointStoreTest, NewCheckpointHasNoEpoch) {
  auto store = OpenStore();
  auto latest = store->LoadLatest();
  ASSERT_TRUE(latest.ok()) << latest.status().message();
  EXPECT_FALSE(latest->has_value());
}

TEST_F(CheckpointStoreTest, TrailingSlashNamesTheSameDirectory) {
  auto r = CheckpointStore::Open(dir_ + "//", Identity());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->dir(), dir_);
}

TEST_F(CheckpointStoreTest, CommitThenLoadLatestRoundTripsEveryField) {
  const std::string binary("\0\x01\x02\xFF\xFE state", 11);
  {
    auto store = OpenStore();
    EpochRecord first = FullRecord(1);
    ASSERT_TRUE(store->Commit(first, {Blob(0, "p0 at epoch 1", 3), Blob(1, binary, 4)}).ok());
    EpochRecord second = FullRecord(2);
    second.state = first.state;  // as the engine does: the refs of the last commit
    second.output_rows = 99;
    ASSERT_TRUE(store->Commit(second, {Blob(2, "p2 at epoch 2", 5), Blob(1, "p1 again", 6)}).ok());
    // Commit filled in the refs: p0 from epoch 1, p1 replaced, p2 added.
    EXPECT_EQ(FilesOf(second), (std::map<uint32_t, int64_t>{{0, 1}, {1, 2}, {2, 2}}));
  }
  auto store = OpenStore();
  auto latest = store->LoadLatest();
  ASSERT_TRUE(latest.ok()) << latest.status().message();
  ASSERT_TRUE(latest->has_value());
  const EpochRecord& got = **latest;
  EpochRecord want = FullRecord(2);
  want.output_rows = 99;
  want.state = got.state;
  ExpectSameRecord(got, want);
  ASSERT_EQ(got.state.size(), 3u);
  std::map<uint32_t, std::string> blobs;
  std::map<uint32_t, int64_t> rows;
  for (const StateRef& ref : got.state) {
    auto bytes = store->ReadState(ref);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    blobs[ref.state_partition] = *bytes;
    rows[ref.state_partition] = ref.rows;
  }
  EXPECT_EQ(blobs, (std::map<uint32_t, std::string>{
                       {0, "p0 at epoch 1"}, {1, "p1 again"}, {2, "p2 at epoch 2"}}));
  EXPECT_EQ(rows, (std::map<uint32_t, int64_t>{{0, 3}, {1, 6}, {2, 5}}));
}

TEST_F(CheckpointStoreTest, BinaryStateBlobsRoundTrip) {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  auto store = OpenStore();
  EpochRecord rec;
  rec.epoch = 0;
  ASSERT_TRUE(
      store->Commit(rec, {Blob(0, all_bytes), Blob(1, ""), Blob(2, std::string(100'000, '\0'))})
          .ok());
  auto latest = store->LoadLatest();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  ASSERT_EQ((*latest)->state.size(), 3u);
  EXPECT_EQ(store->ReadState((*latest)->state[0]).value(), all_bytes);
  EXPECT_EQ(store->ReadState((*latest)->state[1]).value(), "");
  EXPECT_EQ(store->ReadState((*latest)->state[2]).value(), std::string(100'000, '\0'));
}

TEST_F(CheckpointStoreTest, CommitWithoutChangedStateWritesNoStateFile) {
  auto store = OpenStore();
  EpochRecord rec;
  rec.epoch = 1;
  ASSERT_TRUE(store->Commit(rec, {}).ok());
  EXPECT_TRUE(Names("state").empty());
  EXPECT_EQ(Epochs("epochs"), (std::vector<int64_t>{1}));
}

TEST_F(CheckpointStoreTest, IncrementalCommitsKeepWhatRetainedManifestsNeed) {
  std::map<uint32_t, std::string> contents;  // partition -> bytes last written
  EpochRecord last;
  auto commit = [&](CheckpointStore& store, int64_t epoch, std::vector<uint32_t> changed) {
    EpochRecord rec;
    rec.epoch = epoch;
    rec.state_partitions = 3;
    rec.state = last.state;
    std::vector<StateBlob> blobs;
    for (uint32_t p : changed) {
      contents[p] = "partition " + std::to_string(p) + " at epoch " + std::to_string(epoch);
      blobs.push_back(Blob(p, contents[p]));
    }
    ASSERT_TRUE(store.Commit(rec, blobs).ok());
    last = rec;
  };
  auto expect_readable = [&](CheckpointStore& store, const EpochRecord& rec) {
    for (const StateRef& ref : rec.state) {
      auto bytes = store.ReadState(ref);
      ASSERT_TRUE(bytes.ok()) << bytes.status().message();
      EXPECT_EQ(*bytes, "partition " + std::to_string(ref.state_partition) + " at epoch " +
                            std::to_string(ref.file_epoch));
    }
  };
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->LoadLatest().ok());
    commit(*store, 1, {0, 1, 2});
    commit(*store, 2, {1});
    EXPECT_EQ(FilesOf(last), (std::map<uint32_t, int64_t>{{0, 1}, {1, 2}, {2, 1}}));
    commit(*store, 3, {0});
    EXPECT_EQ(FilesOf(last), (std::map<uint32_t, int64_t>{{0, 3}, {1, 2}, {2, 1}}));
    EXPECT_EQ(Epochs("epochs"), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(Epochs("state"), (std::vector<int64_t>{1, 2, 3}));  // all still referenced
    expect_readable(*store, last);
  }
  // A restart: the new process learns what the previous manifest needs from LoadLatest.
  auto store = OpenStore();
  auto latest = store->LoadLatest();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->epoch, 3);
  commit(*store, 4, {0, 1, 2});
  // Epoch 3's manifest is retained and names files 1, 2 and 3: none may go yet.
  EXPECT_EQ(Epochs("epochs"), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(Epochs("state"), (std::vector<int64_t>{1, 2, 3, 4}));
  commit(*store, 5, {2});
  // Epochs 4 and 5 name only files 4 and 5.
  EXPECT_EQ(FilesOf(last), (std::map<uint32_t, int64_t>{{0, 4}, {1, 4}, {2, 5}}));
  EXPECT_EQ(Epochs("epochs"), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(Epochs("state"), (std::vector<int64_t>{4, 5}));
  expect_readable(*store, last);
  commit(*store, 6, {});
  EXPECT_EQ(Epochs("epochs"), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(Epochs("state"), (std::vector<int64_t>{4, 5}));

  // The previous manifest is usable: removing the newest restarts from the one before.
  store.reset();
  fs::remove(ManifestPath(6));
  store = OpenStore();
  latest = store->LoadLatest();
  ASSERT_TRUE(latest.ok() && latest->has_value()) << latest.status().message();
  EXPECT_EQ((*latest)->epoch, 5);
  expect_readable(*store, **latest);
}

TEST_F(CheckpointStoreTest, PreviousManifestStateSurvivesTheNextCommit) {
  auto store = OpenStore();
  EpochRecord e1;
  e1.epoch = 1;
  ASSERT_TRUE(store->Commit(e1, {Blob(0, "a1"), Blob(1, "b1")}).ok());
  EpochRecord e2;
  e2.epoch = 2;
  e2.state = e1.state;
  ASSERT_TRUE(store->Commit(e2, {Blob(0, "a2"), Blob(1, "b2")}).ok());
  // Manifest 1 is still retained, so its state file is too.
  EXPECT_EQ(Epochs("epochs"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Epochs("state"), (std::vector<int64_t>{1, 2}));
  for (const StateRef& ref : e1.state) EXPECT_TRUE(store->ReadState(ref).ok());
  EpochRecord e3;
  e3.epoch = 3;
  e3.state = e2.state;
  ASSERT_TRUE(store->Commit(e3, {Blob(0, "a3")}).ok());
  EXPECT_EQ(Epochs("epochs"), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Epochs("state"), (std::vector<int64_t>{2, 3}));
}

TEST_F(CheckpointStoreTest, SecondOpenWhileTheFirstIsOpenIsRefused) {
  auto first = OpenStore();
  ASSERT_NE(first, nullptr);
  auto second = CheckpointStore::Open(dir_, Identity());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(second.status().message().find("in use"), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find(std::to_string(::getpid())), std::string::npos)
      << second.status().message();
  // The refused Open did not take the lock away from the first.
  auto third = CheckpointStore::Open(dir_, Identity());
  EXPECT_FALSE(third.ok());
  first.reset();
  auto after = CheckpointStore::Open(dir_, Identity());
  EXPECT_TRUE(after.ok()) << after.status().message();
}

TEST_F(CheckpointStoreTest, InspectReadsWithoutTheLock) {
  auto store = OpenStore();
  EpochRecord rec = FullRecord(4);
  ASSERT_TRUE(store->Commit(rec, {}).ok());
  auto inspected = CheckpointStore::Inspect(dir_);
  ASSERT_TRUE(inspected.ok()) << inspected.status().message();
  EXPECT_EQ(inspected->first, Slurp(dir_ + "/metadata"));
  ASSERT_TRUE(inspected->second.has_value());
  EXPECT_EQ(inspected->second->epoch, 4);
}

TEST_F(CheckpointStoreTest, InspectOfADirectoryWithoutCheckpointIsInvalidArgument) {
  auto inspected = CheckpointStore::Inspect(root_);
  ASSERT_FALSE(inspected.ok());
  EXPECT_EQ(inspected.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CheckpointStoreTest, AnotherQueryIsRefusedNamingWhatDiffers) {
  ASSERT_NE(OpenStore(), nullptr);
  QueryIdentity other = Identity();
  other.parts[0].second = "20s tumbling";
  auto r = CheckpointStore::Open(dir_, other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string& msg = r.status().message();
  EXPECT_NE(msg.find("window (checkpoint: '10s tumbling', now: '20s tumbling')"), std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("group keys"), std::string::npos) << msg;  // only what differs
  EXPECT_NE(msg.find("its query was: SELECT user_id"), std::string::npos) << msg;
  // The refused Open released the lock.
  EXPECT_NE(OpenStore(), nullptr);
}

TEST_F(CheckpointStoreTest, AnIdentityPartTheCheckpointLacksIsADifference) {
  ASSERT_NE(OpenStore(), nullptr);
  QueryIdentity other = Identity();
  other.parts.emplace_back("state partitions", "64");
  auto r = CheckpointStore::Open(dir_, other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("state partitions (not recorded"), std::string::npos)
      << r.status().message();
}

TEST_F(CheckpointStoreTest, OnlyTheSqlTextDifferingIsTheSameQuery) {
  ASSERT_NE(OpenStore(), nullptr);
  QueryIdentity same = Identity();
  same.sql = "select user_id, count(*) from logs group by window(timestamp, '10 seconds'), user_id";
  EXPECT_TRUE(CheckpointStore::Open(dir_, same).ok());
}

TEST_F(CheckpointStoreTest, IdentityValuesWithNewlinesAndBackslashesCompareExactly) {
  QueryIdentity id;
  id.parts = {{"where", "a\\nb\nc\r\\"}};
  ASSERT_TRUE(CheckpointStore::Open(dir_, id).ok());
  EXPECT_TRUE(CheckpointStore::Open(dir_, id).ok());
  QueryIdentity other;
  other.parts = {{"where", "a\\nb\\nc\r\\"}};
  EXPECT_FALSE(CheckpointStore::Open(dir_, other).ok());
}

TEST_F(CheckpointStoreTest, TruncatedManifestIsRefusedNamingTheFile) {
  {
    auto store = OpenStore();
    EpochRecord rec = FullRecord(1);
    ASSERT_TRUE(store->Commit(rec, {Blob(0, "s")}).ok());
  }
  const std::string path = ManifestPath(1);
  const std::string good = Slurp(path);
  for (size_t len :
       {size_t{0}, size_t{4}, size_t{8}, size_t{12}, size_t{20}, size_t{27}, size_t{28}, size_t{29},
        good.size() / 2, good.size() - 9, good.size() - 8, good.size() - 1}) {
    Spit(path, good.substr(0, len));
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    auto latest = store->LoadLatest();
    ASSERT_FALSE(latest.ok()) << "a manifest cut to " << len << " bytes loaded";
    EXPECT_EQ(latest.status().code(), StatusCode::kCorruption) << len;
    EXPECT_NE(latest.status().message().find(path), std::string::npos) << latest.status().message();
  }
  Spit(path, good);
  auto store = OpenStore();
  EXPECT_TRUE(store->LoadLatest().ok());
}

TEST_F(CheckpointStoreTest, ManifestWithAnyFlippedByteIsRefusedNamingTheFile) {
  {
    auto store = OpenStore();
    EpochRecord rec = FullRecord(1);
    ASSERT_TRUE(store->Commit(rec, {Blob(0, "s")}).ok());
  }
  const std::string path = ManifestPath(1);
  const std::string good = Slurp(path);
  auto store = OpenStore();
  for (size_t at = 0; at < good.size(); ++at) {
    PatchByte(path, at, static_cast<char>(good[at] ^ 0x10));
    auto latest = store->LoadLatest();
    PatchByte(path, at, good[at]);
    ASSERT_FALSE(latest.ok()) << "a manifest with byte " << at << " flipped loaded";
    const StatusCode code = latest.status().code();
    EXPECT_TRUE(code == StatusCode::kCorruption || code == StatusCode::kInvalidArgument) << at;
    EXPECT_NE(latest.status().message().find(path), std::string::npos) << latest.status().message();
  }
}

TEST_F(CheckpointStoreTest, ManifestOfANewerVersionIsInvalidArgument) {
  auto store = OpenStore();
  EpochRecord rec = FullRecord(1);
  ASSERT_TRUE(store->Commit(rec, {}).ok());
  std::string body;
  ByteWriter w(body);
  rec.Encode(w);
  const std::string path = ManifestPath(1);
  ASSERT_EQ(RawManifest(1, body), Slurp(path));  // the test writes what the store writes ...
  Spit(path, RawManifest(2, body));              // ... but says version 2
  auto latest = store->LoadLatest();
  ASSERT_FALSE(latest.ok());
  EXPECT_EQ(latest.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(latest.status().message().find(path), std::string::npos) << latest.status().message();
  EXPECT_NE(latest.status().message().find("version 2"), std::string::npos)
      << latest.status().message();
}

TEST_F(CheckpointStoreTest, ManifestWithAValidChecksumButUndecodableBodyIsCorruption) {
  auto store = OpenStore();
  EpochRecord rec;
  rec.epoch = 1;
  ASSERT_TRUE(store->Commit(rec, {}).ok());
  const std::string path = ManifestPath(1);
  Spit(path, RawManifest(1, "not an epoch record"));
  auto latest = store->LoadLatest();
  ASSERT_FALSE(latest.ok());
  EXPECT_EQ(latest.status().code(), StatusCode::kCorruption);
  EXPECT_NE(latest.status().message().find(path), std::string::npos);
}

TEST_F(CheckpointStoreTest, ManifestUnderAnotherEpochsNameIsCorruption) {
  auto store = OpenStore();
  EpochRecord rec;
  rec.epoch = 1;
  ASSERT_TRUE(store->Commit(rec, {}).ok());
  const std::string moved = dir_ + "/epochs/0000000000000000002.manifest";
  fs::copy_file(ManifestPath(1), moved);
  auto latest = store->LoadLatest();
  ASSERT_FALSE(latest.ok());
  EXPECT_EQ(latest.status().code(), StatusCode::kCorruption);
  EXPECT_NE(latest.status().message().find(moved), std::string::npos) << latest.status().message();
}

TEST_F(CheckpointStoreTest, NewestManifestDamagedIsNotSkippedForAnOlderOne) {
  auto store = OpenStore();
  EpochRecord e1;
  e1.epoch = 1;
  ASSERT_TRUE(store->Commit(e1, {}).ok());
  EpochRecord e2;
  e2.epoch = 2;
  ASSERT_TRUE(store->Commit(e2, {}).ok());
  Spit(ManifestPath(2), "garbage");
  EXPECT_FALSE(store->LoadLatest().ok());
}

TEST_F(CheckpointStoreTest, FlippedByteInAStateSectionIsCorruption) {
  auto store = OpenStore();
  EpochRecord rec;
  rec.epoch = 1;
  ASSERT_TRUE(store->Commit(rec, {Blob(0, "first section"), Blob(1, "second section")}).ok());
  const std::string path = StatePath(1);
  const std::string good = Slurp(path);
  for (const StateRef& ref : rec.state) {
    for (uint64_t at = ref.offset; at < ref.offset + ref.length; ++at) {
      PatchByte(path, at, static_cast<char>(good[at] ^ 0x01));
      auto bytes = store->ReadState(ref);
      ASSERT_FALSE(bytes.ok()) << "state byte " << at << " flipped read back";
      EXPECT_EQ(bytes.status().code(), StatusCode::kCorruption);
      EXPECT_NE(bytes.status().message().find(path), std::string::npos) << bytes.status().message();
      // The other section is intact and still reads.
      for (const StateRef& other : rec.state) {
        if (other.state_partition != ref.state_partition) {
          EXPECT_TRUE(store->ReadState(other).ok());
        }
      }
      PatchByte(path, at, good[at]);
    }
  }
}

TEST_F(CheckpointStoreTest, DamagedStateFileHeaderOrLengthIsCorruption) {
  auto store = OpenStore();
  EpochRecord rec;
  rec.epoch = 1;
  ASSERT_TRUE(store->Commit(rec, {Blob(0, "only section")}).ok());
  const std::string path = StatePath(1);
  const std::string good = Slurp(path);
  const StateRef ref = rec.state[0];

  std::string bad_magic = good;
  bad_magic[0] = 'X';
  Spit(path, bad_magic);
  EXPECT_EQ(store->ReadState(ref).status().code(), StatusCode::kCorruption);

  Spit(path, good.substr(0, good.size() - 1));
  EXPECT_EQ(store->ReadState(ref).status().code(), StatusCode::kCorruption);

  fs::remove(path);
  auto missing = store->ReadState(ref);
  EXPECT_EQ(missing.status().code(), StatusCode::kCorruption);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);

  Spit(path, good);
  EXPECT_EQ(store->ReadState(ref).value(), "only section");
}

TEST_F(CheckpointStoreTest, DamagedMetadataIsRefused) {
  ASSERT_NE(OpenStore(), nullptr);
  const std::string path = dir_ + "/metadata";
  const std::string good = Slurp(path);
  const auto at = good.find("10s tumbling");
  ASSERT_NE(at, std::string::npos);
  std::string changed = good;
  changed[at] = '2';  // "20s tumbling": what a hand edit to dodge the identity check looks like
  Spit(path, changed);
  auto r = CheckpointStore::Open(dir_, Identity());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();

  for (const std::string& bad :
       {std::string(), std::string("garbage\n"), good.substr(0, good.size() / 2),
        good.substr(0, good.find("checksum: "))}) {
    Spit(path, bad);
    auto again = CheckpointStore::Open(dir_, Identity());
    ASSERT_FALSE(again.ok()) << bad;
    EXPECT_EQ(again.status().code(), StatusCode::kCorruption) << bad;
  }
  Spit(path, good);
  EXPECT_TRUE(CheckpointStore::Open(dir_, Identity()).ok());
}

TEST_F(CheckpointStoreTest, MetadataOfANewerVersionIsInvalidArgument) {
  ASSERT_NE(OpenStore(), nullptr);
  const std::string path = dir_ + "/metadata";
  std::string text = Slurp(path);
  text = text.substr(0, text.find("checksum: "));
  text.replace(text.find(" 1\n"), 3, " 2\n");
  char sum[17];
  std::snprintf(sum, sizeof(sum), "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(text.data(), text.size())));
  Spit(path, text + "checksum: " + sum + "\n");
  auto r = CheckpointStore::Open(dir_, Identity());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("version 2"), std::string::npos) << r.status().message();
}

TEST_F(CheckpointStoreTest, LeftoverTemporaryFilesAreRemovedAtOpen) {
  {
    auto store = OpenStore();
    EpochRecord rec;
    rec.epoch = 1;
    ASSERT_TRUE(store->Commit(rec, {Blob(0, "s")}).ok());
  }
  Spit(dir_ + "/epochs/0000000000000000002.manifest.tmp", "half a manifest");
  Spit(dir_ + "/state/0000000000000000002.state.tmp", "half a state");
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Names("epochs"), (std::vector<std::string>{"0000000000000000001.manifest"}));
  EXPECT_EQ(Names("state"), (std::vector<std::string>{"0000000000000000001.state"}));
  auto latest = store->LoadLatest();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->epoch, 1);
}

TEST_F(CheckpointStoreTest, APathThatIsAFileIsInvalidArgument) {
  Spit(root_ + "/file", "x");
  auto r = CheckpointStore::Open(root_ + "/file", Identity());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

using Round = std::vector<BatchCut>;

std::vector<Round> PlanOf(CheckpointStore& store, int64_t epoch) {
  auto r = store.LoadPlan(epoch);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : std::vector<Round>{};
}

BatchCut Cut(int32_t partition, int64_t first, int64_t end) {
  return BatchCut{PartitionId(partition), Offset(first), Offset(end)};
}

TEST_F(CheckpointStoreTest, PlannedRoundsReadBackInOrderUntilTheirEpochCommits) {
  auto store = OpenStore();
  const Round r1 = {Cut(2, 0, 17), Cut(0, 5, 9)};
  const Round r2 = {Cut(2, 17, 10'000), Cut(1, 0, 1), Cut(0, 9, 12)};
  ASSERT_TRUE(store->PlanRound(0, r1).ok());
  ASSERT_TRUE(store->PlanRound(0, r2).ok());
  auto plan = store->LoadPlan(0);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(*plan, (std::vector<Round>{r1, r2}));
  EXPECT_TRUE(PlanOf(*store, 1).empty());  // never planned

  // A reopened store (a restart) reads the same plan.
  store.reset();
  store = OpenStore();
  EXPECT_EQ(PlanOf(*store, 0), (std::vector<Round>{r1, r2}));
  // The next round of the next epoch goes to its own log; committing epoch 0 removes epoch 0's.
  ASSERT_TRUE(store->PlanRound(1, {Cut(0, 12, 20)}).ok());
  EpochRecord rec;
  rec.epoch = 0;
  ASSERT_TRUE(store->Commit(rec, {}).ok());
  EXPECT_TRUE(PlanOf(*store, 0).empty());
  EXPECT_EQ(PlanOf(*store, 1), (std::vector<Round>{{Cut(0, 12, 20)}}));
  EXPECT_EQ(Epochs("offsets"), (std::vector<int64_t>{1}));
}

TEST_F(CheckpointStoreTest, AnOffsetsLogEntryCutShortByACrashEndsTheLogAndIsReplaced) {
  const Round r1 = {Cut(0, 0, 100)};
  const Round r2 = {Cut(0, 100, 250), Cut(3, 7, 8)};
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->PlanRound(4, r1).ok());
    ASSERT_TRUE(store->PlanRound(4, r2).ok());
  }
  const std::string path = FileOf("offsets", 4);
  const std::string whole = Slurp(path);
  // Cut at every length inside the second entry: only the first round is read back.
  const size_t first_end = whole.size() - (4 + 1 + 6 * 8 + 8);
  for (size_t len = first_end; len < whole.size(); ++len) {
    Spit(path, whole.substr(0, len));
    auto store = OpenStore();
    auto plan = store->LoadPlan(4);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_EQ(*plan, (std::vector<Round>{r1})) << "cut at " << len;
  }
  // A flipped byte in the last entry's checksum ends the log there too; a round appended after
  // LoadPlan replaces it.
  Spit(path, whole);
  PatchByte(path, whole.size() - 1, static_cast<char>(whole.back() ^ 1));
  auto store = OpenStore();
  EXPECT_EQ(PlanOf(*store, 4), (std::vector<Round>{r1}));
  ASSERT_TRUE(store->PlanRound(4, {Cut(0, 100, 101)}).ok());
  EXPECT_EQ(PlanOf(*store, 4), (std::vector<Round>{r1, {Cut(0, 100, 101)}}));
  // Cut inside the header: nothing was planned, and planning starts the log again.
  Spit(path, whole.substr(0, 5));
  EXPECT_TRUE(PlanOf(*store, 4).empty());
  ASSERT_TRUE(store->PlanRound(4, r2).ok());
  EXPECT_EQ(PlanOf(*store, 4), (std::vector<Round>{r2}));
}

TEST_F(CheckpointStoreTest, AnOffsetsLogOfAnotherVersionOrMagicIsRefusedNamingTheFile) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->PlanRound(2, {Cut(0, 0, 1)}).ok());
  }
  const std::string path = FileOf("offsets", 2);
  const std::string whole = Slurp(path);
  PatchByte(path, 8, 9);  // version 9
  auto store = OpenStore();
  auto plan = store->LoadPlan(2);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find(path), std::string::npos) << plan.status().message();
  EXPECT_NE(plan.status().message().find("version 9"), std::string::npos);
  Spit(path, "XLUICEOF" + whole.substr(8));
  plan = store->LoadPlan(2);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kCorruption);
  EXPECT_NE(plan.status().message().find(path), std::string::npos) << plan.status().message();
}

TEST_F(CheckpointStoreTest, ACheckpointWrittenBeforeOffsetsLogsHasNoPlanAndGetsTheirDirectory) {
  {
    auto store = OpenStore();
    EpochRecord rec = FullRecord(3);
    ASSERT_TRUE(store->Commit(rec, {Blob(0, "state")}).ok());
  }
  fs::remove_all(dir_ + "/offsets");  // as an older sluice left it
  auto store = OpenStore();
  auto latest = store->LoadLatest();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->epoch, 3);
  EXPECT_TRUE(PlanOf(*store, 4).empty());
  EXPECT_TRUE(fs::is_directory(dir_ + "/offsets"));
  ASSERT_TRUE(store->PlanRound(4, {Cut(0, 25'123, 25'200)}).ok());
}

}  // namespace
}  // namespace sluice
