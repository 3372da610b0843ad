// Images to classify: PNG (written here with libpng), PGM/PPM and IDX files,
// read into float32 (N, C, H, W) pixel values; malformed files refused with
// the file named; new images prepared as preprocess() prepared the splits.
#include "data/image_file.h"

#include <doctest/doctest.h>
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

#include "data/class_names.h"
#include "data/preprocess.h"
#include "graph/errors.h"
#include "io/atomic_file.h"
#include "tests/support/data_bytes.h"
#include "tests/support/test_folder.h"

using namespace tg;

namespace {

ByteSpan span_of(const std::string& bytes) {
  return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

// A PNG file of `format` (PNG_FORMAT_GRAY, _RGB, _GA...) from interleaved pixels.
std::string png_bytes(int width, int height, png_uint_32 format,
                      const std::vector<std::uint8_t>& pixels) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = format;
  png_alloc_size_t size = 0;
  REQUIRE(png_image_write_get_memory_size(image, size, 0, pixels.data(), 0, nullptr) != 0);
  std::string bytes(size, '\0');
  REQUIRE(png_image_write_to_memory(&image, bytes.data(), &size, 0, pixels.data(), 0, nullptr) !=
          0);
  bytes.resize(size);
  return bytes;
}

// A PNG written with libpng's full API, for what the simplified one cannot write: any
// bit depth, a palette with transparency, a gAMA chunk, interlacing. `samples` are
// interleaved, one per sample (palette indices for a palette).
struct PngSpec {
  int width = 0, height = 0, bit_depth = 8, color_type = PNG_COLOR_TYPE_GRAY;
  std::vector<int> samples;
  double file_gamma = 0;  // > 0: a gAMA chunk
  std::vector<png_color> palette;
  std::vector<png_byte> palette_alpha;  // a tRNS chunk for the palette
  bool interlaced = false;
};

void append_png_bytes(png_structp png, png_bytep data, std::size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), size);
}

// libpng's errors longjmp here: no object with a destructor in this frame.
bool write_png(const PngSpec& spec, png_bytep* rows, std::string* out) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, append_png_bytes, nullptr);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty()) {
    png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  }
  if (!spec.palette_alpha.empty()) {
    png_set_tRNS(png, info, spec.palette_alpha.data(), static_cast<int>(spec.palette_alpha.size()),
                 nullptr);
  }
  if (spec.file_gamma > 0) png_set_gAMA(png, info, spec.file_gamma);
  png_write_info(png, info);
  if (spec.bit_depth < 8) png_set_packing(png);  // one byte per sample in, packed out
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

std::string png_file(const PngSpec& spec) {
  const int bytes_per_sample = spec.bit_depth == 16 ? 2 : 1;
  const std::size_t row_bytes = spec.samples.size() / spec.height * bytes_per_sample;
  std::vector<png_byte> pixels;
  for (int s : spec.samples) {
    if (bytes_per_sample == 2) pixels.push_back(static_cast<png_byte>(s >> 8));  // big-endian
    pixels.push_back(static_cast<png_byte>(s & 0xff));
  }
  std::vector<png_bytep> rows;
  for (int y = 0; y < spec.height; ++y) rows.push_back(pixels.data() + y * row_bytes);
  std::string bytes;
  REQUIRE(write_png(spec, rows.data(), &bytes));
  return bytes;
}

// The pixels of a 16-bit image and what they are in 8 bits: round(v * 255 / 65535).
const std::vector<int> kWideSamples = {0, 257, 1000, 32896, 65535};
const std::vector<double> kWideAs8Bit = {0, 1, 4, 128, 255};

}  // namespace

TEST_CASE("PGM and PPM, binary and plain, with comments and a maxval other than 255") {
  const std::string p5 =
      std::string("P5\n# a comment\n3 2\n255\n") + std::string("\x00\x10\x20\x30\x40\xff", 6);
  const Tensor gray = parse_netpbm("a.pgm", span_of(p5));
  CHECK(gray.shape() == Shape{1, 1, 2, 3});
  CHECK(gray.to_vector() == std::vector<double>{0, 16, 32, 48, 64, 255});

  const Tensor plain = parse_netpbm("b.pgm", span_of("P2 2 2 15\n0 15\n5 10\n"));
  CHECK(plain.to_vector() == std::vector<double>{0, 255, 85, 170});

  // Interleaved RGB in the file, planar in the tensor.
  const std::string p6 = std::string("P6 2 1 255 ") + "\x01\x02\x03\x04\x05\x06";
  const Tensor rgb = parse_netpbm("c.ppm", span_of(p6));
  CHECK(rgb.shape() == Shape{1, 3, 1, 2});
  CHECK(rgb.to_vector() == std::vector<double>{1, 4, 2, 5, 3, 6});

  // Two bytes per sample above 255, big-endian.
  const std::string wide = std::string("P5 1 1 65535\n") + "\xff\xff";
  CHECK(parse_netpbm("d.pgm", span_of(wide)).to_vector() == std::vector<double>{255});
}

