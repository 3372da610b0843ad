#include "data/image_file.h"

#include <fmt/format.h>
#include <png.h>

#include <cctype>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
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

// A sample of 0..max as a pixel value 0..255, rounded to the nearest (halves up), as an
// 8-bit file of the same image would hold it.
float to_8_bit(double value, double max) {
  return static_cast<float>(std::round(value * 255 / max));
}

std::string channels_text(std::int64_t channels) {
  if (channels == 1) return "gray (1 channel)";
  if (channels == 3) return "RGB (3 channels)";
  return fmt::format("{} channels", channels);
}

// The same rule for every format: an image is never converted to the model's channels
// (neither RGB to gray nor gray to RGB), as the model would see other pixels than the
// file holds.
void check_channels(std::string_view file, std::int64_t image_channels, std::int64_t channels) {
  if (image_channels != channels) {
    fail_file(file, "the image is {}, the model takes {}: images are not converted",
              channels_text(image_channels), channels_text(channels));
  }
}

// What libpng gives for a PNG after the lossless expansions PngDecoder asks for:
// 8- or 16-bit samples, gray (1), gray + alpha (2), RGB (3) or RGBA (4), interleaved.
struct PngLayout {
  std::int64_t width = 0, height = 0;
  std::int64_t stored_bits = 0;  // per pixel in the file: 1 (a 1-bit palette) to 64
  int samples = 0;
  int bit_depth = 0;
  bool gray_palette = false;  // a palette of grays only is a gray image
  std::size_t row_bytes = 0;

  bool has_alpha() const { return samples == 2 || samples == 4; }
  std::int64_t image_channels() const { return gray_palette || samples <= 2 ? 1 : 3; }
};

// Reads a PNG with libpng's full API, so that the samples are the stored ones: the
// simplified API (png_image_*) changes them for a file with a gAMA chunk, for 16-bit
// files (taken as linear light) and when it composites transparency. Only lossless
// expansions are asked for: a palette to RGB, gray of 1, 2 or 4 bits to 8, tRNS to an
// alpha channel; gAMA, cHRM, sRGB, iCCP and sBIT are left unused. libpng reports an
// error by longjmp to the last setjmp: each function calling into it sets its own
// and holds no object with a destructor.
class PngDecoder {
 public:
  explicit PngDecoder(ByteSpan bytes) : bytes_(bytes) {
    png_ = png_create_read_struct(PNG_LIBPNG_VER_STRING, this, on_error, on_warning);
    if (png_ != nullptr) info_ = png_create_info_struct(png_);
  }
  ~PngDecoder() {
    if (png_ != nullptr)
      png_destroy_read_struct(&png_, info_ != nullptr ? &info_ : nullptr, nullptr);
  }
  PngDecoder(const PngDecoder&) = delete;
  PngDecoder& operator=(const PngDecoder&) = delete;

