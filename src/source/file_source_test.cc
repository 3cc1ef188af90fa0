// FileSource: batches of a JSON-lines file, and resuming at a checkpointed position.
#include "source/file_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "source/line_cutter.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// What a reader saw of one batch.
struct SeenBatch {
  int64_t first_offset = 0;
  std::vector<std::string> records;
  int64_t end_byte = -1;
  PartitionPosition end;
  std::vector<int64_t> oversized;  // offsets of the records marked longer than the maximum
};

bool operator==(const SeenBatch& a, const SeenBatch& b) {
  return a.first_offset == b.first_offset && a.records == b.records && a.end_byte == b.end_byte &&
         a.oversized == b.oversized && a.end.partition == b.end.partition &&
         a.end.next_offset == b.end.next_offset && a.end.next_byte == b.end.next_byte;
}

std::ostream& operator<<(std::ostream& os, const SeenBatch& b) {
  return os << "{first " << b.first_offset << ", " << b.records.size() << " records, end byte "
            << b.end_byte << ", end offset " << b.end.next_offset.value << "}";
}

// Polls until the source has nothing more; checks the per-record offsets along the way. A batch
// left uncut is cut and numbered as the engine does (its worker cuts it, then it continues the
// batch before it).
std::vector<SeenBatch> ReadAll(FileSource& src) {
  std::vector<SeenBatch> seen;
  int64_t next = -1;
  for (int polls = 0; !src.Finished(); ++polls) {
    if (polls > 10'000) {
      ADD_FAILURE() << "the source never finished";
      break;
    }
    std::vector<RawBatch> out;
    const Status st = src.Poll(out, 2, std::chrono::milliseconds(200));
    EXPECT_TRUE(st.ok()) << st.message();
    for (RawBatch& b : out) {
      CutLines(b);
      if (b.first_offset.value < 0) {
        EXPECT_GE(next, 0) << "the first batch of a source is numbered";
        b.first_offset = Offset(next);
      }
      next = b.end_position().next_offset.value;
      SeenBatch s;
      s.first_offset = b.first_offset.value;
      for (size_t i = 0; i < b.size(); ++i) {
        s.records.emplace_back(b.record(i));
        EXPECT_EQ(b.offset(i), s.first_offset + static_cast<int64_t>(i));
        EXPECT_GE(b.padding_after(i), kBatchPadding);
      }
      s.end_byte = b.end_byte;
      s.end = b.end_position();
      for (uint32_t i : b.oversized) s.oversized.push_back(b.offset(i));
      seen.push_back(std::move(s));
    }
  }
  return seen;
}

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "sluice-file-source-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // 25,123 lines: mostly short records, some empty lines, some lines of 20 KB.
  static std::vector<std::string> Lines() {
    std::vector<std::string> lines;
    for (int i = 0; i < 25'123; ++i) {
      if (i % 97 == 5) {
        lines.emplace_back();
      } else if (i % 1000 == 7) {
        lines.push_back(R"({"n": )" + std::to_string(i) + R"(, "pad": ")" +
                        std::string(20'000, static_cast<char>('a' + i % 26)) + R"("})");
      } else {
        lines.push_back(R"({"n": )" + std::to_string(i) + R"(, "s": "record )" + std::to_string(i) +
                        R"("})");
      }
    }
    return lines;
  }
  static std::string Joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }

  std::vector<SeenBatch> ReadPath(const std::string& path, const PartitionPosition* start = nullptr,
                                  size_t max_record_bytes = kDefaultMaxRecordBytes,
                                  bool by_lines = false) {
    auto src = FileSource::Open(path, start, max_record_bytes, by_lines);
    EXPECT_TRUE(src.ok()) << src.status().message();
    if (!src.ok()) return {};
    return ReadAll(**src);
  }

  std::string dir_;
};

