#include "source/file_source.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "source/line_cutter.h"

namespace sluice {
namespace {
constexpr size_t kReadChunk = 4 << 20;
constexpr size_t kQueueDepth = 16;  // batches read ahead at least (about 20 MB of lab records)
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// What of an oversized line read through a pipe the batch keeps (for the dead-letter sink).
constexpr size_t kOversizedPrefix = 1024;

// Most JSON readers skip a UTF-8 byte-order mark at the start of a file; so does sluice.
bool HasByteOrderMark(const char* p, size_t n) {
  return n >= kByteOrderMark.size() &&
         std::memcmp(p, kByteOrderMark.data(), kByteOrderMark.size()) == 0;
}

// The SIGBUS guard. Reading a page of a mapped file beyond the file's current end raises
// SIGBUS: another process truncated the file while it was read. The handler maps zero pages
// over the rest of the mapping, marks it, and lets the read continue; the reader thread sees
// the mark (or the smaller size) and fails the run with a message. Slots are claimed and
// released with atomics only, so the handler needs no lock.
struct GuardedMapping {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<bool> faulted{false};
};
constexpr int kGuardSlots = 64;
GuardedMapping g_guarded[kGuardSlots];
std::once_flag g_guard_installed;
// Read once, before the handler is installed: sysconf is not async-signal-safe.
const uintptr_t g_page_size = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));

void OnSigbus(int /*sig*/, siginfo_t* info, void* /*context*/) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (auto& g : g_guarded) {
    const uintptr_t b = g.begin.load(std::memory_order_acquire);
    const uintptr_t e = g.end.load(std::memory_order_acquire);
    if (b != 0 && b <= addr && addr < e) {
      const uintptr_t page = addr & ~(g_page_size - 1);
      ::mmap(reinterpret_cast<void*>(page), e - page, PROT_READ,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      g.faulted.store(true, std::memory_order_release);
      return;
    }
  }
  // Not one of ours: the default action (the process dies) when the access is retried.
  ::signal(SIGBUS, SIG_DFL);
}

// Registers [p, p + size) with the guard; the slot, or -1 when all are taken (unguarded).
int GuardMapping(const void* p, size_t size) {
  std::call_once(g_guard_installed, [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, nullptr);
  });
  const auto b = reinterpret_cast<uintptr_t>(p);
  const uintptr_t e = (b + size + g_page_size - 1) & ~(g_page_size - 1);
  for (int i = 0; i < kGuardSlots; ++i) {
    uintptr_t expected = 0;
    if (g_guarded[i].begin.compare_exchange_strong(expected, b)) {
      g_guarded[i].faulted.store(false);
      g_guarded[i].end.store(e, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void UnguardMapping(int slot) {
  if (slot < 0) return;
  g_guarded[slot].end.store(0, std::memory_order_release);
  g_guarded[slot].begin.store(0, std::memory_order_release);
}

// A batch's share of a mapped file. When it is destroyed the pages wholly inside
// [begin, end) are dropped from the resident set (MADV_DONTNEED on a read-only private file
// mapping: they stay in the page cache and read back from the file if touched again). Pages
// shared with the next or previous batch stay, so the parser's look-ahead is never affected,
// and a file of any size costs only the batches in flight.
class MappedPages {
 public:
  MappedPages(std::shared_ptr<const void> mapping, const char* begin, const char* end)
      : mapping_(std::move(mapping)), begin_(begin), end_(end) {}
  ~MappedPages() {
    const uintptr_t first =
        (reinterpret_cast<uintptr_t>(begin_) + g_page_size - 1) & ~(g_page_size - 1);
    const uintptr_t last = reinterpret_cast<uintptr_t>(end_) & ~(g_page_size - 1);
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
  }
  MappedPages(const MappedPages&) = delete;
  MappedPages& operator=(const MappedPages&) = delete;

 private:
  std::shared_ptr<const void> mapping_;  // keeps the whole mapping alive
  const char* begin_;
  const char* end_;
};

// Where the batch of the byte grid that starts at `begin` ends: after the last line that starts
// in begin's cell [k * kFileBatchBytes, (k + 1) * kFileBatchBytes), that is one past the first
// newline at or after the cell's last byte (or the input's end).
size_t GridEnd(const char* base, size_t size, size_t begin) {
  const size_t cell_end = (begin / kFileBatchBytes + 1) * kFileBatchBytes;
  if (cell_end >= size) return size;
  const void* nl = std::memchr(base + cell_end - 1, '\n', size - (cell_end - 1));
  return nl == nullptr ? size : static_cast<size_t>(static_cast<const char*>(nl) - base) + 1;
}

}  // namespace

Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path,
                                                     const PartitionPosition* start,
                                                     size_t max_record_bytes, bool by_lines) {
  if (start != nullptr && path == "-") {
    return Status::InvalidArgument("standard input cannot be read again after a restart");
  }
  int fd = 0;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return Status::InvalidArgument("cannot open source file '" + path +
                                     "': " + std::strerror(errno));
    }
  }
  struct stat dir_check {};
  if (fd > 0 && ::fstat(fd, &dir_check) == 0 && S_ISDIR(dir_check.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("source '" + path + "' is a directory: give a JSON-lines file");
  }
  auto src = std::unique_ptr<FileSource>(new FileSource(path, fd));
  src->max_record_bytes_ = max_record_bytes;
  src->by_lines_ = by_lines;
  struct stat st {};
  if (start != nullptr) {
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      return Status::InvalidArgument("cannot resume reading '" + path +
                                     "' from a checkpoint: it is not a regular file");
    }
    if (start->next_byte < 0 || start->next_byte > st.st_size) {
      return Status::InvalidArgument("cannot resume reading '" + path +
                                     "' from a checkpoint: the checkpoint stopped at byte " +
                                     std::to_string(start->next_byte) + " (line " +
                                     std::to_string(start->next_offset.value) +
                                     ") but the file has " + std::to_string(st.st_size) +
                                     " bytes: it is not the input this "
                                     "query read");
    }
    src->start_offset_ = start->next_offset.value;
    src->start_byte_ = static_cast<size_t>(start->next_byte);
    if (!S_ISREG(st.st_mode) || ::lseek(fd, start->next_byte, SEEK_SET) < 0) {
      return Status::InvalidArgument("cannot seek in '" + path + "'");
    }
    std::lock_guard<std::mutex> lock(src->mu_);
    src->next_offset_ = src->start_offset_;
  }
  if (fd > 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    const auto size = static_cast<size_t>(st.st_size);
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      ::madvise(p, size, MADV_SEQUENTIAL);
      const int slot = GuardMapping(p, size);
      src->map_slot_ = slot;
      src->mapping_ = std::shared_ptr<const void>(p, [size, slot](const void* q) {
        UnguardMapping(slot);
        ::munmap(const_cast<void*>(q), size);
      });
      src->map_base_ = static_cast<const char*>(p);
      src->map_size_ = size;
    }
  }
  FileSource* s = src.get();
  src->reader_ = std::thread([s] {
    if (s->mapping_)
      s->MappedLoop();
    else
      s->ReadLoop();
  });
  return src;
}

