// data/ on files: plain and gzipped IDX, CIFAR-10 folders, the errors of
// missing, corrupt and truncated files, and the real Fashion-MNIST test set
// when its Debian package is installed.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/cifar10.h"
#include "data/idx.h"
#include "graph/errors.h"
#include "io/read_file.h"
#include "tests/support/data_bytes.h"
#include "tests/support/test_folder.h"

using namespace tg;
using namespace tg::testing;
using doctest::Contains;
namespace fs = std::filesystem;

namespace {

std::string write_plain(const std::string& folder, const std::string& name, const Bytes& bytes) {
  const std::string path = (fs::path(folder) / name).string();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
  return path;
}

std::string write_gzip(const std::string& folder, const std::string& name, const Bytes& bytes) {
  return write_plain(folder, name, gzip_bytes(bytes));
}

void write_idx_folder(const std::string& folder, bool gzip) {
  const auto write = gzip ? write_gzip : write_plain;
  const std::string suffix = gzip ? ".gz" : "";
  write(folder, "train-images-idx3-ubyte" + suffix, idx_images_bytes(4, 3, 2));
  write(folder, "train-labels-idx1-ubyte" + suffix, idx_labels_bytes({0, 1, 2, 3}));
  write(folder, "t10k-images-idx3-ubyte" + suffix, idx_images_bytes(2, 3, 2));
  write(folder, "t10k-labels-idx1-ubyte" + suffix, idx_labels_bytes({9, 8}));
}

}  // namespace

TEST_CASE("load_idx reads plain and gzipped files to the same values") {
  const std::string folder = fresh_test_folder("idx");
  const Bytes images = idx_images_bytes(3, 4, 5);
  const Bytes labels = idx_labels_bytes({4, 5, 6});
  const Dataset plain =
      load_idx(write_plain(folder, "images", images), write_plain(folder, "labels", labels));
  // Gzip is recognised by its magic bytes, not by the name.
  const Dataset gzipped = load_idx(write_gzip(folder, "images.gz", images),
                                   write_gzip(folder, "labels-without-suffix", labels));
  for (const Dataset* d : {&plain, &gzipped}) {
    CHECK(d->images.shape() == Shape{3, 1, 4, 5});
    CHECK(d->labels == Labels{4, 5, 6});
    const std::vector<double> pixels = d->images.to_vector();
    for (std::size_t k = 0; k < pixels.size(); ++k) REQUIRE(pixels[k] == pixel_value(k));
  }
}

TEST_CASE("load_idx_folder takes plain files, or .gz ones when there are none") {
  SUBCASE("gzip only") {
    const std::string folder = fresh_test_folder("idx_folder_gz");
    write_idx_folder(folder, true);
    const TrainAndTest data = load_idx_folder(folder);
    CHECK(data.train.images.shape() == Shape{4, 1, 3, 2});
    CHECK(data.train.labels == Labels{0, 1, 2, 3});
    CHECK(data.test.images.shape() == Shape{2, 1, 3, 2});
    CHECK(data.test.labels == Labels{9, 8});
  }
  SUBCASE("plain wins over gzip") {
    const std::string folder = fresh_test_folder("idx_folder_both");
    write_idx_folder(folder, true);
    write_idx_folder(folder, false);
    write_gzip(folder, "t10k-labels-idx1-ubyte.gz", Bytes{1, 2, 3});  // would fail if read
    CHECK(load_idx_folder(folder).test.labels == Labels{9, 8});
  }
  SUBCASE("a missing file is named") {
    const std::string folder = fresh_test_folder("idx_folder_missing");
    write_idx_folder(folder, false);
    fs::remove(fs::path(folder) / "t10k-images-idx3-ubyte");
    CHECK_THROWS_WITH_AS(load_idx_folder(folder),
                         Contains("t10k-images-idx3-ubyte: no such file (nor "
                                  "t10k-images-idx3-ubyte.gz)"),
                         FileError);
  }
}