  // Reads the chunks before the pixels and sets `layout`; false with `error` set when
  // libpng cannot.
  bool read_header() {
    if (png_ == nullptr || info_ == nullptr) return out_of_memory();
    if (setjmp(png_jmpbuf(png_))) return false;
    png_set_read_fn(png_, this, read_bytes);
    png_read_info(png_, info_);
    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(png_, info_, &width, &height, &bit_depth, &color_type, nullptr, nullptr, nullptr);
    layout.width = width;
    layout.height = height;
    layout.stored_bits = bit_depth * png_get_channels(png_, info_);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
      layout.gray_palette = palette_is_gray();
      png_set_palette_to_rgb(png_);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png_);
    if (png_get_valid(png_, info_, PNG_INFO_tRNS) != 0) png_set_tRNS_to_alpha(png_);
    png_set_interlace_handling(png_);
    png_read_update_info(png_, info_);
    layout.samples = png_get_channels(png_, info_);
    layout.bit_depth = png_get_bit_depth(png_, info_);
    layout.row_bytes = png_get_rowbytes(png_, info_);
    return true;
  }

  // The bytes libpng has read so far.
  std::size_t offset() const { return at_; }

  // Reads the pixels (every pass of an interlaced image) and the chunks after them.
  bool read_rows() {
    pixels_.assign(static_cast<std::size_t>(layout.height) * layout.row_bytes, 0);
    rows_.resize(static_cast<std::size_t>(layout.height));
    for (std::size_t y = 0; y < rows_.size(); ++y) rows_[y] = pixels_.data() + y * layout.row_bytes;
    if (setjmp(png_jmpbuf(png_))) return false;
    png_read_image(png_, rows_.data());
    png_read_end(png_, nullptr);
    return true;
  }

  // The pixels read, (1, C, H, W) pixel values 0..255: 16-bit samples scaled to 8 bits
  // and rounded, transparency composited on black on the stored values.
  Tensor image() const {
    const std::int64_t channels = layout.image_channels(), plane = layout.width * layout.height;
    const bool wide = layout.bit_depth == 16;
    const double max = wide ? 65535 : 255;
    Tensor image = Tensor::empty({1, channels, layout.height, layout.width});
    float* out = image.data<float>();
    for (std::int64_t y = 0; y < layout.height; ++y) {
      const std::uint8_t* row = rows_[static_cast<std::size_t>(y)];
      for (std::int64_t x = 0; x < layout.width; ++x) {
        const auto sample = [&](int k) -> double {
          const std::int64_t i = x * layout.samples + k;
          return wide ? row[2 * i] << 8 | row[2 * i + 1] : row[i];
        };
        // Exact in double (at most 65535^2 * 255): one rounding, in to_8_bit.
        const double alpha = layout.has_alpha() ? sample(layout.samples - 1) : max;
        for (std::int64_t c = 0; c < channels; ++c) {
          out[c * plane + y * layout.width + x] =
              to_8_bit(sample(static_cast<int>(c)) * alpha, max * max);
        }
      }
    }
    return image;
  }

  PngLayout layout;
  char error[256] = "";

 private:
  bool out_of_memory() {
    std::snprintf(error, sizeof error, "out of memory");
    return false;
  }

  bool palette_is_gray() {
    png_colorp palette = nullptr;
    int entries = 0;
    if (png_get_PLTE(png_, info_, &palette, &entries) == 0) return false;
    for (int i = 0; i < entries; ++i) {
      if (palette[i].red != palette[i].green || palette[i].green != palette[i].blue) return false;
    }
    return true;
  }

  static void read_bytes(png_structp png, png_bytep out, std::size_t size) {
    auto* self = static_cast<PngDecoder*>(png_get_io_ptr(png));
    if (size > self->bytes_.size - self->at_) png_error(png, "the file ends too early");
    std::memcpy(out, self->bytes_.data + self->at_, size);
    self->at_ += size;
  }

  [[noreturn]] static void on_error(png_structp png, png_const_charp message) {
    auto* self = static_cast<PngDecoder*>(png_get_error_ptr(png));
    std::snprintf(self->error, sizeof self->error, "%s", message);
    png_longjmp(png, 1);
  }

  // Warnings are about ancillary chunks libpng skips (a known bad iCCP profile...):
  // nothing a reader of the samples needs, and not for stderr.
  static void on_warning(png_structp, png_const_charp) {}

  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
  ByteSpan bytes_;
  std::size_t at_ = 0;
  std::vector<std::uint8_t> pixels_;
  std::vector<png_bytep> rows_;
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
    out[channel * width * height + pixel] = to_8_bit(static_cast<double>(value), maxval);
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
  PngDecoder png(bytes);
  if (!png.read_header()) fail_file(file, "not a PNG image libpng can read ({})", png.error);
  const PngLayout& layout = png.layout;
  if (layout.width * layout.height > kMaxImagePixels) {
    fail_file(file, "{}x{} is more than {} pixels", layout.width, layout.height, kMaxImagePixels);
  }
  // Deflate shrinks data at most 1032 times: a header claiming more than the rest of the
  // file can hold is refused before the image is allocated.
  const std::uint64_t packed_bytes =
      static_cast<std::uint64_t>(layout.height) * (1 + (layout.width * layout.stored_bits + 7) / 8);
  if (packed_bytes > static_cast<std::uint64_t>(bytes.size - png.offset()) * 1032) {
    fail_file(file, "the data ends, but a {}x{} image needs at least {} more bytes", layout.width,
              layout.height, packed_bytes / 1032);
  }
  check_channels(file, layout.image_channels(), channels);
  if (!png.read_rows()) fail_file(file, "libpng cannot read the PNG image ({})", png.error);
  return png.image();
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
  check_channels(path, images.dim(1), channels);
  return images;
}

}  // namespace tg