FileSource::FileSource(std::string path, int fd)
    : path_(std::move(path)), fd_(fd), depth_(kQueueDepth) {}

FileSource::~FileSource() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  not_full_.notify_all();
  if (reader_.joinable()) reader_.join();
  if (fd_ > 0) ::close(fd_);
}

bool FileSource::Push(RawBatch&& batch) {
  std::unique_lock<std::mutex> lock(mu_);
  not_full_.wait(lock, [&] { return stop_ || queue_.size() < depth_; });
  if (stop_) return false;
  queue_.push_back(std::move(batch));
  not_empty_.notify_all();
  return true;
}

void FileSource::Finish(std::string error) {
  std::lock_guard<std::mutex> lock(mu_);
  error_ = std::move(error);
  eof_ = true;
  not_empty_.notify_all();
}

std::string FileSource::ShrankMessage() const {
  return "the file '" + path_ + "' shrank while it was read (it had " + std::to_string(map_size_) +
         " bytes when opened): it was truncated or replaced in place";
}

bool FileSource::MappingShrank() const {
  if (map_slot_ >= 0 && g_guarded[map_slot_].faulted.load(std::memory_order_acquire)) return true;
  struct stat st {};
  return ::fstat(fd_, &st) == 0 && static_cast<size_t>(st.st_size) < map_size_;
}

