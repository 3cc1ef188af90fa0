#include "source/batch_buffer_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <utility>

namespace sluice {
namespace {

constexpr size_t kHugePage = 2 << 20;
// Address space a buffer reserves at least: a batch of 10,000 records of up to 400 bytes fits
// without growing; a larger one grows by remapping, which moves no bytes. Only the pages written
// are memory, but a small reservation keeps the commit charge low where overcommit is strict.
constexpr size_t kDefaultReserve = 4 << 20;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Maps `len` bytes (a multiple of kHugePage) at a kHugePage boundary, so that the kernel can back
// them with huge pages.
char* MapAligned(size_t len) {
  void* p = ::mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = RoundUp(start, kHugePage);
  if (aligned > start) ::munmap(p, aligned - start);
  const size_t tail = start + len + kHugePage - (aligned + len);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + len), tail);
  return reinterpret_cast<char*>(aligned);
}

}  // namespace

BatchBuffer& BatchBuffer::operator=(BatchBuffer&& other) noexcept {
  if (this == &other) return *this;
  Release();
  pool_ = std::move(other.pool_);
  base_ = std::exchange(other.base_, nullptr);
  reserved_ = std::exchange(other.reserved_, 0);
  touched_ = std::exchange(other.touched_, 0);
  size_ = std::exchange(other.size_, 0);
  return *this;
}

void BatchBuffer::Grow(size_t need) {
  const size_t len = RoundUp(std::max(need, reserved_ * 2), kHugePage);
  // Moves the pages, not the bytes.
  void* p = ::mremap(base_, reserved_, len, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<char*>(p);
  reserved_ = len;
}

void BatchBuffer::Release() {
  if (base_ == nullptr) return;
  pool_->Give({base_, reserved_, std::max(touched_, size_)});
  pool_.reset();
  base_ = nullptr;
  reserved_ = touched_ = size_ = 0;
}

void BatchBuffer::SealInto(RawBatch& b) {
  if (size_ + kBatchPadding > reserved_) Grow(size_ + kBatchPadding);
  std::memset(base_ + size_, 0, kBatchPadding);
  // Gives the mapping back to the pool when the batch's last reference goes.
  struct Sealed {
    Sealed(std::shared_ptr<BatchBufferPool> p, BatchBufferPool::Region r)
        : pool(std::move(p)), region(r) {}
    Sealed(const Sealed&) = delete;
    Sealed& operator=(const Sealed&) = delete;
    ~Sealed() { pool->Give(region); }
    std::shared_ptr<BatchBufferPool> pool;
    BatchBufferPool::Region region;
  };
  const size_t used = size_ + kBatchPadding;
  b.external = std::make_shared<const Sealed>(
      std::move(pool_), BatchBufferPool::Region{base_, reserved_, std::max(touched_, used)});
  b.ext_base = base_;
  b.ext_size = used;
  base_ = nullptr;
  reserved_ = touched_ = size_ = 0;
}

BatchBufferPool::~BatchBufferPool() {
  for (const Region& r : free_) ::munmap(r.base, r.reserved);
}

BatchBuffer BatchBufferPool::Take(size_t expected_bytes) {
  Region r{nullptr, 0, 0};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      r = free_.back();
      free_.pop_back();
    }
  }
  if (r.base == nullptr) {
    r.reserved = RoundUp(std::max(kDefaultReserve, expected_bytes + expected_bytes / 4), kHugePage);
    r.base = MapAligned(r.reserved);
  }
  // Advice only: without transparent huge pages (or with them off) nothing changes.
  if (expected_bytes >= kHugeFrom) ::madvise(r.base, r.reserved, MADV_HUGEPAGE);
  BatchBuffer buf;
  buf.pool_ = shared_from_this();
  buf.base_ = r.base;
  buf.reserved_ = r.reserved;
  buf.touched_ = r.touched;
  return buf;
}

size_t BatchBufferPool::free_buffers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_.size();
}

void BatchBufferPool::Give(Region r) {
  if (r.touched > kKeepBytes) {
    // Beyond what a usual batch needs: back to the kernel (read as zeros if touched again).
    ::madvise(r.base + kKeepBytes, RoundUp(r.touched - kKeepBytes, 4096), MADV_DONTNEED);
    r.touched = kKeepBytes;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < kMaxFree) {
      free_.push_back(r);
      return;
    }
  }
  ::munmap(r.base, r.reserved);
}

}  // namespace sluice
