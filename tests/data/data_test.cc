// data/ on bytes in memory: the IDX and CIFAR-10 parsers (values, layout and
// every malformed-input error), preprocessing into splits, and batching.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/cifar10.h"
#include "data/idx.h"
#include "data/preprocess.h"
#include "graph/errors.h"
#include "graph/rng.h"
#include "io/byte_reader.h"
#include "tests/support/data_bytes.h"

using namespace tg;
using namespace tg::testing;
using doctest::Contains;

namespace {

// A dataset whose pixel p of example i is 100 * i + p, with label i % 10.
Dataset numbered_dataset(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  Dataset dataset{Tensor::empty({n, c, h, w}), Labels(static_cast<std::size_t>(n)), 10};
  float* x = dataset.images.data<float>();
  const std::int64_t pixels = c * h * w;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t p = 0; p < pixels; ++p) x[i * pixels + p] = static_cast<float>(100 * i + p);
    dataset.labels[i] = static_cast<std::int32_t>(i % 10);
  }
  return dataset;
}

// True when example `row` of `part` equals example `source_row` of `whole`.
bool same_example(const Dataset& part, std::int64_t row, const Dataset& whole,
                  std::int64_t source_row) {
  const std::int64_t pixels = whole.images.shape().numel_after_first();
  const float* a = part.images.data<float>() + row * pixels;
  const float* b = whole.images.data<float>() + source_row * pixels;
  return std::equal(a, a + pixels, b) && part.labels[row] == whole.labels[source_row];
}

}  // namespace

TEST_CASE("ByteReader reads big-endian numbers and refuses to pass the end") {
  const Bytes bytes{0x00, 0x00, 0x08, 0x03, 0xff, 0x01, 0x02};
  ByteReader reader("x.bin", bytes);
  CHECK(reader.u32_big_endian("magic") == 0x00000803u);
  CHECK(reader.u8("flag") == 0xff);
  CHECK(reader.remaining() == 2);
  CHECK_THROWS_WITH_AS(reader.u32_big_endian("count"),
                       Contains("x.bin: byte 5: the data ends after 7 bytes, expected 4 more "
                                "bytes (count)"),
                       FileError);
  CHECK(reader.offset() == 5);  // a failed read does not move
  float out[2];
  reader.take_as_floats(2, out, "pixels");
  CHECK(out[0] == 1.0f);
  CHECK(out[1] == 2.0f);
  CHECK_THROWS_AS(reader.u8("more"), FileError);
}

TEST_CASE("parse_idx gives (N, 1, rows, cols) float pixels and labels exactly") {
  const Bytes images = idx_images_bytes(3, 2, 5);  // non-square: rows and cols must not swap
  const Bytes labels = idx_labels_bytes({7, 0, 9});
  const Dataset d = parse_idx("img", images, "lab", labels);
  CHECK(d.images.shape() == Shape{3, 1, 2, 5});
  CHECK(d.images.dtype() == DType::f32);
  CHECK(d.labels == Labels{7, 0, 9});
  CHECK(d.size() == 3);
  CHECK(d.num_classes == 10);
  for (std::int64_t n = 0; n < 3; ++n) {
    for (std::int64_t r = 0; r < 2; ++r) {
      for (std::int64_t c = 0; c < 5; ++c) {
        CHECK(d.images.at<float>(n, 0, r, c) == pixel_value(n * 10 + r * 5 + c));
      }
    }
  }
}