TEST_CASE("IDX errors in a gzipped file name the file; offsets count decompressed bytes") {
  const std::string folder = fresh_test_folder("idx_errors");
  const std::string labels = write_gzip(folder, "t10k-labels-idx1-ubyte.gz", idx_labels_bytes({1}));
  const std::string images_as_labels =
      write_gzip(folder, "t10k-images-idx3-ubyte.gz", idx_labels_bytes({1}));
  CHECK_THROWS_WITH_AS(load_idx(images_as_labels, labels),
                       Contains("t10k-images-idx3-ubyte.gz: byte 0: magic number 0x00000801, "
                                "expected 0x00000803 (IDX images)"),
                       FileError);
  const std::string two_images = write_gzip(folder, "two-images.gz", idx_images_bytes(2, 2, 2));
  CHECK_THROWS_WITH_AS(load_idx(two_images, labels),
                       Contains("t10k-labels-idx1-ubyte.gz: byte 4: 1 labels, but"), FileError);
  const std::string bad_label = write_gzip(folder, "bad-label.gz", idx_labels_bytes({3, 11}));
  CHECK_THROWS_WITH_AS(load_idx(two_images, bad_label),
                       Contains("bad-label.gz: byte 9: label 11 (example 1), expected 0..9"),
                       FileError);
}

TEST_CASE("read_file_bytes: missing files, folders and the size limit") {
  const std::string folder = fresh_test_folder("read_file");
  CHECK_THROWS_WITH_AS(read_file_bytes(folder + "/nothing-here"),
                       Contains("nothing-here: no such file"), FileError);
  CHECK_THROWS_WITH_AS(read_file_bytes(folder), Contains(": not a regular file"), FileError);
  CHECK(read_file_bytes(write_plain(folder, "empty", Bytes{})).empty());
  const std::string plain = write_plain(folder, "plain", Bytes(100, 7));
  CHECK(read_file_bytes(plain, 100) == Bytes(100, 7));
  CHECK_THROWS_WITH_AS(read_file_bytes(plain, 99),
                       Contains("plain: the file holds 100 bytes, more than the limit of 99"),
                       FileError);
  // A small file that inflates beyond the limit: the cap holds before memory runs out.
  const std::string bomb = write_gzip(folder, "bomb.gz", Bytes(1 << 20, 0));
  CHECK(read_file_bytes(bomb).size() == 1 << 20);
  REQUIRE(fs::file_size(bomb) < 5000);
  CHECK_THROWS_WITH_AS(read_file_bytes(bomb, 5000),
                       Contains("bomb.gz: decompresses to at least 5000 bytes, the limit"),
                       FileError);
}

TEST_CASE("gzip streams that are corrupt, truncated or followed by garbage are FileErrors") {
  const std::string folder = fresh_test_folder("gzip");
  const Bytes content = idx_images_bytes(5, 7, 7);
  const Bytes good = gzip_bytes(content);
  REQUIRE(good.size() > 20);

  Bytes bad_checksum = good;
  bad_checksum[good.size() - 6] ^= 0xff;  // the CRC-32 is in the last 8 bytes but the size
  CHECK_THROWS_WITH_AS(read_file_bytes(write_plain(folder, "crc.gz", bad_checksum)),
                       Contains("crc.gz: byte "), FileError);
  CHECK_THROWS_WITH_AS(read_file_bytes(write_plain(folder, "crc.gz", bad_checksum)),
                       Contains("gzip data is corrupt (zlib: incorrect data check)"), FileError);

  Bytes bad_method = good;
  bad_method[2] = 7;  // compression method: only 8 (deflate) exists
  // zlib reads the header two bytes at a time: it stops at byte 4, not 3.
  CHECK_THROWS_WITH_AS(read_file_bytes(write_plain(folder, "method.gz", bad_method)),
                       Contains("method.gz: byte "), FileError);
  CHECK_THROWS_WITH_AS(read_file_bytes(write_plain(folder, "method.gz", bad_method)),
                       Contains(": gzip data is corrupt (zlib: unknown compression method)"),
                       FileError);

  Bytes truncated = good;
  truncated.resize(good.size() - 10);
  CHECK_THROWS_WITH_AS(
      read_file_bytes(write_plain(folder, "cut.gz", truncated)),
      Contains(fmt::format("cut.gz: byte {}: gzip data is truncated", truncated.size()).c_str()),
      FileError);
  CHECK_THROWS_WITH_AS(read_file_bytes(write_plain(folder, "magic-only.gz", Bytes{0x1f, 0x8b})),
                       Contains("magic-only.gz: byte 2: gzip data is truncated"), FileError);

  Bytes trailing = good;
  trailing.push_back(0);
  CHECK_THROWS_WITH_AS(read_file_bytes(write_plain(folder, "trailing.gz", trailing)),
                       Contains(fmt::format("trailing.gz: byte {}: 1 unexpected bytes after the "
                                            "end of the gzip data",
                                            good.size())
                                    .c_str()),
                       FileError);

  // Two members one after the other are one stream (what `cat a.gz b.gz` makes).
  Bytes two_members = good;
  two_members.insert(two_members.end(), good.begin(), good.end());
  Bytes twice = content;
  twice.insert(twice.end(), content.begin(), content.end());
  CHECK(read_file_bytes(write_plain(folder, "two.gz", two_members)) == twice);
}

