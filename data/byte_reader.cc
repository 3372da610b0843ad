#include "data/byte_reader.h"

#include "data/file_error.h"

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