void FileSource::MappedLoop() {
  const char* const base = map_base_;
  const size_t size = map_size_;
  size_t pos = start_byte_;
  if (pos == 0 && HasByteOrderMark(base, size)) pos = kByteOrderMark.size();
  LineCutter lines(base, size, pos);
  int64_t offset = start_offset_;  // (-1 once the lines are left to the workers to count)
  while (pos < size) {
    RawBatch batch;
    batch.first_offset = Offset(offset);
    const size_t begin = pos;
    if (by_lines_) {
      pos = lines.Cut(batch.starts, begin, kMaxBatchRecords, kMaxBatchBytes);
      offset += static_cast<int64_t>(batch.size());
    } else {
      // The grid's cut: one newline search, at the end of begin's cell. The batch's own lines
      // are left to the worker that parses it.
      pos = GridEnd(base, size, begin);
    }
    // Checked after the cut (the mapping's pages past the file read as zeros, see OnSigbus).
    if (MappingShrank()) {
      Finish(ShrankMessage());
      return;
    }
    batch.end_byte = static_cast<int64_t>(pos);
    if (pos + kBatchPadding <= size) {
      // Borrow the mapping: the next lines serve as the parser's look-ahead padding. Once the
      // last copy of the batch is gone, its pages leave the process's resident set.
      batch.external = std::make_shared<MappedPages>(mapping_, base + begin, base + pos);
      batch.ext_base = base + begin;
      batch.ext_size = size - begin;
      if (!by_lines_) {
        batch.uncut = pos - begin;
        batch.max_record_bytes = max_record_bytes_;
      }
    } else {
      // The end of the file has no bytes after it to pad with: copy the last lines, cut here.
      if (!by_lines_) AppendLineEnds(base + begin, pos - begin, batch.starts);
      batch.data.assign(base + begin, pos - begin);
      batch.Seal();
    }
    // On the grid only a batch cut here (the source's first, copied) tells the next its line.
    if (!by_lines_) offset = offset >= 0 && batch.uncut == 0 ? offset + batch.size() : -1;
    if (batch.uncut == 0) MarkOversized(batch, max_record_bytes_);
    if (!Push(std::move(batch))) return;
  }
  Finish();
}

void FileSource::ReadLoop() {
  // Unconsumed bytes are data[0, len); allocated up front (a std::string would zero-fill every
  // chunk before reading into it) and grown, up to the longest record allowed, when one line
  // does not fit.
  size_t cap = 2 * kReadChunk;
  std::unique_ptr<char[]> storage(new char[cap]);
  char* data = storage.get();
  size_t len = 0;
  int64_t offset = start_offset_;
  // Byte offset in the input of data[0]: batches record where they end, for checkpoints.
  auto consumed = static_cast<int64_t>(start_byte_);
  RawBatch batch;
  batch.first_offset = Offset(offset);  // a resumed read does not start at line 0
  // Hands the batch on (if it has records) and starts the next one at `offset`.
  auto push = [&] {
    if (batch.size() > 0) {
      batch.end_byte = consumed;
      batch.Seal();
      if (!Push(std::move(batch))) return false;
    }
    batch = RawBatch();
    batch.first_offset = Offset(offset);
    return true;
  };
  // On the byte grid: where the cell of the batch's first line ends (see GridEnd).
  int64_t cell_end = 0;
  auto first_line_at = [&](int64_t byte) {
    if (batch.size() == 0) {
      const auto cell = static_cast<int64_t>(kFileBatchBytes);
      cell_end = (byte / cell + 1) * cell;
    }
  };
  // The batch is complete once the next line is `next_byte`.
  auto batch_full = [&](int64_t next_byte) {
    if (batch.data.size() >= kMaxBatchBytes) return true;
    return by_lines_ ? batch.size() == kMaxBatchRecords : next_byte >= cell_end;
  };
  // A line longer than the maximum is being discarded up to its newline; its first bytes become
  // a record marked oversized once its end (and so the next line's position) is known.
  bool skipping = false;
  std::string oversized_prefix;
  int64_t oversized_at = 0;  // the line's first byte
  auto finish_oversized = [&] {
    skipping = false;
    first_line_at(oversized_at);
    batch.oversized.push_back(static_cast<uint32_t>(batch.size()));
    batch.Add(oversized_prefix);
    ++offset;
    return !batch_full(consumed) || push();
  };
  bool at_eof = false;
  bool bom_checked = false;
  while (!at_eof) {
    const ssize_t got = ::read(fd_, data + len, cap - len);
    if (got < 0) {
      if (errno == EINTR) continue;
      Finish("reading '" + path_ + "': " + std::strerror(errno));
      return;
    }
    len += static_cast<size_t>(got);
    at_eof = got == 0;
    if (consumed == 0 && !bom_checked && (len >= kByteOrderMark.size() || at_eof)) {
      // A UTF-8 byte-order mark before the first record is not part of it.
      bom_checked = true;
      if (HasByteOrderMark(data, len)) {
        std::memmove(data, data + kByteOrderMark.size(), len - kByteOrderMark.size());
        len -= kByteOrderMark.size();
        consumed += static_cast<int64_t>(kByteOrderMark.size());
      }
    }
    size_t pos = 0;
    if (skipping) {
      const void* nl = std::memchr(data, '\n', len);
      pos = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) + 1 : len;
      consumed += static_cast<int64_t>(pos);
      if ((nl != nullptr || at_eof) && !finish_oversized()) return;
    }
    // Cut whole lines into the batch: find the line ends first, then copy them in one go
    // (a copy per line costs more than the newline search). Records keep their '\n'.
    while (!skipping && pos < len) {
      const size_t begin = pos;
      const size_t base = batch.data.size();
      size_t lines = 0;
      first_line_at(consumed);
      const size_t room = by_lines_ ? kMaxBatchRecords - batch.size() : SIZE_MAX;
      while (lines < room && pos < len && base + (pos - begin) < kMaxBatchBytes &&
             (by_lines_ || consumed + static_cast<int64_t>(pos - begin) < cell_end)) {
        const void* nl = std::memchr(data + pos, '\n', len - pos);
        if (nl == nullptr && !at_eof) break;  // a partial line: wait for more bytes
        const size_t line_begin = pos;
        pos = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) + 1 : len;
        if (pos - line_begin - (nl ? 1 : 0) > max_record_bytes_) {
          batch.oversized.push_back(static_cast<uint32_t>(batch.size()));
        }
        batch.starts.push_back(static_cast<uint32_t>(base + pos - begin));
        ++lines;
      }
      if (lines == 0) break;
      if (base == 0) batch.data.reserve(kMaxBatchRecords * 170);
      batch.data.append(data + begin, pos - begin);
      consumed += static_cast<int64_t>(pos - begin);
      offset += static_cast<int64_t>(lines);
      if (batch_full(consumed) && !push()) return;
    }
    if (!skipping && pos == 0 && len == cap) {
      // One line fills the buffer. Grow it while the line may still be short enough to be a
      // record; past the maximum, keep its first bytes and discard the rest.
      if (cap <= max_record_bytes_) {
        const size_t grown = std::min(2 * cap, max_record_bytes_ + 1 + kReadChunk);
        std::unique_ptr<char[]> bigger(new char[grown]);
        std::memcpy(bigger.get(), data, len);
        storage = std::move(bigger);
        data = storage.get();
        cap = grown;
        continue;
      }
      skipping = true;
      oversized_prefix.assign(data, kOversizedPrefix);
      oversized_at = consumed;
      consumed += static_cast<int64_t>(len);
      pos = len;
    }
    std::memmove(data, data + pos, len - pos);
    len -= pos;
    if (len == 0 && cap > 2 * kReadChunk) {  // a long line is done: give its memory back
      cap = 2 * kReadChunk;
      storage.reset(new char[cap]);
      data = storage.get();
    }
  }
  if (skipping && !finish_oversized()) return;
  if (!push()) return;
  Finish();
}