TEST_F(FileSourceTest, ReadsEveryLineInBatchesThatKnowWhereTheyEnd) {
  const auto lines = Lines();
  const std::string content = Joined(lines);
  const auto batches = ReadPath(Write("in.jsonl", content), nullptr, kDefaultMaxRecordBytes,
                                /*by_lines=*/true);
  ASSERT_EQ(batches.size(), 3u);
  std::vector<std::string> records;
  int64_t expected_first = 0;
  for (const auto& b : batches) {
    EXPECT_EQ(b.first_offset, expected_first);
    expected_first += static_cast<int64_t>(b.records.size());
    EXPECT_EQ(b.end.next_offset.value, expected_first);
    EXPECT_EQ(b.end.next_byte, b.end_byte);
    EXPECT_EQ(b.end.partition, PartitionId(0));
    records.insert(records.end(), b.records.begin(), b.records.end());
  }
  EXPECT_EQ(batches[0].records.size(), kMaxBatchRecords);
  EXPECT_EQ(batches[1].records.size(), kMaxBatchRecords);
  EXPECT_EQ(records, lines);
  // A batch ends just past the newline of its last line.
  size_t byte = 0;
  for (size_t i = 0; i < kMaxBatchRecords; ++i) byte += lines[i].size() + 1;
  EXPECT_EQ(batches[0].end_byte, static_cast<int64_t>(byte));
  EXPECT_EQ(batches.back().end_byte, static_cast<int64_t>(content.size()));
}

// The byte grid: batch k holds the lines whose first byte lies in [k, k + 1) * kFileBatchBytes,
// whatever their lengths (lines of up to 3 cells, some ending exactly at a cell's end, empty
// cells skipped), from the file and from a pipe alike, and from a resume mid-file.
TEST_F(FileSourceTest, BatchesHoldTheLinesThatStartInOneCellOfTheByteGrid) {
  std::vector<std::string> lines;
  size_t at = 0;
  for (int i = 0; at < 9 * kFileBatchBytes; ++i) {
    size_t len = static_cast<size_t>(i * 7919 % 3000);
    if (i % 500 == 3) len = static_cast<size_t>(i % 3 + 1) * kFileBatchBytes + 17;  // long lines
    const size_t cell_end = (at / kFileBatchBytes + 1) * kFileBatchBytes;
    if (i % 97 == 0 && cell_end - at > 1 && cell_end - at < 4000) len = cell_end - at - 1;
    lines.push_back(std::string(len, static_cast<char>('a' + i % 26)));
    at += len + 1;
  }
  const std::string content = Joined(lines);
  const std::string path = Write("grid.jsonl", content);
  // The expected cut, from the lines' first bytes.
  std::vector<std::vector<std::string>> want;
  std::vector<size_t> want_end;
  size_t first_byte = 0;
  size_t cell = SIZE_MAX;
  for (const std::string& l : lines) {
    if (first_byte / kFileBatchBytes != cell) {
      cell = first_byte / kFileBatchBytes;
      want.emplace_back();
      want_end.push_back(0);
    }
    want.back().push_back(l);
    first_byte += l.size() + 1;
    want_end.back() = first_byte;
  }
  ASSERT_GE(want.size(), 6u);
  ASSERT_LT(want.size(), 10u);  // some cells start no line
  auto check = [&](const std::vector<SeenBatch>& got, size_t from) {
    ASSERT_EQ(got.size(), want.size() - from);
    int64_t line = 0;
    for (size_t k = 0; k < from; ++k) line += static_cast<int64_t>(want[k].size());
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].records, want[from + k]) << "batch " << k;
      EXPECT_EQ(got[k].end_byte, static_cast<int64_t>(want_end[from + k])) << "batch " << k;
      EXPECT_EQ(got[k].first_offset, line) << "batch " << k;
      line += static_cast<int64_t>(want[from + k].size());
    }
  };
  check(ReadPath(path), 0);
  {
    SCOPED_TRACE("a pipe");
    const std::string command = "cat '" + path + "'";
    FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    const int saved = ::dup(0);
    ::dup2(::fileno(pipe), 0);
    const auto piped = ReadPath("-");
    ::dup2(saved, 0);
    ::close(saved);
    ::pclose(pipe);
    check(piped, 0);
  }
  {
    SCOPED_TRACE("resumed after batch 2");
    PartitionPosition at2;
    at2.next_byte = static_cast<int64_t>(want_end[1]);
    at2.next_offset = Offset(static_cast<int64_t>(want[0].size() + want[1].size()));
    check(ReadPath(path, &at2), 2);
  }
}

