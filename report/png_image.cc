#include "report/png_image.h"

#include <png.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "graph/checks.h"
#include "io/atomic_file.h"
#include "io/file_error.h"
#include "report/bitmap_font.h"

namespace tg {
namespace {

// Values of one image (or the whole grid) as doubles, checked finite.
std::vector<double> finite_values(std::string_view name, const Tensor& t) {
  std::vector<double> values = t.to_vector();
  const auto bad =
      std::find_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); });
  if (bad != values.end()) {
    fail(name, "element {} of the {} {} is {}: NaN and infinite values are not drawn",
         bad - values.begin(), name_of(t.dtype()), shape_str(t), *bad);
  }
  return values;
}

// sample = floor(255 (v - low) / (high - low) + 0.5), clamped to 0..255; 0
// everywhere when low == high (a constant image under a data range).
class SampleMap {
 public:
  SampleMap(double low, double high) : low_(low), span_(high - low) {}
  std::uint8_t operator()(double v) const {
    if (!(span_ > 0)) return 0;
    const double t = std::floor(255.0 * (v - low_) / span_ + 0.5);
    return static_cast<std::uint8_t>(std::clamp(t, 0.0, 255.0));
  }

 private:
  double low_, span_;
};

SampleMap map_of(const PixelRange& range, const double* first, const double* last) {
  if (range.kind == PixelRange::Kind::fixed) return {range.low, range.high};
  const auto [low, high] = std::minmax_element(first, last);
  return {*low, *high};
}

void check_channels(std::string_view name, const char* layout, const Tensor& t,
                    std::int64_t channels) {
  if (channels != 1 && channels != 3) {
    fail(name, "{} must have 1 (gray) or 3 (RGB) channels, got {} in shape {}", layout, channels,
         shape_str(t));
  }
}

void check_pixels(std::string_view name, double width, double height) {
  if (width * height > static_cast<double>(kMaxPngPixels)) {
    fail(name, "a {}x{} image is more than {} pixels", width, height, kMaxPngPixels);
  }
}

PixelImage blank(std::int64_t height, std::int64_t width, std::int64_t channels,
                 std::uint8_t value) {
  PixelImage image{height, width, channels, {}};
  image.samples.assign(static_cast<std::size_t>(height * width * channels), value);
  return image;
}

// Draws image `values` (C, H, W) with its top-left corner at (top, left),
// each pixel as zoom x zoom.
void draw_image(const double* values, std::int64_t h, std::int64_t w, const SampleMap& map,
                std::int64_t zoom, std::int64_t top, std::int64_t left, PixelImage& out) {
  for (std::int64_t c = 0; c < out.channels; ++c)
    for (std::int64_t i = 0; i < h * zoom; ++i)
      for (std::int64_t j = 0; j < w * zoom; ++j) {
        out.at(top + i, left + j, c) = map(values[(c * h + i / zoom) * w + j / zoom]);
      }
}

void draw_text(std::string_view text, std::int64_t top, std::int64_t left, std::uint8_t value,
               PixelImage& out) {
  for (std::size_t k = 0; k < text.size(); ++k) {
    const std::int64_t x = left + static_cast<std::int64_t>(k) * (kGlyphWidth + kGlyphSpacing);
    for (std::int64_t r = 0; r < kGlyphHeight; ++r)
      for (std::int64_t col = 0; col < kGlyphWidth; ++col) {
        if (!glyph_pixel(text[k], r, col)) continue;
        for (std::int64_t c = 0; c < out.channels; ++c) out.at(top + r, x + col, c) = value;
      }
  }
}

void check_options(std::string_view name, const GridOptions& o, std::int64_t n) {
  if (o.columns < 1) fail(name, "columns must be at least 1, got {}", o.columns);
  if (o.gap < 0) fail(name, "gap must not be negative, got {}", o.gap);
  if (o.zoom < 1) fail(name, "zoom must be at least 1, got {}", o.zoom);
  if (o.range.kind == PixelRange::Kind::fixed) PixelRange::fixed(o.range.low, o.range.high);
  if (o.labels.empty()) return;
  if (static_cast<std::int64_t>(o.labels.size()) != n) {
    fail(name, "expected no labels or one per image ({}), got {}", n, o.labels.size());
  }
  for (std::size_t i = 0; i < o.labels.size(); ++i) {
    const std::int64_t missing = first_missing_character(o.labels[i]);
    if (missing >= 0) {
      const char c = o.labels[i][static_cast<std::size_t>(missing)];
      fail(name,
           "label {} \"{}\" has '{}' (byte {}) at position {}, which the built-in font lacks (it "
           "has \"{}\")",
           i, o.labels[i], c, static_cast<int>(static_cast<unsigned char>(c)), missing,
           font_characters());
    }
  }
}

// Where a grid's cells go (see grid_pixels in the header).
struct GridLayout {
  std::int64_t cols, cell_w, cell_h, gap, width, height;
  std::int64_t cell_top(std::int64_t k) const { return gap + (k / cols) * (cell_h + gap); }
  std::int64_t cell_left(std::int64_t k) const { return gap + (k % cols) * (cell_w + gap); }
};

