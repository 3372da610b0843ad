#include "data/cifar10.h"

#include <filesystem>

#include "graph/checks.h"
#include "io/file_error.h"
#include "io/read_file.h"

namespace tg {
namespace {

constexpr std::int64_t kChannels = 3;
constexpr std::int64_t kSide = 32;
constexpr std::size_t kPixelBytes = kChannels * kSide * kSide;  // 3072
constexpr std::size_t kRecordBytes = 1 + kPixelBytes;           // 3073
constexpr int kNumClasses = 10;

// The number of records in a batch file; throws unless it is whole and positive.
std::int64_t count_records(std::string_view file, ByteSpan bytes) {
  if (bytes.size == 0) {
    fail_at_byte(file, 0, "the data is empty, expected {}-byte records", kRecordBytes);
  }
  const std::size_t whole = bytes.size / kRecordBytes;
  const std::size_t partial = bytes.size % kRecordBytes;
  if (partial != 0) {
    fail_at_byte(file, whole * kRecordBytes,
                 "the data ends inside record {}: {} of its {} bytes (1 label + {} pixels)", whole,
                 partial, kRecordBytes, kPixelBytes);
  }
  return static_cast<std::int64_t>(whole);
}

// Decodes every record of a file into dataset rows [first, first + records).
void decode_records(std::string_view file, ByteSpan bytes, std::int64_t first, Dataset& dataset) {
  ByteReader reader(file, bytes);
  float* pixels = dataset.images.data<float>() + first * kPixelBytes;
  for (std::int64_t row = first; reader.remaining() > 0; ++row, pixels += kPixelBytes) {
    const std::size_t record_offset = reader.offset();
    const std::uint8_t label = reader.u8("label");
    if (label >= kNumClasses) {
      fail_at_byte(file, record_offset, "label {} (record {}), expected 0..{}", label,
                   record_offset / kRecordBytes, kNumClasses - 1);
    }
    dataset.labels[row] = label;
    reader.take_as_floats(kPixelBytes, pixels, "pixels");
  }
}

Dataset allocate(std::int64_t records) {
  return {Tensor::empty({records, kChannels, kSide, kSide}),
          Labels(static_cast<std::size_t>(records)), kNumClasses};
}

}  // namespace

Dataset parse_cifar10(std::string_view file, ByteSpan bytes) {
  Dataset dataset = allocate(count_records(file, bytes));
  decode_records(file, bytes, 0, dataset);
  return dataset;
}

Dataset parse_cifar10(const std::vector<NamedBytes>& files) {
  if (files.empty()) fail("parse_cifar10", "no files given");
  std::vector<std::int64_t> counts;
  std::int64_t total = 0;
  for (const NamedBytes& f : files) {
    counts.push_back(count_records(f.file, f.bytes));
    total += counts.back();
  }
  Dataset dataset = allocate(total);
  std::int64_t first = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    decode_records(files[i].file, files[i].bytes, first, dataset);
    first += counts[i];
  }
  return dataset;
}

TrainAndTest load_cifar10(const std::string& folder) {
  const auto read = [&](std::string_view name) {
    const std::string path = (std::filesystem::path(folder) / name).string();
    return NamedBytes{path, read_file_bytes(path)};
  };
  std::vector<NamedBytes> train_files;
  for (int batch = 1; batch <= 5; ++batch) {
    train_files.push_back(read(fmt::format("data_batch_{}.bin", batch)));
  }
  Dataset train = parse_cifar10(train_files);
  train_files.clear();  // frees 150 MB before the test file is read
  return {std::move(train), load_cifar10_test_set(folder)};
}

Dataset load_cifar10_test_set(const std::string& folder) {
  const std::string path = (std::filesystem::path(folder) / "test_batch.bin").string();
  return parse_cifar10(path, read_file_bytes(path));
}

}  // namespace tg