TEST_CASE("Malformed netpbm images are refused with the file named") {
  const auto message = [](const std::string& bytes) {
    return testing::file_error_of([&] { parse_netpbm("x.pgm", span_of(bytes)); });
  };
  CHECK(message("P4 1 1\n") ==
        "x.pgm: byte 0: not a PGM or PPM image (it must start with P2, P3, P5 or P6)");
  CHECK(message("P5 2") ==
        "x.pgm: byte 4: expected the height (a decimal number), found the end "
        "of the data");
  CHECK(message("P5 0 2 255\n") ==
        "x.pgm: width, height and maxval must be positive, got 0, 2 and 255");
  CHECK(message("P5 100000000 1 255\n") == "x.pgm: byte 3: the width is larger than 67108864");
  CHECK(message("P5 8192 8192 255\nxx") ==
        "x.pgm: byte 19: the data ends, but a 8192x8192 image needs 67108864 samples");
  CHECK(message(std::string("P5 2 1 255\n") + "\x01") ==
        "x.pgm: byte 11: the data ends after 12 bytes, expected 2 more bytes (the pixels)");
  CHECK(message(std::string("P5 1 1 255\n") + "\x01\x02") ==
        "x.pgm: byte 12: 1 bytes after the pixels of the image");
  CHECK(message("P2 1 1 7\n9\n") == "x.pgm: byte 9: sample 0 is 9, above maxval 7");
  CHECK(message("P2 1 1 7\n3 4\n") == "x.pgm: byte 11: data after the 1 samples of the image");
}

TEST_CASE("PNG through libpng: gray and RGB as stored, never converted to other channels") {
  const std::string gray = png_bytes(2, 2, PNG_FORMAT_GRAY, {0, 50, 100, 255});
  const Tensor g = parse_png("g.png", span_of(gray), 1);
  CHECK(g.shape() == Shape{1, 1, 2, 2});
  CHECK(g.to_vector() == std::vector<double>{0, 50, 100, 255});
  // Not repeated on three channels for an RGB model, as a PGM is not.
  CHECK(testing::file_error_of([&] { parse_png("g.png", span_of(gray), 3); }) ==
        "g.png: the image is gray (1 channel), the model takes RGB (3 channels): images are not "
        "converted");

  const std::string rgb = png_bytes(2, 1, PNG_FORMAT_RGB, {10, 20, 30, 40, 50, 60});
  const Tensor c = parse_png("c.png", span_of(rgb), 3);
  CHECK(c.shape() == Shape{1, 3, 1, 2});
  CHECK(c.to_vector() == std::vector<double>{10, 40, 20, 50, 30, 60});
  // Not made gray for a gray model, as a PPM is not.
  CHECK(testing::file_error_of([&] { parse_png("c.png", span_of(rgb), 1); }) ==
        "c.png: the image is RGB (3 channels), the model takes gray (1 channel): images are not "
        "converted");

  CHECK(testing::file_error_of([&] {
          parse_png("cut.png", span_of(gray.substr(0, gray.size() / 2)), 1);
        }).rfind("cut.png: ", 0) == 0);
  CHECK(testing::file_error_of([&] {
          parse_png("no.png", span_of("not a png at all"), 1);
        }).rfind("no.png: not a PNG image libpng can read", 0) == 0);
}

TEST_CASE("A 16-bit PNG is scaled to 8 bits, rounded, not gamma-converted as linear light") {
  PngSpec spec;
  spec.width = 5;
  spec.height = 1;
  spec.bit_depth = 16;
  spec.samples = kWideSamples;
  CHECK(parse_png("wide.png", span_of(png_file(spec)), 1).to_vector() == kWideAs8Bit);

  spec.color_type = PNG_COLOR_TYPE_RGB;
  spec.width = 2;
  spec.samples = {65535, 0, 32896, 257, 1000, 65535};
  CHECK(parse_png("wide-rgb.png", span_of(png_file(spec)), 3).to_vector() ==
        std::vector<double>{255, 1, 0, 4, 128, 255});
}

TEST_CASE("An 8-bit PNG with a gAMA chunk keeps its stored values") {
  PngSpec spec;
  spec.width = 4;
  spec.height = 1;
  spec.samples = {0, 64, 128, 255};
  spec.file_gamma = 1.0;  // linear light: the simplified API turned 64 into about 137
  CHECK(parse_png("gamma.png", span_of(png_file(spec)), 1).to_vector() ==
        std::vector<double>{0, 64, 128, 255});

  spec.color_type = PNG_COLOR_TYPE_RGB;
  spec.width = 2;
  spec.samples = {10, 20, 30, 200, 100, 50};
  spec.file_gamma = 1 / 1.8;  // the old Macintosh gamma
  CHECK(parse_png("gamma-rgb.png", span_of(png_file(spec)), 3).to_vector() ==
        std::vector<double>{10, 200, 20, 100, 30, 50});
}

