// LineCutter: finds the lines of JSON-lines bytes with SIMD newline masks, for the file source's
// reader and for the worker that cuts a batch the reader left whole (CutLines).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "source/source.h"

namespace sluice {

// Cuts bytes into lines 64 bytes at a time: a bit mask of the newlines of each aligned block,
// whose set bits become line ends directly (no search per line). Blocks are aligned to `base`,
// which must be 64-byte aligned with every block it reads readable (a mapping's page-aligned
// base: a load never crosses into a page past the file).
class LineCutter {
 public:
  LineCutter(const char* base, size_t size, size_t pos)
      : base_(base), size_(size), block_(pos & ~size_t{63}) {
    // A resume at the end of the file reads nothing: the block there may be past the mapping.
    mask_ = pos < size ? Load(block_) & (~uint64_t{0} << (pos & 63)) : 0;
  }

  // Appends to `starts` the end of every line from where the last call stopped to the input's
  // end, relative to `origin`.
  void CutAll(std::vector<uint32_t>& starts, size_t origin) {
    for (;;) {
      for (; mask_ != 0; mask_ &= mask_ - 1) {
        starts.push_back(static_cast<uint32_t>(
            block_ + static_cast<size_t>(__builtin_ctzll(mask_)) + 1 - origin));
      }
      block_ += 64;
      if (block_ >= size_) break;
      mask_ = Load(block_);
    }
    if (starts.back() != size_ - origin) starts.push_back(static_cast<uint32_t>(size_ - origin));
  }

  // Appends to `starts` the end of each line from where the last call stopped (one past its
  // '\n', or the input's end for a last line without one), relative to `origin`, until `starts`
  // holds `max_lines` lines, a line ends `max_bytes` or more after origin, or the input ends.
  // `starts` must hold exactly {0}. Returns the input position after the last line.
  size_t Cut(std::vector<uint32_t>& starts, size_t origin, size_t max_lines, size_t max_bytes) {
    starts.resize(max_lines + 1);
    uint32_t* out = starts.data() + 1;
    uint32_t* const full = starts.data() + max_lines + 1;
    size_t end = origin;
    for (;;) {
      while (mask_ != 0) {
        end = block_ + static_cast<size_t>(__builtin_ctzll(mask_)) + 1;
        mask_ &= mask_ - 1;
        *out++ = static_cast<uint32_t>(end - origin);
        if (out == full || end - origin >= max_bytes) {
          starts.resize(static_cast<size_t>(out - starts.data()));
          return end;
        }
      }
      block_ += 64;
      if (block_ >= size_) {
        if (end < size_) *out++ = static_cast<uint32_t>(size_ - origin);  // no final newline
        starts.resize(static_cast<size_t>(out - starts.data()));
        return size_;
      }
      mask_ = Load(block_);
    }
  }

 private:
  // The newlines of the aligned block at `block`, none at or past the input's end (the page
  // beyond it may hold bytes written after the file was mapped).
  uint64_t Load(size_t block) const {
    const char* p = base_ + block;
#if defined(__AVX2__)
    const __m256i nl = _mm256_set1_epi8('\n');
    const auto lo = static_cast<uint32_t>(_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_load_si256(reinterpret_cast<const __m256i*>(p)), nl)));
    const auto hi = static_cast<uint32_t>(_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_load_si256(reinterpret_cast<const __m256i*>(p + 32)), nl)));
    uint64_t mask = uint64_t{lo} | uint64_t{hi} << 32;
#else
    uint64_t mask = 0;
    for (int i = 0; i < 64; ++i) mask |= uint64_t{p[i] == '\n'} << i;
#endif
    const size_t left = size_ - block;
    if (left < 64) mask &= (uint64_t{1} << left) - 1;
    return mask;
  }

  const char* base_;
  size_t size_;
  size_t block_;   // the aligned block mask_ belongs to
  uint64_t mask_;  // its newlines not yet handed out
};

// Appends to `starts` the end of each line of first[0, n) (one past its newline, or n for a last
// line without one), relative to `first`; the 64-byte aligned blocks that hold first[0, n) must
// be readable (a mapping's).
void AppendLineEnds(const char* first, size_t n, std::vector<uint32_t>& starts);

// Appends the next line of a batch left whole to its starts (the line at starts.back(); the
// batch's lines after it stay uncut), marked oversized if it is longer than the batch's
// max_record_bytes: the worker's cut of a line too long for the index's run.
void CutNextLine(RawBatch& batch);

// Marks the lines of `batch` longer than `max_record_bytes` (less their newline) oversized.
void MarkOversized(RawBatch& batch, size_t max_record_bytes);

// Cuts a batch the file source left whole (RawBatch::uncut): its lines into `starts`, those
// longer than its max_record_bytes into `oversized`. A batch cut already is left as it is.
void CutLines(RawBatch& batch);

}  // namespace sluice