TEST_CASE("load_cifar10 reads the five training batches in order and the test batch") {
  const std::string folder = fresh_test_folder("cifar10");
  for (int batch = 1; batch <= 5; ++batch) {
    const auto label = static_cast<std::uint8_t>(batch);
    write_plain(folder, fmt::format("data_batch_{}.bin", batch), cifar10_bytes({label, 0}));
  }
  write_gzip(folder, "test_batch.bin", cifar10_bytes({7, 8}));  // gzip is fine too
  const TrainAndTest data = load_cifar10(folder);
  CHECK(data.train.images.shape() == Shape{10, 3, 32, 32});
  CHECK(data.train.labels == Labels{1, 0, 2, 0, 3, 0, 4, 0, 5, 0});
  CHECK(data.test.images.shape() == Shape{2, 3, 32, 32});
  CHECK(data.test.labels == Labels{7, 8});
  // Each file starts its pixels at pixel_value(0); the second record goes on.
  CHECK(data.train.images.at<float>(4, 0, 0, 0) == pixel_value(0));
  CHECK(data.train.images.at<float>(5, 1, 2, 3) == pixel_value(3072 + 1024 + 2 * 32 + 3));
  CHECK(data.test.images.at<float>(1, 2, 31, 31) == pixel_value(2 * 3072 - 1));

  SUBCASE("a file that is not a whole number of records") {
    Bytes bytes = cifar10_bytes({1, 2});
    bytes.resize(bytes.size() - 100);
    write_plain(folder, "data_batch_3.bin", bytes);
    CHECK_THROWS_WITH_AS(load_cifar10(folder),
                         Contains("data_batch_3.bin: byte 3073: the data ends inside record 1: "
                                  "2973 of its 3073 bytes"),
                         FileError);
  }
  SUBCASE("a missing file") {
    fs::remove(fs::path(folder) / "test_batch.bin");
    CHECK_THROWS_WITH_AS(load_cifar10(folder), Contains("test_batch.bin: no such file"), FileError);
  }
}

TEST_CASE("the real Fashion-MNIST test set, when dataset-fashion-mnist is installed") {
  const fs::path folder(kFashionMnistFolder);
  if (!fs::exists(folder / "t10k-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: ", folder.string(),
            " has no t10k-images-idx3-ubyte.gz (install the Debian package dataset-fashion-mnist)");
    return;
  }
  const Dataset test = load_idx((folder / "t10k-images-idx3-ubyte.gz").string(),
                                (folder / "t10k-labels-idx1-ubyte.gz").string());
  CHECK(test.images.shape() == Shape{10000, 1, 28, 28});
  CHECK(test.num_classes == 10);
  std::vector<int> per_class(10, 0);
  for (std::int32_t label : test.labels) {
    REQUIRE(label >= 0);
    REQUIRE(label < 10);
    ++per_class[label];
  }
  CHECK(per_class == std::vector<int>(10, 1000));
  const std::vector<double> pixels = test.images.to_vector();
  const auto [low, high] = std::minmax_element(pixels.begin(), pixels.end());
  CHECK(*low == 0.0);
  CHECK(*high == 255.0);
}