TEST_CASE("A palette PNG is expanded: colours to RGB, grays to gray, tRNS composited on black") {
  PngSpec spec;
  spec.width = 2;
  spec.height = 2;
  spec.bit_depth = 4;
  spec.color_type = PNG_COLOR_TYPE_PALETTE;
  spec.palette = {{10, 20, 30}, {200, 100, 50}, {0, 0, 0}, {255, 255, 255}};
  spec.samples = {0, 1, 2, 3};
  const std::string colour = png_file(spec);
  CHECK(parse_png("p.png", span_of(colour), 3).to_vector() ==
        std::vector<double>{10, 200, 0, 255, 20, 100, 0, 255, 30, 50, 0, 255});
  CHECK(testing::file_error_of([&] { parse_png("p.png", span_of(colour), 1); }) ==
        "p.png: the image is RGB (3 channels), the model takes gray (1 channel): images are not "
        "converted");

  // Entry 1 half transparent: 200 * 128 / 255 = 100.4 on the stored values, not in linear
  // light as the simplified API composited.
  spec.palette_alpha = {255, 128};
  CHECK(parse_png("pt.png", span_of(png_file(spec)), 3).to_vector() ==
        std::vector<double>{10, 100, 0, 255, 20, 50, 0, 255, 30, 25, 0, 255});

  // A palette of grays only is a gray image.
  spec.palette = {{0, 0, 0}, {90, 90, 90}, {180, 180, 180}, {255, 255, 255}};
  spec.palette_alpha.clear();
  spec.bit_depth = 2;
  const std::string grays = png_file(spec);
  CHECK(parse_png("pg.png", span_of(grays), 1).to_vector() == std::vector<double>{0, 90, 180, 255});
  CHECK(testing::file_error_of([&] { parse_png("pg.png", span_of(grays), 3); }) ==
        "pg.png: the image is gray (1 channel), the model takes RGB (3 channels): images are not "
        "converted");
}

TEST_CASE("Gray + alpha and RGBA: transparency composited on black on the stored values") {
  const std::string gray_alpha = png_bytes(4, 1, PNG_FORMAT_GA, {200, 128, 255, 0, 100, 255, 7, 1});
  CHECK(parse_png("ga.png", span_of(gray_alpha), 1).to_vector() ==
        std::vector<double>{100, 0, 100, 0});
  const std::string rgba = png_bytes(2, 1, PNG_FORMAT_RGBA, {200, 100, 50, 128, 9, 8, 7, 255});
  CHECK(parse_png("rgba.png", span_of(rgba), 3).to_vector() ==
        std::vector<double>{100, 9, 50, 8, 25, 7});
  // 16 bits with alpha: one rounding, of v * a * 255 / 65535^2.
  PngSpec spec;
  spec.width = 2;
  spec.height = 1;
  spec.bit_depth = 16;
  spec.color_type = PNG_COLOR_TYPE_GRAY_ALPHA;
  spec.samples = {65535, 32768, 51400, 65535};
  CHECK(parse_png("ga16.png", span_of(png_file(spec)), 1).to_vector() ==
        std::vector<double>{128, 200});
}

TEST_CASE("Interlaced and 1-bit PNGs read as the plain 8-bit image") {
  PngSpec spec;
  spec.width = 9;
  spec.height = 3;
  for (int i = 0; i < 27; ++i) spec.samples.push_back(i * 9);
  const Tensor plain = parse_png("plain.png", span_of(png_file(spec)), 1);
  spec.interlaced = true;
  CHECK(parse_png("adam7.png", span_of(png_file(spec)), 1).to_vector() == plain.to_vector());

  PngSpec bits;
  bits.width = 3;
  bits.height = 1;
  bits.bit_depth = 1;
  bits.samples = {1, 0, 1};
  CHECK(parse_png("bits.png", span_of(png_file(bits)), 1).to_vector() ==
        std::vector<double>{255, 0, 255});
}

