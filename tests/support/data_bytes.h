// Test helper: the bytes of small IDX and CIFAR-10 files, built in memory.
// Pixel k of a file (counting from its first pixel byte) has the value
// pixel_value(k), so tests can predict every pixel.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace tg::testing {

using Bytes = std::vector<std::uint8_t>;

inline std::uint8_t pixel_value(std::size_t k) { return static_cast<std::uint8_t>(k * 7 + 3); }

inline void append_u32_big_endian(Bytes& bytes, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(value >> shift & 0xff);
}

// An IDX images file: magic 0x00000803, n, rows, cols, then the pixels.
inline Bytes idx_images_bytes(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  Bytes bytes;
  for (std::uint32_t value : {0x00000803u, n, rows, cols}) append_u32_big_endian(bytes, value);
  for (std::size_t k = 0; k < std::size_t{n} * rows * cols; ++k) bytes.push_back(pixel_value(k));
  return bytes;
}

// An IDX labels file: magic 0x00000801, n, then the labels.
inline Bytes idx_labels_bytes(const std::vector<std::uint8_t>& labels) {
  Bytes bytes;
  append_u32_big_endian(bytes, 0x00000801);
  append_u32_big_endian(bytes, static_cast<std::uint32_t>(labels.size()));
  bytes.insert(bytes.end(), labels.begin(), labels.end());
  return bytes;
}

// A CIFAR-10 batch file: per record one label byte, then 3072 pixel bytes.
inline Bytes cifar10_bytes(const std::vector<std::uint8_t>& labels) {
  Bytes bytes;
  std::size_t k = 0;
  for (std::uint8_t label : labels) {
    bytes.push_back(label);
    for (int i = 0; i < 3072; ++i) bytes.push_back(pixel_value(k++));
  }
  return bytes;
}

// One gzip member holding `bytes` (header time 0, so the output is stable).
inline Bytes gzip_bytes(const Bytes& bytes) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip_bytes: deflateInit2 failed");
  }
  Bytes out(deflateBound(&stream, bytes.size()));
  stream.next_in = const_cast<Bytef*>(bytes.data());
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) throw std::runtime_error("gzip_bytes: deflate did not finish");
  return out;
}

}  // namespace tg::testing