TEST_CASE("parse_idx_images: every malformed file is a FileError with name and offset") {
  SUBCASE("wrong magic number") {
    CHECK_THROWS_WITH_AS(parse_idx_images("t10k-images-idx3-ubyte.gz", idx_labels_bytes({1})),
                         Contains("t10k-images-idx3-ubyte.gz: byte 0: magic number 0x00000801, "
                                  "expected 0x00000803 (IDX images)"),
                         FileError);
  }
  SUBCASE("truncated header") {
    Bytes bytes = idx_images_bytes(1, 2, 2);
    bytes.resize(10);
    CHECK_THROWS_WITH_AS(parse_idx_images("img", bytes),
                         Contains("img: byte 8: the data ends after 10 bytes"), FileError);
  }
  SUBCASE("empty file") {
    CHECK_THROWS_WITH_AS(parse_idx_images("img", Bytes{}),
                         Contains("img: byte 0: the data ends after 0 bytes"), FileError);
  }
  SUBCASE("pixels missing: the header claims more images than the file holds") {
    Bytes bytes = idx_images_bytes(3, 2, 2);
    bytes.pop_back();  // 11 pixel bytes: two whole images of 4 pixels, not three
    CHECK_THROWS_WITH_AS(parse_idx_images("img", bytes),
                         Contains("img: byte 27: the data ends, but the header claims 3 images of "
                                  "2x2 pixels: the 11 bytes after the header hold only 2"),
                         FileError);
  }
  SUBCASE("bytes left over after the images the header claims") {
    Bytes bytes = idx_images_bytes(3, 2, 2);
    bytes.push_back(0);
    bytes.push_back(0);
    CHECK_THROWS_WITH_AS(parse_idx_images("img", bytes),
                         Contains("img: byte 28: 2 more bytes after the 3 images of 2x2 pixels"),
                         FileError);
  }
  SUBCASE("a header claiming 2^32 - 1 huge images is refused before allocating") {
    Bytes bytes;
    for (std::uint32_t v : {0x00000803u, 0xffffffffu, 0xffffffffu, 0xffffffffu}) {
      append_u32_big_endian(bytes, v);
    }
    bytes.resize(bytes.size() + 100, 0);
    CHECK_THROWS_WITH_AS(parse_idx_images("img", bytes),
                         Contains("img: byte 116: the data ends, but the header claims 4294967295 "
                                  "images of 4294967295x4294967295 pixels"),
                         FileError);
  }
  SUBCASE("zero images or zero-size images") {
    CHECK_THROWS_WITH_AS(parse_idx_images("img", idx_images_bytes(0, 2, 2)),
                         Contains("img: byte 4: the header claims 0 images"), FileError);
    CHECK_THROWS_WITH_AS(parse_idx_images("img", idx_images_bytes(2, 0, 2)),
                         Contains("img: byte 8: the header claims images of 0x2 pixels"),
                         FileError);
  }
}

TEST_CASE("parse_idx_labels: malformed files and labels outside 0..9") {
  CHECK_THROWS_WITH_AS(parse_idx_labels("lab", idx_images_bytes(1, 1, 1)),
                       Contains("lab: byte 0: magic number 0x00000803, expected 0x00000801 "
                                "(IDX labels)"),
                       FileError);
  CHECK_THROWS_WITH_AS(parse_idx_labels("lab", idx_labels_bytes({1, 2, 10, 3})),
                       Contains("lab: byte 10: label 10 (example 2), expected 0..9"), FileError);
  Bytes short_labels = idx_labels_bytes({1, 2, 3});
  short_labels.pop_back();
  CHECK_THROWS_WITH_AS(parse_idx_labels("lab", short_labels),
                       Contains("lab: byte 10: the data ends, but the header claims 3 labels"),
                       FileError);
  Bytes long_labels = idx_labels_bytes({1, 2, 3});
  long_labels.push_back(4);
  CHECK_THROWS_WITH_AS(parse_idx_labels("lab", long_labels),
                       Contains("lab: byte 11: 1 more bytes after the 3 labels"), FileError);
}

TEST_CASE("parse_idx: image and label counts must agree") {
  CHECK_THROWS_WITH_AS(parse_idx("train-images", idx_images_bytes(3, 2, 2), "train-labels",
                                 idx_labels_bytes({1, 2})),
                       Contains("train-labels: byte 4: 2 labels, but train-images holds 3 images"),
                       FileError);
}

TEST_CASE("parse_cifar10 keeps the channel-major layout and the labels") {
  const Bytes bytes = cifar10_bytes({3, 9});
  const Dataset d = parse_cifar10("data_batch_1.bin", bytes);
  CHECK(d.images.shape() == Shape{2, 3, 32, 32});
  CHECK(d.labels == Labels{3, 9});
  CHECK(d.num_classes == 10);
  // Record n: label at byte 3073 n, then red, green, blue planes of 1024 bytes.
  for (std::int64_t n = 0; n < 2; ++n) {
    for (std::int64_t c = 0; c < 3; ++c) {
      for (std::int64_t h : {0, 5, 31}) {
        for (std::int64_t w : {0, 17, 31}) {
          const std::size_t byte = 3073 * n + 1 + 1024 * c + 32 * h + w;
          CHECK(d.images.at<float>(n, c, h, w) == bytes[byte]);
        }
      }
    }
  }
  const std::vector<double> all = d.images.to_vector();
  for (std::size_t k = 0; k < all.size(); ++k) REQUIRE(all[k] == pixel_value(k));
}

TEST_CASE("parse_cifar10 joins several files in order") {
  const Dataset d = parse_cifar10(
      std::vector<NamedBytes>{{"a.bin", cifar10_bytes({1, 2})}, {"b.bin", cifar10_bytes({3})}});
  CHECK(d.images.shape() == Shape{3, 3, 32, 32});
  CHECK(d.labels == Labels{1, 2, 3});
  CHECK(d.images.at<float>(2, 0, 0, 0) == pixel_value(0));  // b.bin's first pixel
  CHECK(d.images.at<float>(1, 2, 31, 31) == pixel_value(2 * 3072 - 1));
  CHECK_THROWS_AS(parse_cifar10(std::vector<NamedBytes>{}), ArgumentError);
}