TEST_CASE("load_images tells the formats apart and checks the channels") {
  const std::string folder = testing::fresh_test_folder("image_files");
  write_file_atomically(folder + "/a.png", png_bytes(3, 2, PNG_FORMAT_GRAY, {1, 2, 3, 4, 5, 6}));
  write_file_atomically(folder + "/b.pgm", "P2 3 2 255 1 2 3 4 5 6");
  const testing::Bytes idx = testing::idx_images_bytes(4, 2, 3);
  write_file_atomically(folder + "/c-idx3-ubyte", std::string(idx.begin(), idx.end()));
  write_file_atomically(folder + "/d.txt", "hello");
  write_file_atomically(folder + "/e.ppm", "P3 1 1 255 1 2 3");

  CHECK(load_images(folder + "/a.png", 1).to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(load_images(folder + "/b.pgm", 1).to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(load_images(folder + "/c-idx3-ubyte", 1).shape() == Shape{4, 1, 2, 3});
  CHECK(testing::file_error_of([&] { load_images(folder + "/d.txt", 1); }) ==
        folder + "/d.txt: not a PNG, PGM/PPM or IDX image file");
  const std::string to_gray =
      ": the image is RGB (3 channels), the model takes gray (1 channel): "
      "images are not converted";
  const std::string to_rgb =
      ": the image is gray (1 channel), the model takes RGB (3 channels): "
      "images are not converted";
  CHECK(testing::file_error_of([&] { load_images(folder + "/e.ppm", 1); }) ==
        folder + "/e.ppm" + to_gray);
  CHECK(testing::file_error_of([&] { load_images(folder + "/b.pgm", 3); }) ==
        folder + "/b.pgm" + to_rgb);
  CHECK(testing::file_error_of([&] { load_images(folder + "/a.png", 3); }) ==
        folder + "/a.png" + to_rgb);
  CHECK(testing::file_error_of([&] { load_images(folder + "/c-idx3-ubyte", 3); }) ==
        folder + "/c-idx3-ubyte" + to_rgb);
  CHECK(testing::file_error_of([&] {
          load_images(folder + "/none.png", 1);
        }).find(folder + "/none.png") == 0);
}

TEST_CASE("The same image as PNG and as PGM/PPM: the same pixels, or the same refusal") {
  const std::string folder = testing::fresh_test_folder("png_and_netpbm");
  const std::vector<std::uint8_t> rgb = {10, 20, 30, 200, 100, 50};
  write_file_atomically(folder + "/rgb.png", png_bytes(2, 1, PNG_FORMAT_RGB, rgb));
  write_file_atomically(folder + "/rgb.ppm",
                        std::string("P6 2 1 255\n") + std::string(rgb.begin(), rgb.end()));
  CHECK(load_images(folder + "/rgb.png", 3).to_vector() ==
        load_images(folder + "/rgb.ppm", 3).to_vector());
  // The message after the file's name.
  const auto refusal = [&](const std::string& name) {
    const std::string message =
        testing::file_error_of([&] { load_images(folder + "/" + name, 1); });
    const std::string file = folder + "/" + name;
    return message.rfind(file, 0) == 0 ? message.substr(file.size()) : message;
  };
  CHECK(refusal("rgb.png") ==
        ": the image is RGB (3 channels), the model takes gray (1 channel): images are not "
        "converted");
  CHECK(refusal("rgb.png") == refusal("rgb.ppm"));

  // 16 bits: round(v * 255 / 65535) in both formats.
  PngSpec spec;
  spec.width = 5;
  spec.height = 1;
  spec.bit_depth = 16;
  spec.samples = kWideSamples;
  write_file_atomically(folder + "/wide.png", png_file(spec));
  std::string pgm = "P5 5 1 65535\n";
  for (int v : kWideSamples) pgm += {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
  write_file_atomically(folder + "/wide.pgm", pgm);
  CHECK(load_images(folder + "/wide.pgm", 1).to_vector() == kWideAs8Bit);
  CHECK(load_images(folder + "/wide.png", 1).to_vector() == kWideAs8Bit);
}

TEST_CASE("normalize_images prepares new images as preprocess() prepared the splits") {
  const Tensor images = Tensor::from_values({2, 1, 1, 2}, {10, 20, 30, 40});
  const Tensor mean = Tensor::from_values({1, 1, 2}, {5, 10});
  CHECK(normalize_images(images, mean, 0.5).to_vector() == std::vector<double>{2.5, 5, 12.5, 15});
  CHECK(normalize_images(images, Tensor(), 2).to_vector() == std::vector<double>{20, 40, 60, 80});
  CHECK(images.to_vector() == std::vector<double>{10, 20, 30, 40});  // copied, not changed
  CHECK_THROWS_WITH_AS(normalize_images(images, Tensor::zeros({1, 2, 1}), 1),
                       doctest::Contains("normalize_images: mean_image"), ArgumentError);
}

TEST_CASE("Class names of the data sets") {
  CHECK(class_names("fashion-mnist", 10)[9] == "Ankle boot");
  CHECK(class_names("cifar10", 10)[0] == "airplane");
  CHECK(class_names("mnist", 10)[7] == "7");
  CHECK(class_names("fashion-mnist", 3) == std::vector<std::string>{"0", "1", "2"});
}
