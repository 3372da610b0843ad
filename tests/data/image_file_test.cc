// Images to classify: PNG (written here with libpng), PGM/PPM and IDX files,
// read into float32 (N, C, H, W) pixel values; malformed files refused with
// the file named; new images prepared as preprocess() prepared the splits.
#include "data/image_file.h"

#include <doctest/doctest.h>
#include <png.h>

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

TEST_CASE("PNG through libpng: gray, RGB, converted to what the model takes") {
  const std::string gray = png_bytes(2, 2, PNG_FORMAT_GRAY, {0, 50, 100, 255});
  const Tensor g = parse_png("g.png", span_of(gray), 1);
  CHECK(g.shape() == Shape{1, 1, 2, 2});
  CHECK(g.to_vector() == std::vector<double>{0, 50, 100, 255});
  // Gray repeated on three channels for an RGB model.
  CHECK(parse_png("g.png", span_of(gray), 3).to_vector() ==
        std::vector<double>{0, 50, 100, 255, 0, 50, 100, 255, 0, 50, 100, 255});

  const std::string rgb = png_bytes(2, 1, PNG_FORMAT_RGB, {10, 20, 30, 40, 50, 60});
  const Tensor c = parse_png("c.png", span_of(rgb), 3);
  CHECK(c.shape() == Shape{1, 3, 1, 2});
  CHECK(c.to_vector() == std::vector<double>{10, 40, 20, 50, 30, 60});
  // White and black stay white and black in gray.
  const std::string bw = png_bytes(2, 1, PNG_FORMAT_RGB, {255, 255, 255, 0, 0, 0});
  CHECK(parse_png("bw.png", span_of(bw), 1).to_vector() == std::vector<double>{255, 0});

  CHECK(testing::file_error_of([&] {
          parse_png("cut.png", span_of(gray.substr(0, gray.size() / 2)), 1);
        }).rfind("cut.png: ", 0) == 0);
  CHECK(testing::file_error_of([&] {
          parse_png("no.png", span_of("not a png at all"), 1);
        }).rfind("no.png: not a PNG image libpng can read", 0) == 0);
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
  CHECK(load_images(folder + "/a.png", 3).shape() == Shape{1, 3, 2, 3});
  CHECK(testing::file_error_of([&] { load_images(folder + "/d.txt", 1); }) ==
        folder + "/d.txt: not a PNG, PGM/PPM or IDX image file");
  CHECK(testing::file_error_of([&] { load_images(folder + "/e.ppm", 1); }) ==
        folder + "/e.ppm: the image has 3 channels, the model takes 1");
  CHECK(testing::file_error_of([&] { load_images(folder + "/b.pgm", 3); }) ==
        folder + "/b.pgm: the image has 1 channel, the model takes 3");
  CHECK(testing::file_error_of([&] {
          load_images(folder + "/none.png", 1);
        }).find(folder + "/none.png") == 0);
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
