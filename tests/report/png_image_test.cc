// report/png_image.h: files written and read back with libpng's own reader,
// checking the size, colour type, bit depth and every pixel: a checkerboard,
// gradients (the rounding and clamping rule), RGB order, a grid's layout and
// gaps, zoom, labels in the bitmap font; bad input refused naming the file.
#include "report/png_image.h"

#include <doctest/doctest.h>
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "io/atomic_file.h"
#include "report/bitmap_font.h"
#include "tests/support/test_folder.h"

using namespace tg;
using tg::testing::entries_of;
using tg::testing::fresh_test_folder;

namespace {

// A PNG file as libpng reads it, without any transformation.
struct DecodedPng {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = -1, interlace = -1;
  std::vector<std::vector<png_byte>> rows;
  int channels() const { return color_type == PNG_COLOR_TYPE_RGB ? 3 : 1; }
  int at(png_uint_32 y, png_uint_32 x, int c = 0) const {
    return rows[y][static_cast<std::size_t>(x) * static_cast<std::size_t>(channels()) +
                   static_cast<std::size_t>(c)];
  }
};

DecodedPng read_png(const std::string& path) {
  DecodedPng out;
  FILE* file = std::fopen(path.c_str(), "rb");
  REQUIRE(file != nullptr);
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  bool ok = false;
  if (setjmp(png_jmpbuf(png)) == 0) {
    png_init_io(png, file);
    png_read_info(png, info);
    png_get_IHDR(png, info, &out.width, &out.height, &out.bit_depth, &out.color_type,
                 &out.interlace, nullptr, nullptr);
    const std::size_t row_bytes = png_get_rowbytes(png, info);
    out.rows.assign(out.height, std::vector<png_byte>(row_bytes));
    std::vector<png_bytep> pointers;
    for (auto& row : out.rows) pointers.push_back(row.data());
    png_read_image(png, pointers.data());
    png_read_end(png, nullptr);
    ok = true;
  }
  png_destroy_read_struct(&png, &info, nullptr);
  std::fclose(file);
  REQUIRE(ok);
  return out;
}

Tensor values(const Shape& shape, const std::vector<double>& v) {
  return Tensor::from_values(shape, v);
}

// The message of the ArgumentError `action` throws ("" when none).
template <class Action>
std::string argument_error_of(Action action) {
  try {
    action();
  } catch (const ArgumentError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("A checkerboard: 8-bit grayscale of the tensor's size, 0 and 255") {
  const std::string path = fresh_test_folder("png_checkerboard") + "/board.png";
  std::vector<double> v;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 6; ++x) v.push_back((x + y) % 2);
  write_image_png(path, values({4, 6}, v), PixelRange::fixed(0, 1));
  const DecodedPng png = read_png(path);
  CHECK(png.width == 6);
  CHECK(png.height == 4);
  CHECK(png.bit_depth == 8);
  CHECK(png.color_type == PNG_COLOR_TYPE_GRAY);
  CHECK(png.interlace == PNG_INTERLACE_NONE);
  for (png_uint_32 y = 0; y < 4; ++y)
    for (png_uint_32 x = 0; x < 6; ++x) CHECK(png.at(y, x) == ((x + y) % 2 == 1 ? 255 : 0));
  // (1, H, W) is the same image.
  write_image_png(path, values({1, 4, 6}, v), PixelRange::fixed(0, 1));
  CHECK(read_png(path).rows == png.rows);
}

TEST_CASE("Gradients: floor(255 (v - low) / (high - low) + 0.5), clamped") {
  const std::string folder = fresh_test_folder("png_gradient");
  // 0..255 in the range (0, 255) are the samples themselves.
  std::vector<double> ramp;
  for (int i = 0; i < 256; ++i) ramp.push_back(i);
  write_image_png(folder + "/ramp.png", values({1, 256}, ramp), PixelRange::fixed(0, 255));
  const DecodedPng r = read_png(folder + "/ramp.png");
  REQUIRE(r.width == 256);
  for (png_uint_32 x = 0; x < 256; ++x) CHECK(r.at(0, x) == static_cast<int>(x));
  // The data's range [-1, 1]: 63.75 -> 64, 127.5 -> 128, 191.25 -> 191.
  write_image_png(folder + "/five.png", values({1, 5}, {-1, -0.5, 0, 0.5, 1}));
  const DecodedPng f = read_png(folder + "/five.png");
  CHECK(f.rows[0] == std::vector<png_byte>{0, 64, 128, 191, 255});
  // Outside a fixed range: 0 and 255.
  write_image_png(folder + "/clamp.png", values({2, 2}, {-3, 0.25, 1.5, 1e30}),
                  PixelRange::fixed(0, 1));
  const DecodedPng c = read_png(folder + "/clamp.png");
  CHECK(c.rows == std::vector<std::vector<png_byte>>{{0, 64}, {255, 255}});
  // A constant image under the data's range is black; float64 tensors too.
  write_image_png(folder + "/flat.png", Tensor::full({2, 3}, 0.7, DType::f64));
  CHECK(read_png(folder + "/flat.png").rows == std::vector<std::vector<png_byte>>(2, {0, 0, 0}));
}

TEST_CASE("Three channels are 8-bit RGB, each pixel's channels together") {
  const std::string path = fresh_test_folder("png_rgb") + "/rgb.png";
  // (C, H, W) = (3, 1, 2): red 10, 20; green 30, 40; blue 50, 60.
  write_image_png(path, values({3, 1, 2}, {10, 20, 30, 40, 50, 60}), PixelRange::fixed(0, 255));
  const DecodedPng png = read_png(path);
  CHECK(png.color_type == PNG_COLOR_TYPE_RGB);
  CHECK(png.bit_depth == 8);
  CHECK(png.rows[0] == std::vector<png_byte>{10, 30, 50, 20, 40, 60});
}

TEST_CASE("A grid: columns, gaps of the background colour, empty cells, each image in place") {
  // 5 images of 3x4, 3 columns, gap 2: 2 rows, 3 * 4 + 4 * 2 = 20 by
  // 2 * 3 + 3 * 2 = 12; image k a constant 40 (k + 1).
  std::vector<double> v;
  for (int k = 0; k < 5; ++k)
    for (int p = 0; p < 12; ++p) v.push_back(40.0 * (k + 1));
  GridOptions options;
  options.columns = 3;
  options.gap = 2;
  options.background = 200;
  options.range = PixelRange::fixed(0, 255);
  const std::string path = fresh_test_folder("png_grid") + "/grid.png";
  write_grid_png(path, values({5, 1, 3, 4}, v), options);
  const DecodedPng png = read_png(path);
  REQUIRE(png.width == 20);
  REQUIRE(png.height == 12);
  CHECK(png.color_type == PNG_COLOR_TYPE_GRAY);
  for (png_uint_32 y = 0; y < 12; ++y)
    for (png_uint_32 x = 0; x < 20; ++x) {
      int want = 200;  // a gap, or the empty sixth cell
      const int row = (static_cast<int>(y) - 2) / 5, col = (static_cast<int>(x) - 2) / 6;
      const bool inside = y >= 2 && x >= 2 && (y - 2) % 5 < 3 && (x - 2) % 6 < 4;
      if (inside && row * 3 + col < 5) want = 40 * (row * 3 + col + 1);
      CAPTURE(y);
      CAPTURE(x);
      CHECK(png.at(y, x) == want);
    }
}

TEST_CASE("A grid's range: the whole grid's min and max, or each image's own") {
  const Tensor images = values({2, 1, 1, 2}, {0, 1, 10, 30});
  GridOptions options;
  options.gap = 0;
  // The grid's [0, 30]: 1 -> 8.5 -> 9, 10 -> 85, 30 -> 255.
  const PixelImage shared = grid_pixels("grid", images, options);
  CHECK(shared.samples == std::vector<std::uint8_t>{0, 9, 85, 255});
  options.range = PixelRange::image_min_max();
  CHECK(grid_pixels("grid", images, options).samples == std::vector<std::uint8_t>{0, 255, 0, 255});
}

TEST_CASE("Zoom draws each pixel as a block; RGB grids fill every channel of the gaps") {
  GridOptions options;
  options.gap = 1;
  options.zoom = 3;
  options.background = 7;
  options.range = PixelRange::fixed(0, 255);
  // One RGB image of 1x2 pixels: (1, 2, 3) and (4, 5, 6).
  const PixelImage image = grid_pixels("zoom", values({1, 3, 1, 2}, {1, 4, 2, 5, 3, 6}), options);
  REQUIRE(image.width == 8);
  REQUIRE(image.height == 5);
  REQUIRE(image.channels == 3);
  for (std::int64_t y = 0; y < 5; ++y)
    for (std::int64_t x = 0; x < 8; ++x)
      for (std::int64_t c = 0; c < 3; ++c) {
        const bool inside = y >= 1 && y <= 3 && x >= 1 && x <= 6;
        const int want = !inside ? 7 : x <= 3 ? 1 + static_cast<int>(c) : 4 + static_cast<int>(c);
        CHECK(image.at(y, x, c) == want);
      }
}

TEST_CASE("Labels: drawn in the bitmap font under each image, centred, the cell widened") {
  // Two 8x8 images labelled "7" (5 px wide) and "A1" (11 px): cells 11 wide
  // (the wider label), 8 + 1 + 7 = 16 high, gap 1, background white.
  GridOptions options;
  options.gap = 1;
  options.labels = {"7", "A1"};
  options.range = PixelRange::fixed(0, 1);
  const std::string path = fresh_test_folder("png_labels") + "/labels.png";
  write_grid_png(path, Tensor::full({2, 1, 8, 8}, 0.5), options);
  const DecodedPng png = read_png(path);
  REQUIRE(png.width == 2 * 11 + 3 * 1);
  REQUIRE(png.height == 16 + 2 * 1);
  // Image 0 centred in its cell: columns 1 + (11 - 8) / 2 = 2 to 9, rows 1 to 8.
  CHECK(png.at(1, 2) == 128);
  CHECK(png.at(8, 9) == 128);
  CHECK(png.at(1, 1) == 255);
  CHECK(png.at(1, 10) == 255);
  // The labels' strips: row 1 + 8 + 1 = 10 on; "7" from column 1 + (11 - 5) / 2 = 4,
  // "A1" from column 1 + 11 + 1 = 13; black ink exactly on the glyphs' pixels.
  const auto check_label = [&](const std::string& text, png_uint_32 left) {
    std::int64_t inked = 0;
    for (std::int64_t r = 0; r < kGlyphHeight; ++r)
      for (std::int64_t x = 0; x < text_width(text); ++x) {
        const std::size_t k = static_cast<std::size_t>(x / (kGlyphWidth + kGlyphSpacing));
        const std::int64_t col = x % (kGlyphWidth + kGlyphSpacing);
        const bool on = glyph_pixel(text[k], r, col);
        inked += on;
        CHECK(png.at(static_cast<png_uint_32>(10 + r), left + static_cast<png_uint_32>(x)) ==
              (on ? 0 : 255));
      }
    CHECK(inked > 0);
  };
  check_label("7", 4);
  check_label("A1", 13);
  // The row above the text and the columns beside it stay background.
  for (png_uint_32 x = 0; x < png.width; ++x) CHECK(png.at(9, x) == 255);
  CHECK(png.at(10, 3) == 255);
  // On a dark background the ink is white.
  options.background = 0;
  const PixelImage dark = grid_pixels("dark", Tensor::full({2, 1, 8, 8}, 0.5), options);
  CHECK(dark.at(10, 4, 0) == 255);  // the 7's top bar
}

TEST_CASE("The bitmap font: every glyph distinct and drawn, widths of 6 per character") {
  const std::string characters = font_characters();
  CHECK(characters.size() >= 62 + 10);
  std::set<std::vector<bool>> seen;
  for (char c : characters) {
    CAPTURE(c);
    std::vector<bool> bits;
    for (std::int64_t r = 0; r < kGlyphHeight; ++r)
      for (std::int64_t col = 0; col < kGlyphWidth; ++col) bits.push_back(glyph_pixel(c, r, col));
    CHECK(seen.insert(bits).second);
    CHECK((c == ' ') == (std::count(bits.begin(), bits.end(), true) == 0));
  }
  for (char c : std::string("0123456789AZaz.-:%")) CHECK(font_has(c));
  CHECK_FALSE(font_has('&'));
  CHECK(text_width("") == 0);
  CHECK(text_width("AB") == 11);
  CHECK(first_missing_character("ok & no") == 3);
  CHECK(first_missing_character("Epoch 3: 91.2%") == -1);
}

TEST_CASE("Writing replaces a file whole, leaving no temporary file") {
  const std::string folder = fresh_test_folder("png_atomic");
  const std::string path = folder + "/image.png";
  write_file_atomically(path, "old contents");
  write_image_png(path, values({1, 2}, {0, 1}));
  CHECK(read_png(path).width == 2);
  CHECK(entries_of(folder) == std::vector<std::string>{"image.png"});
  // A folder that does not exist: FileError naming the path.
  CHECK(tg::testing::file_error_of([&] {
          write_image_png(folder + "/none/image.png", values({1, 1}, {0}));
        }).find(folder + "/none/image.png") != std::string::npos);
}

TEST_CASE("Bad images are refused, naming the file and the problem") {
  const std::string path = fresh_test_folder("png_bad") + "/bad.png";
  const auto image_error = [&](const Tensor& t) {
    return argument_error_of([&] { write_image_png(path, t); });
  };
  CHECK(image_error(Tensor::zeros({2, 5, 5})) ==
        path +
            ": an image (C, H, W) must have 1 (gray) or 3 (RGB) channels, got 2 in shape "
            "(2,5,5)");
  CHECK(image_error(Tensor::zeros({1, 1, 5, 5})) ==
        path + ": an image must be (H, W) or (C, H, W), got (1,1,5,5)");
  CHECK(image_error(Tensor::zeros({0, 5})) ==
        path + ": the image has a zero-size dimension, shape (0,5)");
  CHECK(image_error(Tensor()) == path +
                                     ": an image must be (H, W) or (C, H, W), got an undefined "
                                     "tensor");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(image_error(values({2, 2}, {0, 1, 2, nan})) ==
        path + ": element 3 of the float32 (2,2) is nan: NaN and infinite values are not drawn");
  CHECK(image_error(values({1, 2}, {std::numeric_limits<double>::infinity(), 0})) ==
        path + ": element 0 of the float32 (1,2) is inf: NaN and infinite values are not drawn");
  CHECK(argument_error_of([] { PixelRange::fixed(1, 1); }) ==
        "PixelRange: a fixed range needs finite low < high, got [1, 1]");
  const auto grid_error = [&](const Tensor& t, const GridOptions& options) {
    return argument_error_of([&] { write_grid_png(path, t, options); });
  };
  const Tensor four = Tensor::zeros({4, 1, 3, 3});
  CHECK(grid_error(Tensor::zeros({4, 3, 3}), {}) ==
        path + ": a grid's images must be (N, C, H, W), got (4,3,3)");
  CHECK(grid_error(Tensor::zeros({4, 4, 3, 3}), {}) ==
        path +
            ": images (N, C, H, W) must have 1 (gray) or 3 (RGB) channels, got 4 in shape "
            "(4,4,3,3)");
  GridOptions options;
  options.labels = {"a", "b"};
  CHECK(grid_error(four, options) == path + ": expected no labels or one per image (4), got 2");
  options.labels = {"ok", "a&b", "c", "d"};
  CHECK(grid_error(four, options)
            .rfind(path + ": label 1 \"a&b\" has '&' (byte 38) at position 1, "
                          "which the built-in font lacks (it has \" 0123",
                   0) == 0);
  options = {};
  options.columns = 0;
  CHECK(grid_error(four, options) == path + ": columns must be at least 1, got 0");
  options = {};
  options.zoom = std::int64_t{1} << 40;
  CHECK(grid_error(four, options).find("is more than 67108864 pixels") != std::string::npos);
  // Nothing was written.
  std::FILE* file = std::fopen(path.c_str(), "rb");
  CHECK(file == nullptr);
  if (file != nullptr) std::fclose(file);
}
