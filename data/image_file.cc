#include "data/image_file.h"

#include <png.h>

#include <cctype>
#include <cstring>
#include <vector>

#include "data/idx.h"
#include "graph/checks.h"
#include "io/file_error.h"
#include "io/read_file.h"

namespace tg {
namespace {

constexpr std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr std::uint8_t kIdxImagesMagic[4] = {0x00, 0x00, 0x08, 0x03};

bool starts_with(ByteSpan bytes, const std::uint8_t* prefix, std::size_t size) {
  return bytes.size >= size && std::memcmp(bytes.data, prefix, size) == 0;
}

// The tokens of a netpbm header: whitespace-separated decimal numbers, with
// comments from '#' to the end of the line.
class NetpbmHeader {
 public:
  NetpbmHeader(std::string_view file, ByteSpan bytes) : file_(file), bytes_(bytes) {}

  std::size_t offset() const { return at_; }
  // Where the last number read starts.
  std::size_t number_offset() const { return number_at_; }

  // The next number, at most `max`.
  std::int64_t number(std::string_view what, std::int64_t max) {
    skip_space_and_comments();
    const std::size_t start = number_at_ = at_;
    std::int64_t value = 0;
    while (at_ < bytes_.size && std::isdigit(bytes_.data[at_])) {
      value = value * 10 + (bytes_.data[at_] - '0');
      if (value > max) fail_at_byte(file_, start, "the {} is larger than {}", what, max);
      ++at_;
    }
    if (at_ == start) {
      fail_at_byte(file_, start, "expected the {} (a decimal number), found {}", what,
                   at_ < bytes_.size ? "another character" : "the end of the data");
    }
    return value;
  }

  // The single whitespace character that ends the header of a binary image.
  void end_of_header() {
    if (at_ >= bytes_.size || !std::isspace(bytes_.data[at_])) {
      fail_at_byte(file_, at_, "expected one whitespace character before the pixels");
    }
    ++at_;
  }

  bool at_end_after_space() {
    while (at_ < bytes_.size && std::isspace(bytes_.data[at_])) ++at_;
    return at_ == bytes_.size;
  }

 private:
  void skip_space_and_comments() {
    while (at_ < bytes_.size) {
      if (std::isspace(bytes_.data[at_])) {
        ++at_;
      } else if (bytes_.data[at_] == '#') {
        while (at_ < bytes_.size && bytes_.data[at_] != '\n') ++at_;
      } else {
        break;
      }
    }
  }