// A file whose first batch ends within the padding of its end: that batch is copied and cut by
// the reader, and the batch after it still knows its first line.
TEST_F(FileSourceTest, ABatchAfterACopiedFirstBatchKnowsItsLine) {
  const std::vector<std::string> lines = {std::string(kFileBatchBytes + 20, 'a'), "b",
                                          std::string(17, 'c')};
  const auto got = ReadPath(Write("copied.jsonl", Joined(lines)));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].records, std::vector<std::string>(lines.begin(), lines.begin() + 1));
  EXPECT_EQ(got[1].records, std::vector<std::string>(lines.begin() + 1, lines.end()));
  EXPECT_EQ(got[1].first_offset, 1);
  EXPECT_EQ(got[1].end.next_offset.value, 3);
}

TEST_F(FileSourceTest, LinesOfEveryLengthAroundBlockEdgesAreCutWhereTheirNewlinesAre) {
  // The mapped reader finds newlines 64 bytes at a time: lines of 0 to 200 bytes put them at
  // every place in a block, runs of empty lines fill blocks with newlines, and files end at
  // every offset in their last block, with and without a last newline.
  std::vector<std::string> lines;
  for (int i = 0; i < 3000; ++i)
    lines.push_back(std::string(static_cast<size_t>(i * 7 % 201), 'x'));
  for (int i = 0; i < 130; ++i) lines.emplace_back();
  for (size_t cut = 0; cut < 70; ++cut) {
    std::vector<std::string> some(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(cut));
    std::string content = Joined(some);
    const bool trailing = cut % 2 == 0;
    if (!trailing) some.push_back(std::string(cut, 'y')), content += some.back();
    std::vector<std::string> read;
    for (const SeenBatch& b : ReadPath(Write("edges.jsonl", content)))
      read.insert(read.end(), b.records.begin(), b.records.end());
    ASSERT_EQ(read, some) << "cut " << cut;
  }
}

TEST_F(FileSourceTest, ARoundLargerThanTheReadAheadIsDeliveredWhole) {
  // An engine of many threads asks for more batches per round than the reader's 16 of read-ahead;
  // the reader reads that far ahead, so the round comes whole rather than short at the timeout.
  const std::string path = Write("many.jsonl", std::string(40 * kMaxBatchRecords, '\n'));
  auto src = FileSource::Open(path, nullptr, kDefaultMaxRecordBytes, /*by_lines=*/true);
  ASSERT_TRUE(src.ok()) << src.status().message();
  std::vector<RawBatch> out;
  ASSERT_TRUE((*src)->Poll(out, 40, std::chrono::seconds(20)).ok());
  ASSERT_EQ(out.size(), 40u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].first_offset.value, static_cast<int64_t>(i * kMaxBatchRecords));
    EXPECT_EQ(out[i].size(), kMaxBatchRecords);
  }
}

