// Arena: scratch memory for the strings an expression computes while one record is evaluated
// (lower(), concat(), casts to STRING). Values borrow from it until the next Reset().
// Reset() keeps the blocks, so once warm a worker evaluates records without touching the heap.
// Not thread-safe: each worker thread owns one.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace sluice {

class Arena {
 public:
  explicit Arena(size_t first_block_bytes = 4096) : first_block_bytes_(first_block_bytes) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // n bytes, valid until Reset() (null is possible for n == 0).
  char* Allocate(size_t n) {
    if (n <= remaining_) {
      char* p = ptr_;
      ptr_ += n;
      remaining_ -= n;
      return p;
    }
    return AllocateSlow(n);
  }

  std::string_view Copy(std::string_view s) {
    char* p = Allocate(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  // Forgets every allocation but keeps the memory for the next record.
  void Reset() {
    current_ = 0;
    if (blocks_.empty()) {
      ptr_ = nullptr;
      remaining_ = 0;
    } else {
      ptr_ = blocks_[0].data.get();
      remaining_ = blocks_[0].size;
    }
  }

  // Bytes held (for metrics and tests).
  size_t capacity() const {
    size_t total = 0;
    for (const Block& b : blocks_) total += b.size;
    return total;
  }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size;
  };

  char* AllocateSlow(size_t n) {
    // Move on to the next kept block that is large enough; allocate only when none is.
    while (current_ + 1 < blocks_.size()) {
      ++current_;
      if (blocks_[current_].size >= n) return TakeFrom(current_, n);
    }
    size_t size = blocks_.empty() ? first_block_bytes_ : blocks_.back().size * 2;
    if (size < n) size = n;
    blocks_.push_back(Block{std::make_unique<char[]>(size), size});
    current_ = blocks_.size() - 1;
    return TakeFrom(current_, n);
  }

  char* TakeFrom(size_t block, size_t n) {
    ptr_ = blocks_[block].data.get() + n;
    remaining_ = blocks_[block].size - n;
    return blocks_[block].data.get();
  }

  size_t first_block_bytes_;
  std::vector<Block> blocks_;
  size_t current_ = 0;
  char* ptr_ = nullptr;
  size_t remaining_ = 0;
};

}  // namespace sluice
