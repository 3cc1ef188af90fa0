#include "source/line_cutter.h"

#include <cstring>

namespace sluice {

void AppendLineEnds(const char* first, size_t n, std::vector<uint32_t>& starts) {
  const size_t skew = reinterpret_cast<uintptr_t>(first) & 63;
  LineCutter lines(first - skew, skew + n, skew);
  lines.CutAll(starts, skew);
}

void CutLines(RawBatch& batch) {
  if (batch.uncut == 0) return;
  // An uncut batch borrows a mapping, whose page-aligned base and padding after the batch make
  // the aligned blocks around its bytes readable.
  batch.starts.assign(1, 0);
  batch.starts.reserve(batch.uncut / 128 + 2);
  AppendLineEnds(batch.bytes(), batch.uncut, batch.starts);
  batch.uncut = 0;
  MarkOversized(batch, batch.max_record_bytes);
}

void CutNextLine(RawBatch& batch) {
  const char* const b = batch.bytes();
  const size_t from = batch.starts.back();
  const void* nl = std::memchr(b + from, '\n', batch.uncut - from);
  const size_t end =
      nl == nullptr ? batch.uncut : static_cast<size_t>(static_cast<const char*>(nl) - b) + 1;
  if (end - from - (nl == nullptr ? 0 : 1) > batch.max_record_bytes) {
    batch.oversized.push_back(static_cast<uint32_t>(batch.size()));
  }
  batch.starts.push_back(static_cast<uint32_t>(end));
}

void MarkOversized(RawBatch& batch, size_t max_record_bytes) {
  // No line of the batch can be longer than the batch: most batches need no check.
  if (batch.starts.back() <= max_record_bytes) return;
  const char* const b = batch.bytes();
  for (size_t i = 0; i < batch.size(); ++i) {
    size_t len = batch.starts[i + 1] - batch.starts[i];
    if (b[batch.starts[i + 1] - 1] == '\n') --len;
    if (len > max_record_bytes) batch.oversized.push_back(static_cast<uint32_t>(i));
  }
}

}  // namespace sluice