TEST_F(FileSourceTest, ResumingAtABatchEndReadsExactlyTheRest) {
  const std::string path = Write("in.jsonl", Joined(Lines()));
  for (const bool by_lines : {false, true}) {
    const auto all = ReadPath(path, nullptr, kDefaultMaxRecordBytes, by_lines);
    ASSERT_EQ(all.size(), by_lines ? 3u : 2u);
    for (size_t k = 0; k < all.size(); ++k) {
      SCOPED_TRACE("resuming after batch " + std::to_string(k) + (by_lines ? ", by lines" : ""));
      const PartitionPosition at = all[k].end;
      auto src = FileSource::Open(path, &at, kDefaultMaxRecordBytes, by_lines);
      ASSERT_TRUE(src.ok()) << src.status().message();
      EXPECT_EQ((*src)->Partitions()[0].next_offset, at.next_offset);
      const auto rest = ReadAll(**src);
      const std::vector<SeenBatch> want(all.begin() + static_cast<std::ptrdiff_t>(k) + 1,
                                        all.end());
      EXPECT_EQ(rest, want);
      if (by_lines) {  // (batches on the grid are counted by the engine, not the source)
        EXPECT_EQ((*src)->Partitions()[0].next_offset.value, all.back().end.next_offset.value);
      }
    }
  }
}

// A file of whole pages resumed at its end: nothing is read, not even the page after it.
TEST_F(FileSourceTest, ResumingAtTheEndOfAFileOfWholePagesReadsNothing) {
  std::string content;
  for (int i = 0; content.size() < 4096; ++i) content += "{\"a\": " + std::to_string(i) + "}\n";
  content.resize(4095);
  content += '\n';
  const std::string path = Write("in.jsonl", content);
  const auto all = ReadPath(path);
  ASSERT_FALSE(all.empty());
  ASSERT_EQ(all.back().end.next_byte, 4096);
  const PartitionPosition at = all.back().end;
  EXPECT_TRUE(ReadPath(path, &at).empty());
}

TEST_F(FileSourceTest, ResumingAtTheStartReadsEverything) {
  const std::string path = Write("in.jsonl", Joined(Lines()));
  const PartitionPosition start{PartitionId(0), Offset(0), 0};
  EXPECT_EQ(ReadPath(path, &start), ReadPath(path));
}