TEST_CASE("parse_cifar10: partial records, empty files and bad labels") {
  Bytes partial = cifar10_bytes({1, 2});
  partial.resize(partial.size() - 1);
  CHECK_THROWS_WITH_AS(parse_cifar10("data_batch_3.bin", partial),
                       Contains("data_batch_3.bin: byte 3073: the data ends inside record 1: "
                                "3072 of its 3073 bytes"),
                       FileError);
  CHECK_THROWS_WITH_AS(parse_cifar10("test_batch.bin", Bytes{}),
                       Contains("test_batch.bin: byte 0: the data is empty"), FileError);
  CHECK_THROWS_WITH_AS(parse_cifar10("data_batch_2.bin", cifar10_bytes({1, 10})),
                       Contains("data_batch_2.bin: byte 3073: label 10 (record 1), expected 0..9"),
                       FileError);
  // The second file is named when it is the bad one.
  CHECK_THROWS_WITH_AS(parse_cifar10(std::vector<NamedBytes>{{"a.bin", cifar10_bytes({1})},
                                                             {"b.bin", Bytes(5000, 0)}}),
                       Contains("b.bin: byte 3073: the data ends inside record 1"), FileError);
}

TEST_CASE("slice_dataset copies whole examples") {
  const Dataset d = numbered_dataset(6, 2, 3, 2);
  const Dataset part = slice_dataset(d, 2, 5);
  REQUIRE(part.images.shape() == Shape{3, 2, 3, 2});
  CHECK(part.num_classes == 10);
  for (std::int64_t i = 0; i < 3; ++i) CHECK(same_example(part, i, d, 2 + i));
  CHECK_FALSE(part.images.shares_storage_with(d.images));
}

