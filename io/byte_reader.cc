#include "io/byte_reader.h"

#include <cstring>

#include "io/file_error.h"

namespace tg {

void ByteReader::require(std::size_t count, std::string_view what) const {
  if (count > remaining()) {
    fail_at_byte(file_, offset_, "the data ends after {} bytes, expected {} more bytes ({})",
                 bytes_.size, count, what);
  }
}

std::uint8_t ByteReader::u8(std::string_view what) { return *take(1, what); }

std::uint32_t ByteReader::u32_big_endian(std::string_view what) {
  const std::uint8_t* b = take(4, what);
  return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 |
         std::uint32_t{b[3]};
}

namespace {

// The unsigned integer stored in `bytes` little-endian bytes at b.
std::uint64_t little_endian(const std::uint8_t* b, int bytes) {
  std::uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = value << 8 | b[i];
  return value;
}

}  // namespace

std::uint16_t ByteReader::u16_little_endian(std::string_view what) {
  return static_cast<std::uint16_t>(little_endian(take(2, what), 2));
}

std::uint32_t ByteReader::u32_little_endian(std::string_view what) {
  return static_cast<std::uint32_t>(little_endian(take(4, what), 4));
}

std::uint64_t ByteReader::u64_little_endian(std::string_view what) {
  return little_endian(take(8, what), 8);
}

double ByteReader::f64_little_endian(std::string_view what) {
  const std::uint64_t bits = u64_little_endian(what);
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

const std::uint8_t* ByteReader::take(std::size_t count, std::string_view what) {
  require(count, what);
  const std::uint8_t* start = bytes_.data + offset_;
  offset_ += count;
  return start;
}

void ByteReader::take_as_floats(std::size_t count, float* out, std::string_view what) {
  const std::uint8_t* bytes = take(count, what);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>(bytes[i]);
}

}  // namespace tg