TEST_F(FileSourceTest, ResumingMidBatchCutsFromThere) {
  const auto lines = Lines();
  const std::string path = Write("in.jsonl", Joined(lines));
  size_t byte = 0;
  for (size_t i = 0; i < 12'345; ++i) byte += lines[i].size() + 1;
  const PartitionPosition at{PartitionId(0), Offset(12'345), static_cast<int64_t>(byte)};
  const auto rest = ReadPath(path, &at);
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest[0].first_offset, 12'345);
  std::vector<std::string> records;
  for (const auto& b : rest) records.insert(records.end(), b.records.begin(), b.records.end());
  EXPECT_EQ(records, std::vector<std::string>(lines.begin() + 12'345, lines.end()));
  EXPECT_EQ(rest.back().end.next_offset.value, static_cast<int64_t>(lines.size()));
}

TEST_F(FileSourceTest, LastLineWithoutNewlineEndsAtTheFileSize) {
  const std::string content = "{\"a\": 1}\n\n{\"a\": 2}";
  const std::string path = Write("in.jsonl", content);
  const auto all = ReadPath(path);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].records, (std::vector<std::string>{"{\"a\": 1}", "", "{\"a\": 2}"}));
  EXPECT_EQ(all[0].end_byte, static_cast<int64_t>(content.size()));
  EXPECT_EQ(all[0].end.next_offset.value, 3);
  EXPECT_TRUE(ReadPath(path, &all[0].end).empty());
}

TEST_F(FileSourceTest, EmptyFileResumesAtZero) {
  const std::string path = Write("empty.jsonl", "");
  const PartitionPosition start{PartitionId(0), Offset(0), 0};
  EXPECT_TRUE(ReadPath(path).empty());
  EXPECT_TRUE(ReadPath(path, &start).empty());
}

TEST_F(FileSourceTest, PositionBeyondTheFileIsInvalidArgument) {
  const std::string content = Joined(Lines());
  const std::string path = Write("in.jsonl", content);
  const PartitionPosition beyond{PartitionId(0), Offset(30'000),
                                 static_cast<int64_t>(content.size()) + 1};
  auto src = FileSource::Open(path, &beyond);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(src.status().message().find(path), std::string::npos) << src.status().message();

  const PartitionPosition no_byte{PartitionId(0), Offset(10), -1};
  auto src2 = FileSource::Open(path, &no_byte);
  ASSERT_FALSE(src2.ok());
  EXPECT_EQ(src2.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FileSourceTest, StandardInputCannotResume) {
  const PartitionPosition at{PartitionId(0), Offset(0), 0};
  auto src = FileSource::Open("-", &at);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FileSourceTest, MissingFileIsInvalidArgument) {
  auto src = FileSource::Open(dir_ + "/missing.jsonl");
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FileSourceTest, PipeCannotResume) {
  const std::string path = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // O_RDWR does not wait for a reader, and lets the source's open not wait for a writer.
  const int keep_open = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(keep_open, 0);
  const PartitionPosition at{PartitionId(0), Offset(0), 0};
  auto src = FileSource::Open(path, &at);
  ::close(keep_open);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(src.status().message().find("not a regular file"), std::string::npos);
}

TEST_F(FileSourceTest, PipeIsReadInTheSameBatchesAsTheMappedFile) {
  const std::string content = Joined(Lines());
  const auto mapped = ReadPath(Write("in.jsonl", content));
  const std::string path = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::thread writer([&] {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);  // waits for the source to open
    if (fd < 0) return;
    size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  });
  const auto piped = ReadPath(path);
  writer.join();
  EXPECT_EQ(piped, mapped);
}

// Read through a FIFO (the read() path rather than the mapping).
std::vector<SeenBatch> ReadThroughPipe(const std::string& dir, const std::string& content,
                                       size_t max_record_bytes = kDefaultMaxRecordBytes) {
  const std::string path = dir + "/fifo";
  EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::thread writer([&] {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);
  });
  auto src = FileSource::Open(path, nullptr, max_record_bytes);
  std::vector<SeenBatch> seen;
  if (src.ok()) seen = ReadAll(**src);
  writer.join();
  ::unlink(path.c_str());
  return seen;
}

TEST_F(FileSourceTest, ADirectoryIsInvalidArgument) {
  auto src = FileSource::Open(dir_);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(src.status().message().find("is a directory"), std::string::npos);
}

TEST_F(FileSourceTest, AByteOrderMarkBeforeTheFirstRecordIsSkipped) {
  const std::string bom = "\xEF\xBB\xBF";
  const std::string body = Joined({R"({"n": 1})", R"({"n": 2})"});
  for (const auto& seen :
       {ReadPath(Write("bom.jsonl", bom + body)), ReadThroughPipe(dir_, bom + body)}) {
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].records, (std::vector<std::string>{R"({"n": 1})", R"({"n": 2})"}));
    // Positions still count the file's bytes, so a restart seeks to the right place.
    EXPECT_EQ(seen[0].end.next_byte, static_cast<int64_t>(bom.size() + body.size()));
  }
  // Only at the very start: a mark inside the file stays part of its line.
  const auto inside = ReadPath(Write("inside.jsonl", body + bom + R"({"n": 3})" + "\n"));
  ASSERT_EQ(inside.size(), 1u);
  EXPECT_EQ(inside[0].records.back(), bom + R"({"n": 3})");
}

// All records of a read, and the offsets of those marked oversized.
std::pair<std::vector<std::string>, std::vector<int64_t>> Flatten(
    const std::vector<SeenBatch>& seen) {
  std::pair<std::vector<std::string>, std::vector<int64_t>> out;
  for (const auto& b : seen) {
    out.first.insert(out.first.end(), b.records.begin(), b.records.end());
    out.second.insert(out.second.end(), b.oversized.begin(), b.oversized.end());
  }
  return out;
}

TEST_F(FileSourceTest, ALineLongerThanTheReadBufferIsOneRecordOverAPipeToo) {
  // 8 MiB + 125 bytes and 20 MiB: longer than the 8 MiB read buffer, shorter than the maximum.
  const std::vector<std::string> lines = {
      R"({"n": 1})", R"({"pad": ")" + std::string(8'388'669 - 10, 'x') + R"("})", R"({"n": 2})",
      R"({"pad": ")" + std::string(20 << 20, 'y') + R"("})", R"({"n": 3})"};
  const std::string content = Joined(lines);
  for (const auto& seen :
       {ReadPath(Write("long.jsonl", content)), ReadThroughPipe(dir_, content)}) {
    const auto [records, oversized] = Flatten(seen);
    EXPECT_EQ(records, lines);
    EXPECT_TRUE(oversized.empty());
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back().end_byte, static_cast<int64_t>(content.size()));
  }
}

