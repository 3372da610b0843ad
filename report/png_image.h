// Tensors as PNG images (libpng), for looking at inputs, saliency maps and
// generated samples: one image, or a grid of N images with optional labels.
// 8-bit grayscale for one channel, 8-bit RGB for three; files are written
// whole or not at all (io/atomic_file.h).
//
// Values become samples through a PixelRange [low, high]:
//   sample = floor(255 (v - low) / (high - low) + 0.5), clamped to 0..255,
// so low maps to 0, high to 255, values outside to 0 or 255. The range is
// fixed (PixelRange::fixed(-1, 1) for tanh outputs, (0, 255) for pixels) or
// the data's: its min and max (of the whole grid, or of each image); a
// constant image under a data range maps to 0.
//
// A NaN or infinite value is refused (ArgumentError naming the image and the
// element): an image of a diverged run should say so, not show a black pixel.
// So are a shape other than (H, W) or (C, H, W) (a grid: (N, C, H, W)) with C 1
// or 3, an empty tensor, and labels the built-in font (report/bitmap_font.h)
// cannot draw. Every message starts with the file (or the name given).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graph/tensor.h"

namespace tg {

// An 8-bit image: rows top to bottom, each row's pixels left to right, the
// channels of a pixel together (PNG's order).
struct PixelImage {
  std::int64_t height = 0, width = 0, channels = 0;  // channels: 1 gray, 3 RGB
  std::vector<std::uint8_t> samples;                 // height * width * channels

  std::uint8_t& at(std::int64_t row, std::int64_t col, std::int64_t channel) {
    return samples[static_cast<std::size_t>((row * width + col) * channels + channel)];
  }
  std::uint8_t at(std::int64_t row, std::int64_t col, std::int64_t channel) const {
    return samples[static_cast<std::size_t>((row * width + col) * channels + channel)];
  }
};

struct PixelRange {
  enum class Kind { fixed, data_min_max, image_min_max };
  Kind kind = Kind::data_min_max;
  double low = 0, high = 1;  // for Kind::fixed

  // low < high, both finite (else ArgumentError).
  static PixelRange fixed(double low, double high);
  // The min and max of all values drawn (every image of a grid alike).
  static PixelRange data_min_max() { return {}; }
  // The min and max of each image on its own (a grid's images side by side
  // each use their full contrast, as matplotlib's imshow of each).
  static PixelRange image_min_max() { return {Kind::image_min_max, 0, 1}; }
};

// The most pixels one image written here may have (a guard against a zoom
// or grid that would not fit in memory): far above any grid of samples.
inline constexpr std::int64_t kMaxPngPixels = std::int64_t{1} << 26;

struct GridOptions {
  std::int64_t columns = 8;         // images per row (all of them when fewer)
  std::int64_t gap = 2;             // pixels between images and around the grid
  std::uint8_t background = 255;    // the gaps' gray level (every channel)
  std::int64_t zoom = 1;            // each pixel drawn as zoom x zoom pixels
  std::vector<std::string> labels;  // none, or one per image, drawn under it
  PixelRange range;
};

// One image (H, W) or (C, H, W), C 1 or 3. `name` starts error messages.
PixelImage image_pixels(std::string_view name, const Tensor& image,
                        const PixelRange& range = PixelRange::data_min_max());

// The grid of images (N, C, H, W), C 1 or 3, row by row. Each cell is as
// wide as the zoomed image or its label, whichever is wider (the image
// centred in it), and as tall as the zoomed image plus, with labels, a strip
// of 1 + kGlyphHeight pixels holding the label centred under it, in black on
// a light background (>= 128) and white on a dark one. Cells are `gap`
// pixels apart and from the border; cells after the last image stay
// background. So the grid is
//   columns' cells wide: cols cell_w + (cols + 1) gap,
//   rows = ceil(N / cols) high: rows cell_h + (rows + 1) gap.
PixelImage grid_pixels(std::string_view name, const Tensor& images,
                       const GridOptions& options = {});

// The PNG file of an image (8-bit gray or RGB, no interlacing). Throws
// FileError naming `name` when libpng fails.
std::string encode_png(std::string_view name, const PixelImage& image);

// Writes the PNG file at path atomically; FileError names the path.
void write_png(const std::string& path, const PixelImage& image);
void write_image_png(const std::string& path, const Tensor& image,
                     const PixelRange& range = PixelRange::data_min_max());
void write_grid_png(const std::string& path, const Tensor& images, const GridOptions& options = {});

}  // namespace tg
