#include "source/line_cutter.h"

#include <cstring>

namespace sluice {

void CutLines(RawBatch& batch) {
  if (batch.uncut == 0) return;
  // The cutter reads whole aligned blocks: those around the batch's first and last bytes lie
  // in the mapping the batch borrows (it starts on a page boundary and ends kBatchPadding or
  // more bytes after the batch).
  const char* const first = batch.bytes();
  const size_t skew = reinterpret_cast<uintptr_t>(first) & 63;
  LineCutter lines(first - skew, skew + batch.uncut, skew);
  batch.starts.assign(1, 0);
  batch.starts.reserve(batch.uncut / 128 + 2);
  lines.CutAll(batch.starts, skew);
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
