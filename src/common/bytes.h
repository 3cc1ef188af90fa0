// ByteWriter / ByteReader: the endian-explicit encoding of everything sluice writes to disk
// (checkpoint manifests, state). Integers are little-endian whatever the host; doubles are their
// IEEE-754 bits as a little-endian u64; strings and blobs are a varint length then the bytes.
// The reader never reads past its buffer: a short or damaged input makes it fail (ok() false),
// and every getter then returns zero values, so a decoder checks ok() once at the end.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}

  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v), 8); }
  void F64(double v) { Fixed(std::bit_cast<uint64_t>(v), 8); }
  // Unsigned LEB128: small counts and lengths take one byte.
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Bytes(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }
  std::string& buffer() { return out_; }

 private:
  void Fixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}

  uint8_t U8() { return static_cast<uint8_t>(Fixed(1)); }
  uint32_t U32() { return static_cast<uint32_t>(Fixed(4)); }
  uint64_t U64() { return Fixed(8); }
  int64_t I64() { return static_cast<int64_t>(Fixed(8)); }
  double F64() { return std::bit_cast<double>(Fixed(8)); }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return Fail();
      const auto b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  // A view into the input: valid as long as the input is.
  std::string_view Bytes() {
    const uint64_t n = Varint();
    if (!ok_ || n > static_cast<uint64_t>(end_ - p_)) {
      Fail();
      return {};
    }
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  // A count of items that each take at least min_item_bytes: rejects counts the input cannot
  // hold, so a damaged length never makes a decoder reserve gigabytes.
  uint64_t Count(size_t min_item_bytes = 1) {
    const uint64_t n = Varint();
    if (ok_ && n > remaining() / (min_item_bytes == 0 ? 1 : min_item_bytes)) return Fail();
    return n;
  }

  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  uint64_t Fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }

 private:
  uint64_t Fixed(int n) {
    if (end_ - p_ < n) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_ += n;
    return v;
  }
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

}  // namespace sluice
