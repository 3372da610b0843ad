#include "data/idx.h"

#include <filesystem>

#include "io/file_error.h"
#include "io/read_file.h"

namespace tg {
namespace {

constexpr std::uint32_t kImagesMagic = 0x00000803;  // u8 data, 3 dimensions
constexpr std::uint32_t kLabelsMagic = 0x00000801;  // u8 data, 1 dimension
constexpr std::size_t kCountOffset = 4;             // N follows the magic number
constexpr std::size_t kRowsOffset = 8;              // images only: rows, then cols
constexpr int kNumClasses = 10;

void read_magic(ByteReader& reader, std::uint32_t expected, std::string_view kind) {
  const std::uint32_t magic = reader.u32_big_endian("magic number");
  if (magic != expected) {
    fail_at_byte(reader.file(), 0, "magic number {:#010x}, expected {:#010x} ({})", magic, expected,
                 kind);
  }
}

std::uint32_t read_count(ByteReader& reader, std::string_view items) {
  const std::uint32_t count = reader.u32_big_endian("the number of examples");
  if (count == 0) fail_at_byte(reader.file(), kCountOffset, "the header claims 0 {}", items);
  return count;
}

// Checks, before anything is allocated, that exactly `count` items of
// `item_bytes` bytes each follow the header.
void check_length(const ByteReader& reader, std::uint64_t count, std::uint64_t item_bytes,
                  std::string_view items) {
  const std::uint64_t available = reader.remaining();
  if (available / item_bytes < count) {
    fail_at_byte(reader.file(), reader.size(),
                 "the data ends, but the header claims {} {}: the {} bytes after the header "
                 "hold only {}",
                 count, items, available, available / item_bytes);
  }
  const std::uint64_t needed = count * item_bytes;  // <= available: no overflow
  if (needed < available) {
    fail_at_byte(reader.file(), reader.offset() + needed,
                 "{} more bytes after the {} {} the header claims", available - needed, count,
                 items);
  }
}

std::string find_plain_or_gz(const std::string& folder, std::string_view name) {
  const std::filesystem::path plain = std::filesystem::path(folder) / name;
  std::filesystem::path gz = plain;
  gz += ".gz";
  // A path that cannot even be checked is returned: reading it reports why.
  std::error_code error;
  if (std::filesystem::exists(plain, error) || error) return plain.string();
  if (std::filesystem::exists(gz, error) || error) return gz.string();
  fail_file(plain.string(), "no such file (nor {}.gz)", name);
}

}  // namespace

Tensor parse_idx_images(std::string_view file, ByteSpan bytes) {
  ByteReader reader(file, bytes);
  read_magic(reader, kImagesMagic, "IDX images");
  const std::uint32_t count = read_count(reader, "images");
  const std::uint32_t rows = reader.u32_big_endian("row count");
  const std::uint32_t cols = reader.u32_big_endian("column count");
  if (rows == 0 || cols == 0) {
    fail_at_byte(file, kRowsOffset, "the header claims images of {}x{} pixels", rows, cols);
  }
  const std::uint64_t pixels = std::uint64_t{rows} * cols;  // both below 2^32: fits
  check_length(reader, count, pixels, fmt::format("images of {}x{} pixels", rows, cols));

  Tensor images = Tensor::empty({count, 1, rows, cols});
  reader.take_as_floats(count * pixels, images.data<float>(), "pixels");
  return images;
}

Labels parse_idx_labels(std::string_view file, ByteSpan bytes) {
  ByteReader reader(file, bytes);
  read_magic(reader, kLabelsMagic, "IDX labels");
  const std::uint32_t count = read_count(reader, "labels");
  check_length(reader, count, 1, "labels");

  const std::size_t first_offset = reader.offset();
  const std::uint8_t* values = reader.take(count, "labels");
  Labels labels(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (values[i] >= kNumClasses) {
      fail_at_byte(file, first_offset + i, "label {} (example {}), expected 0..{}", values[i], i,
                   kNumClasses - 1);
    }
    labels[i] = values[i];
  }
  return labels;
}

Dataset parse_idx(std::string_view images_file, ByteSpan image_bytes, std::string_view labels_file,
                  ByteSpan label_bytes) {
  Labels labels = parse_idx_labels(labels_file, label_bytes);
  Tensor images = parse_idx_images(images_file, image_bytes);
  if (images.dim(0) != static_cast<std::int64_t>(labels.size())) {
    fail_at_byte(labels_file, kCountOffset, "{} labels, but {} holds {} images", labels.size(),
                 images_file, images.dim(0));
  }
  return {std::move(images), std::move(labels), kNumClasses};
}

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  return parse_idx(images_path, read_file_bytes(images_path), labels_path,
                   read_file_bytes(labels_path));
}

TrainAndTest load_idx_folder(const std::string& folder) {
  return {load_idx(find_plain_or_gz(folder, "train-images-idx3-ubyte"),
                   find_plain_or_gz(folder, "train-labels-idx1-ubyte")),
          load_idx_test_set(folder)};
}

Dataset load_idx_test_set(const std::string& folder) {
  return load_idx(find_plain_or_gz(folder, "t10k-images-idx3-ubyte"),
                  find_plain_or_gz(folder, "t10k-labels-idx1-ubyte"));
}

}  // namespace tg