TEST_F(FileSourceTest, LinesLongerThanTheMaximumAreMarkedAndNeverSplit) {
  const std::vector<std::string> lines = {std::string(500, 'a'),   std::string(5'000, 'b'),
                                          std::string(10, 'c'),    std::string(20 << 20, 'd'),
                                          std::string(1'000, 'e'), std::string(3'000, 'f')};
  std::string content = Joined(lines);
  content.pop_back();  // the last line has no newline
  const auto mapped = ReadPath(Write("max.jsonl", content), nullptr, 1'000);
  const auto piped = ReadThroughPipe(dir_, content, 1'000);
  for (const auto& seen : {mapped, piped}) {
    const auto [records, oversized] = Flatten(seen);
    ASSERT_EQ(records.size(), lines.size());
    EXPECT_EQ(oversized, (std::vector<int64_t>{1, 3, 5}));
    EXPECT_EQ(records[0], lines[0]);
    EXPECT_EQ(records[2], lines[2]);
    EXPECT_EQ(records[4], lines[4]);                                  // exactly the maximum is fine
    EXPECT_EQ(records[3].substr(0, 1'000), std::string(1'000, 'd'));  // at least a prefix kept
    EXPECT_EQ(seen.back().end_byte, static_cast<int64_t>(content.size()));
  }
  EXPECT_EQ(Flatten(mapped).first[3], lines[3]);      // the mapping keeps the whole line
  EXPECT_LT(Flatten(piped).first[3].size(), 4'096u);  // a pipe keeps only its start
}

TEST_F(FileSourceTest, AFileTruncatedWhileReadFailsWithAMessageNotSIGBUS) {
  std::vector<std::string> lines(
      400'000, R"({"timestamp": 1, "content": "a record of some length to fill pages"})");
  const std::string path = Write("shrinks.jsonl", Joined(lines));
  auto src = FileSource::Open(path);
  ASSERT_TRUE(src.ok());
  std::vector<RawBatch> first;
  ASSERT_TRUE((*src)->Poll(first, 1, std::chrono::milliseconds(2'000)).ok());
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  CutLines(first[0]);  // (the worker's read of the batch, after the truncation: zeros)
  // Reading on fails with a message; the bytes of batches handed out earlier read as zeros.
  Status st;
  for (int polls = 0; polls < 1'000 && st.ok() && !(*src)->Finished(); ++polls) {
    std::vector<RawBatch> out;
    st = (*src)->Poll(out, 4, std::chrono::milliseconds(100));
    for (auto& b : out) {
      CutLines(b);
      size_t bytes = 0;
      for (size_t i = 0; i < b.size(); ++i) bytes += b.record(i).size();
      EXPECT_GT(bytes, 0u);
    }
  }
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("shrank while it was read"), std::string::npos) << st.message();
  EXPECT_FALSE(first[0].record(0).empty());  // touching an old batch does not kill the process
}

}  // namespace
}  // namespace sluice