Status FileSource::Poll(std::vector<RawBatch>& out, size_t max_batches,
                        std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  // The reader reads ahead a whole round: a round larger than its queue would otherwise wait for
  // the timeout every time (engines of more than 4 threads did).
  if (max_batches > depth_) {
    depth_ = max_batches;
    not_full_.notify_all();
  }
  // Wait for a full round when the reader can deliver it soon: a short round leaves workers idle.
  not_empty_.wait_for(lock, timeout, [&] { return queue_.size() >= max_batches || eof_; });
  // The workers read a batch's lines after the reader cut it: a file that shrank before they
  // were all read fails the run, which must not end as complete.
  if (error_.empty() && eof_ && queue_.empty() && mapping_ != nullptr && MappingShrank()) {
    error_ = ShrankMessage();
  }
  if (!error_.empty()) return Status::IOError(error_);
  size_t taken = 0;
  while (!queue_.empty() && taken < max_batches) {
    const RawBatch& b = queue_.front();
    if (b.first_offset.value >= 0 && b.uncut == 0) {
      next_offset_ = b.first_offset.value + static_cast<int64_t>(b.size());
    }
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
    ++taken;
  }
  if (taken > 0) not_full_.notify_one();
  return Status::Ok();
}

bool FileSource::Finished() const {
  std::lock_guard<std::mutex> lock(mu_);
  // A read that failed is not finished: the next Poll reports the failure. (A Poll that found
  // nothing just before the reader failed must not let the engine end the run as complete.)
  return eof_ && queue_.empty() && error_.empty() && !(mapping_ != nullptr && MappingShrank());
}

std::vector<PartitionInfo> FileSource::Partitions() const {
  std::lock_guard<std::mutex> lock(mu_);
  PartitionInfo p;
  p.id = PartitionId(0);
  p.next_offset = Offset(next_offset_);
  return {p};
}

std::string FileSource::Describe() const {
  return path_ == "-" ? "file:- (stdin)" : "file:" + path_;
}

}  // namespace sluice
