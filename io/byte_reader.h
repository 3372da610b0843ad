// Bounds-checked, forward-only reading of a file's bytes held in memory. Every
// read that would pass the end throws FileError naming the file, the offset
// and what was being read, so parsers never read out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tg {

// A read-only view of bytes (C++17 has no std::span).
struct ByteSpan {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;

  ByteSpan() = default;
  ByteSpan(const std::uint8_t* data, std::size_t size) : data(data), size(size) {}
  ByteSpan(const std::vector<std::uint8_t>& bytes) : data(bytes.data()), size(bytes.size()) {}
};

class ByteReader {
 public:
  // `file` names the bytes in error messages (usually the path).
  ByteReader(std::string_view file, ByteSpan bytes) : file_(file), bytes_(bytes) {}

  std::string_view file() const { return file_; }
  std::size_t offset() const { return offset_; }
  std::size_t size() const { return bytes_.size; }
  std::size_t remaining() const { return bytes_.size - offset_; }

  // `what` says what is being read, for the error message ("image count").
  std::uint8_t u8(std::string_view what);
  std::uint32_t u32_big_endian(std::string_view what);
  std::uint16_t u16_little_endian(std::string_view what);
  std::uint32_t u32_little_endian(std::string_view what);
  std::uint64_t u64_little_endian(std::string_view what);
  double f64_little_endian(std::string_view what);
  // The next `count` bytes, as a pointer into the span; advances past them.
  const std::uint8_t* take(std::size_t count, std::string_view what);
  // The next `count` bytes converted to float (0..255), written to out.
  void take_as_floats(std::size_t count, float* out, std::string_view what);

 private:
  void require(std::size_t count, std::string_view what) const;

  std::string_view file_;
  ByteSpan bytes_;
  std::size_t offset_ = 0;
};

}  // namespace tg
