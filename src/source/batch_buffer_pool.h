// Recycled memory for the bytes of batches that a source copies record by record (Kafka).
//
// Why: a batch of 10,000 records is 1 to 2 MB. Taken from the heap, each one is a fresh mapping
// that the kernel faults in 4 KiB at a time (about 400 page faults per batch, more than the copy
// itself costs) and that is unmapped again when the batch is freed; the first batch of each
// partition also grows by doubling, copying itself. A pooled buffer grows by remapping its pages
// (no byte is copied), keeps its pages between batches, and a buffer meant for a large batch asks
// for transparent huge pages (one fault per 2 MiB where the kernel has them).
//
// Threads: Take and Append on one thread (the source's, the engine's driver); a sealed batch may
// be freed on any thread, which gives its buffer back to the pool under the pool's lock.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "source/source.h"

namespace sluice {

class BatchBufferPool;

// One batch's bytes while it is built. Move-only; gives its memory back to the pool when
// destroyed without being sealed.
class BatchBuffer {
 public:
  BatchBuffer() = default;
  BatchBuffer(BatchBuffer&& other) noexcept { *this = std::move(other); }
  BatchBuffer& operator=(BatchBuffer&& other) noexcept;
  BatchBuffer(const BatchBuffer&) = delete;
  BatchBuffer& operator=(const BatchBuffer&) = delete;
  ~BatchBuffer() { Release(); }

  bool valid() const { return base_ != nullptr; }
  size_t size() const { return size_; }
  const char* data() const { return base_; }
  // Appends n bytes; the buffer's mapping grows (and may move) if they do not fit.
  void Append(const char* p, size_t n) {
    if (size_ + n > reserved_) Grow(size_ + n);
    std::memcpy(base_ + size_, p, n);
    size_ += n;
  }
  // Hands the bytes to `b` as its external buffer (b.ext_base, b.ext_size, b.external), with
  // kBatchPadding zero bytes after them; b.starts must already index them. The buffer goes back
  // to the pool once the last copy of b.external is gone. Leaves this buffer empty.
  void SealInto(RawBatch& b);

 private:
  friend class BatchBufferPool;
  void Grow(size_t need);
  void Release();

  std::shared_ptr<BatchBufferPool> pool_;
  char* base_ = nullptr;
  size_t reserved_ = 0;  // mapped bytes
  size_t touched_ = 0;   // high-water mark of bytes written, over every use of the mapping
  size_t size_ = 0;
};

class BatchBufferPool : public std::enable_shared_from_this<BatchBufferPool> {
 public:
  // Batches expected to be at least this large get transparent huge pages.
  static constexpr size_t kHugeFrom = 1 << 20;
  // A returned buffer keeps at most this many of its bytes in memory (more are given back to
  // the kernel), and the pool keeps at most kMaxFree buffers: what the pool holds is bounded
  // whatever the batches were.
  static constexpr size_t kKeepBytes = 8 << 20;
  static constexpr size_t kMaxFree = 64;

  static std::shared_ptr<BatchBufferPool> Make() {
    return std::shared_ptr<BatchBufferPool>(new BatchBufferPool());
  }
  ~BatchBufferPool();
  BatchBufferPool(const BatchBufferPool&) = delete;
  BatchBufferPool& operator=(const BatchBufferPool&) = delete;

  // A buffer for a batch of about `expected_bytes` (0 when unknown: no huge pages). Throws
  // std::bad_alloc if no memory can be mapped, as `new` would.
  BatchBuffer Take(size_t expected_bytes);
  // Buffers ready to be taken again (for tests and the curious).
  size_t free_buffers() const;

 private:
  friend class BatchBuffer;
  struct Region {
    char* base;
    size_t reserved;
    size_t touched;
  };
  BatchBufferPool() = default;
  void Give(Region r);

  mutable std::mutex mu_;
  std::vector<Region> free_;  // GUARDED_BY(mu_); the most recently returned last (warm pages)
};

}  // namespace sluice