  std::string_view file_;
  ByteSpan bytes_;
  std::size_t at_ = 2;  // after the magic "P5"
  std::size_t number_at_ = 2;
};

}  // namespace

Tensor parse_netpbm(std::string_view file, ByteSpan bytes) {
  const char kind = bytes.size >= 2 && bytes.data[0] == 'P' ? static_cast<char>(bytes.data[1]) : 0;
  if (kind != '2' && kind != '3' && kind != '5' && kind != '6') {
    fail_at_byte(file, 0, "not a PGM or PPM image (it must start with P2, P3, P5 or P6)");
  }
  const bool plain = kind == '2' || kind == '3';
  const std::int64_t channels = kind == '3' || kind == '6' ? 3 : 1;
  NetpbmHeader header(file, bytes);
  const std::int64_t width = header.number("width", kMaxImagePixels);
  const std::int64_t height = header.number("height", kMaxImagePixels);
  const std::int64_t maxval = header.number("maxval", 65535);
  if (width == 0 || height == 0 || maxval == 0) {
    fail_file(file, "width, height and maxval must be positive, got {}, {} and {}", width, height,
              maxval);
  }
  if (width * height > kMaxImagePixels) {
    fail_file(file, "{}x{} is more than {} pixels", width, height, kMaxImagePixels);
  }
  const std::int64_t samples = channels * width * height;
  // At least a byte per sample follows (a digit, or a binary sample): checked
  // before the image is allocated.
  if (static_cast<std::uint64_t>(samples) > bytes.size - header.offset()) {
    fail_at_byte(file, bytes.size, "the data ends, but a {}x{} image needs {} samples", width,
                 height, samples);
  }
  Tensor image = Tensor::empty({1, channels, height, width});
  float* out = image.data<float>();
  // The file stores pixels interleaved (RGB RGB ...); the tensor is planar.
  const auto store = [&](std::int64_t i, std::int64_t value, std::size_t offset) {
    if (value > maxval) {
      fail_at_byte(file, offset, "sample {} is {}, above maxval {}", i, value, maxval);
    }
    const std::int64_t pixel = i / channels, channel = i % channels;
    out[channel * width * height + pixel] =
        maxval == 255 ? static_cast<float>(value)
                      : static_cast<float>(static_cast<double>(value) * 255.0 / maxval);
  };
  if (plain) {
    for (std::int64_t i = 0; i < samples; ++i) {
      const std::int64_t value = header.number("sample", 65535);
      store(i, value, header.number_offset());
    }
    if (!header.at_end_after_space()) {
      fail_at_byte(file, header.offset(), "data after the {} samples of the image", samples);
    }
    return image;
  }
  header.end_of_header();
  ByteReader pixels(file, bytes);
  pixels.take(header.offset(), "header");
  const std::size_t sample_bytes = maxval < 256 ? 1 : 2;
  const std::uint8_t* data =
      pixels.take(static_cast<std::size_t>(samples) * sample_bytes, "the pixels");
  for (std::int64_t i = 0; i < samples; ++i) {
    const std::uint8_t* s = data + i * sample_bytes;
    store(i, sample_bytes == 1 ? s[0] : s[0] << 8 | s[1], header.offset() + i * sample_bytes);
  }
  if (pixels.remaining() != 0) {
    fail_at_byte(file, pixels.offset(), "{} bytes after the pixels of the image",
                 pixels.remaining());
  }
  return image;
}

Tensor parse_png(std::string_view file, ByteSpan bytes, std::int64_t channels) {
  if (channels != 1 && channels != 3)
    fail("parse_png", "channels must be 1 or 3, got {}", channels);
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&png, bytes.data, bytes.size) == 0) {
    fail_file(file, "not a PNG image libpng can read ({})", png.message);
  }
  const std::int64_t width = png.width, height = png.height;
  if (width * height > kMaxImagePixels) {
    png_image_free(&png);
    fail_file(file, "{}x{} is more than {} pixels", width, height, kMaxImagePixels);
  }
  png.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  // Zeros: what libpng composites transparent pixels onto.
  std::vector<std::uint8_t> interleaved(PNG_IMAGE_SIZE(png), 0);
  if (png_image_finish_read(&png, nullptr, interleaved.data(), 0, nullptr) == 0) {
    fail_file(file, "libpng cannot read the PNG image ({})", png.message);
  }
  Tensor image = Tensor::empty({1, channels, height, width});
  float* out = image.data<float>();
  for (std::int64_t p = 0; p < width * height; ++p) {
    for (std::int64_t c = 0; c < channels; ++c) {
      out[c * width * height + p] = interleaved[static_cast<std::size_t>(p * channels + c)];
    }
  }
  return image;
}

Tensor load_images(const std::string& path, std::int64_t channels) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  const ByteSpan span(bytes);
  Tensor images;
  if (starts_with(span, kPngSignature, sizeof kPngSignature)) {
    return parse_png(path, span, channels);
  } else if (span.size >= 2 && span.data[0] == 'P' && std::isdigit(span.data[1])) {
    images = parse_netpbm(path, span);
  } else if (starts_with(span, kIdxImagesMagic, sizeof kIdxImagesMagic)) {
    images = parse_idx_images(path, span);
  } else {
    fail_file(path, "not a PNG, PGM/PPM or IDX image file");
  }
  if (images.dim(1) != channels) {
    fail_file(path, "the image has {} channel{}, the model takes {}", images.dim(1),
              images.dim(1) == 1 ? "" : "s", channels);
  }
  return images;
}

}  // namespace tg