GridLayout grid_layout(std::string_view name, std::int64_t n, std::int64_t h, std::int64_t w,
                       const GridOptions& o) {
  std::int64_t label_w = 0;
  for (const std::string& label : o.labels) label_w = std::max(label_w, text_width(label));
  const std::int64_t label_h = o.labels.empty() ? 0 : 1 + kGlyphHeight;
  const std::int64_t cols = std::min(o.columns, n), rows = (n + cols - 1) / cols;
  // In double first: a huge zoom or gap must not overflow before it is refused.
  const auto sizes = [&](auto zero) {
    using T = decltype(zero);
    const T cell_w = std::max<T>(T(w) * T(o.zoom), T(label_w));
    const T cell_h = T(h) * T(o.zoom) + T(label_h);
    return std::array<T, 4>{cell_w, cell_h, T(cols) * cell_w + T(cols + 1) * T(o.gap),
                            T(rows) * cell_h + T(rows + 1) * T(o.gap)};
  };
  const std::array<double, 4> approximate = sizes(0.0);
  check_pixels(name, approximate[2], approximate[3]);
  const std::array<std::int64_t, 4> exact = sizes(std::int64_t{0});
  return {cols, exact[0], exact[1], o.gap, exact[2], exact[3]};
}

}  // namespace

PixelRange PixelRange::fixed(double low, double high) {
  if (!std::isfinite(low) || !std::isfinite(high) || !(low < high)) {
    fail("PixelRange", "a fixed range needs finite low < high, got [{}, {}]", low, high);
  }
  return {Kind::fixed, low, high};
}

PixelImage image_pixels(std::string_view name, const Tensor& image, const PixelRange& range) {
  if (!image.defined() || (image.rank() != 2 && image.rank() != 3)) {
    fail(name, "an image must be (H, W) or (C, H, W), got {}",
         image.defined() ? shape_str(image) : "an undefined tensor");
  }
  check_min_rank(name, "the image", image, 2);
  const std::int64_t c = image.rank() == 3 ? image.dim(0) : 1;
  check_channels(name, "an image (C, H, W)", image, c);
  const std::int64_t h = image.dim(-2), w = image.dim(-1);
  check_pixels(name, static_cast<double>(w), static_cast<double>(h));
  if (range.kind == PixelRange::Kind::fixed) PixelRange::fixed(range.low, range.high);
  const std::vector<double> values = finite_values(name, image);
  PixelImage out = blank(h, w, c, 0);
  draw_image(values.data(), h, w, map_of(range, values.data(), values.data() + values.size()), 1, 0,
             0, out);
  return out;
}

PixelImage grid_pixels(std::string_view name, const Tensor& images, const GridOptions& options) {
  if (!images.defined() || images.rank() != 4) {
    fail(name, "a grid's images must be (N, C, H, W), got {}",
         images.defined() ? shape_str(images) : "an undefined tensor");
  }
  check_min_rank(name, "the images", images, 4);
  const std::int64_t n = images.dim(0), c = images.dim(1), h = images.dim(2), w = images.dim(3);
  check_channels(name, "images (N, C, H, W)", images, c);
  check_options(name, options, n);
  const GridLayout layout = grid_layout(name, n, h, w, options);
  const std::vector<double> values = finite_values(name, images);
  const std::int64_t image_size = c * h * w;
  const SampleMap grid_map = map_of(options.range, values.data(), values.data() + values.size());
  const std::uint8_t ink = options.background >= 128 ? 0 : 255;
  PixelImage out = blank(layout.height, layout.width, c, options.background);
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t top = layout.cell_top(k), left = layout.cell_left(k);
    const double* first = values.data() + k * image_size;
    const SampleMap map = options.range.kind == PixelRange::Kind::image_min_max
                              ? map_of(options.range, first, first + image_size)
                              : grid_map;
    draw_image(first, h, w, map, options.zoom, top, left + (layout.cell_w - w * options.zoom) / 2,
               out);
    if (!options.labels.empty()) {
      const std::string& label = options.labels[static_cast<std::size_t>(k)];
      draw_text(label, top + h * options.zoom + 1, left + (layout.cell_w - text_width(label)) / 2,
                ink, out);
    }
  }
  return out;
}

std::string encode_png(std::string_view name, const PixelImage& image) {
  if (image.channels != 1 && image.channels != 3) {
    fail(name, "a PNG image here has 1 or 3 channels, got {}", image.channels);
  }
  if (image.height < 1 || image.width < 1 ||
      image.samples.size() !=
          static_cast<std::size_t>(image.height * image.width * image.channels)) {
    fail(name, "a {}x{}x{} image needs {} samples, got {}", image.height, image.width,
         image.channels, image.height * image.width * image.channels, image.samples.size());
  }
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = image.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (png_image_write_get_memory_size(png, size, 0, image.samples.data(), 0, nullptr) == 0) {
    fail_file(name, "libpng cannot encode the image ({})", png.message);
  }
  std::string bytes(size, '\0');
  if (png_image_write_to_memory(&png, bytes.data(), &size, 0, image.samples.data(), 0, nullptr) ==
      0) {
    fail_file(name, "libpng cannot encode the image ({})", png.message);
  }
  bytes.resize(size);
  return bytes;
}

void write_png(const std::string& path, const PixelImage& image) {
  write_file_atomically(path, encode_png(path, image));
}

void write_image_png(const std::string& path, const Tensor& image, const PixelRange& range) {
  write_png(path, image_pixels(path, image, range));
}

void write_grid_png(const std::string& path, const Tensor& images, const GridOptions& options) {
  write_png(path, grid_pixels(path, images, options));
}

}  // namespace tg