TEST_CASE("slice_dataset rejects bad arguments, naming itself") {
  const Dataset d = numbered_dataset(4, 1, 2, 2);
  CHECK_THROWS_WITH_AS(slice_dataset(d, 2, 2), Contains("slice_dataset: begin 2 and end 2"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(slice_dataset(d, -1, 2), Contains("slice_dataset: begin -1"), ArgumentError);
  CHECK_THROWS_WITH_AS(slice_dataset(d, 0, 5), Contains("<= 4 (the dataset size)"), ArgumentError);
  Dataset mismatched = d;
  mismatched.labels.pop_back();
  CHECK_THROWS_WITH_AS(slice_dataset(mismatched, 0, 2),
                       Contains("slice_dataset: the dataset has 4 images (4,1,2,2) but 3 labels"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(slice_dataset(Dataset{}, 0, 1),
                       Contains("slice_dataset: images is undefined"), ArgumentError);
}

// What the Solver does for a minibatch: rng.choice rows, then take_rows.
TEST_CASE("Minibatch rows: Rng::choice draws with replacement, reproducibly from the seed") {
  const Dataset d = numbered_dataset(50, 1, 2, 2);
  Rng a(42);
  Rng b(42);
  const std::vector<std::int64_t> rows_a = a.choice(d.size(), 200);
  CHECK(rows_a == b.choice(d.size(), 200));
  const Tensor batch = take_rows(d.images, rows_a);
  CHECK(batch.shape() == Shape{200, 1, 2, 2});

  // Row i is rng.below(50), drawn in order.
  Rng replay(42);
  std::vector<bool> seen(50, false);
  for (std::int64_t i = 0; i < 200; ++i) {
    const auto source = static_cast<std::int64_t>(replay.below(50));
    CHECK(rows_a[i] == source);
    CHECK(std::equal(batch.data<float>() + i * 4, batch.data<float>() + (i + 1) * 4,
                     d.images.data<float>() + source * 4));
    seen[source] = true;
  }
  // 200 draws from 50 cover well over half of them; all 50 distinct would be odd too.
  CHECK(std::count(seen.begin(), seen.end(), true) > 25);

  Rng other(43);
  CHECK(other.choice(d.size(), 200) != rows_a);
  CHECK(a.state() == replay.state());  // exactly one draw per example
}

TEST_CASE("preprocess: splits come from the right places, the training mean is removed") {
  const TrainAndTest data{numbered_dataset(10, 3, 2, 2), numbered_dataset(6, 3, 2, 2)};
  PreprocessOptions options;
  options.num_training = 5;
  options.num_validation = 3;
  options.num_test = 4;
  const DataSplits splits = preprocess(data, options);
  CHECK(splits.train.size() == 5);
  CHECK(splits.val.size() == 3);
  CHECK(splits.test.size() == 4);
  CHECK(splits.train.labels == Labels{0, 1, 2, 3, 4});
  CHECK(splits.val.labels == Labels{5, 6, 7});
  CHECK(splits.test.labels == Labels{0, 1, 2, 3});
  CHECK(splits.train.images.shape() == Shape{5, 3, 2, 2});

  // Pixel p of example i was 100 i + p: the mean of examples 0..4 is 200 + p.
  REQUIRE(splits.mean_image.shape() == Shape{3, 2, 2});
  for (std::int64_t p = 0; p < 12; ++p) CHECK(splits.mean_image.data<float>()[p] == 200 + p);
  for (std::int64_t p = 0; p < 12; ++p) {
    double sum = 0;
    for (std::int64_t i = 0; i < 5; ++i) sum += splits.train.images.data<float>()[i * 12 + p];
    CHECK(std::abs(sum / 5) < 1e-6);
  }
  CHECK(splits.val.images.at<float>(0, 1, 1, 0) == 300.0f);   // example 5 of train
  CHECK(splits.test.images.at<float>(3, 2, 0, 1) == 100.0f);  // example 3 of test
  // The inputs are copied, not changed.
  CHECK(data.train.images.at<float>(0, 0, 0, 1) == 1.0f);
}

TEST_CASE("preprocess: without mean subtraction, only the scale applies") {
  const TrainAndTest data{numbered_dataset(4, 1, 2, 2), numbered_dataset(2, 1, 2, 2)};
  PreprocessOptions options;
  options.num_training = 2;
  options.num_validation = 2;
  options.num_test = 2;
  options.subtract_mean = false;
  options.scale = 0.5;
  const DataSplits splits = preprocess(data, options);
  CHECK(splits.mean_image.to_vector() == std::vector<double>(4, 0.0));
  CHECK(splits.val.images.to_vector() ==
        std::vector<double>{100, 100.5, 101, 101.5, 150, 150.5, 151, 151.5});
  CHECK(splits.test.images.at<float>(1, 0, 1, 1) == 51.5f);
}

TEST_CASE("preprocess: option errors name the option and the numbers") {
  const TrainAndTest data{numbered_dataset(10, 1, 2, 2), numbered_dataset(6, 1, 2, 2)};
  const auto with = [](std::int64_t train, std::int64_t val, std::int64_t test, double scale) {
    PreprocessOptions options;
    options.num_training = train;
    options.num_validation = val;
    options.num_test = test;
    options.scale = scale;
    return options;
  };
  CHECK_THROWS_WITH_AS(preprocess(data, with(0, 1, 1, 1)),
                       Contains("preprocess: num_training must be positive, got 0"), ArgumentError);
  CHECK_THROWS_WITH_AS(preprocess(data, with(1, -2, 1, 1)),
                       Contains("preprocess: num_validation must be positive, got -2"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(preprocess(data, with(1, 1, 0, 1)),
                       Contains("preprocess: num_test must be positive, got 0"), ArgumentError);
  CHECK_THROWS_WITH_AS(preprocess(data, with(8, 3, 1, 1)),
                       Contains("preprocess: num_training + num_validation is 8 + 3 = 11, more "
                                "than the 10 training examples"),
                       ArgumentError);
  const std::int64_t huge = std::numeric_limits<std::int64_t>::max();
  CHECK_THROWS_WITH_AS(preprocess(data, with(huge, huge, 1, 1)),
                       Contains("is 9223372036854775807 + 9223372036854775807 = "
                                "18446744073709551614, more than the 10 training examples"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(preprocess(data, with(8, 2, 7, 1)),
                       Contains("preprocess: num_test is 7, more than the 6 test examples"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(preprocess(data, with(8, 2, 6, 0)),
                       Contains("preprocess: scale must be finite and non-zero"), ArgumentError);
  CHECK_THROWS_WITH_AS(preprocess(data, with(8, 2, 6, std::nan(""))),
                       Contains("preprocess: scale must be finite"), ArgumentError);
  CHECK_NOTHROW(preprocess(data, with(8, 2, 6, 1)));
  const TrainAndTest mixed{numbered_dataset(10, 1, 2, 2), numbered_dataset(6, 3, 2, 2)};
  CHECK_THROWS_WITH_AS(preprocess(mixed, with(8, 2, 6, 1)),
                       Contains("preprocess: training images (10,1,2,2) and test images "
                                "(6,3,2,2) differ in shape"),
                       ArgumentError);
}
