#include "tests/fuzz/fuzz_one_input.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/cifar10.h"
#include "data/idx.h"
#include "data/image_file.h"
#include "graph/errors.h"
#include "io/checkpoint.h"
#include "io/npy.h"
#include "io/read_file.h"
#include "models/model_file.h"

namespace tg::fuzz {
namespace {

constexpr std::string_view kFile = "fuzz-input";
constexpr std::size_t kIdxImagesHeaderBytes = 16;
constexpr std::size_t kIdxLabelsHeaderBytes = 8;
constexpr std::size_t kCifar10RecordBytes = 3073;
constexpr std::size_t kCheckpointHeaderBytes = 24;
constexpr std::size_t kCheckpointChecksumBytes = 4;

// Runs parse(); a tg::Error from it is one of the accepted outcomes.
template <class Parse>
void accepting_errors(Parse&& parse) {
  try {
    parse();
  } catch (const Error&) {
  }
}

// Runs step(), which must not fail even with a tg::Error.
template <class Step>
auto must_succeed(std::string_view what, Step&& step) {
  try {
    return step();
  } catch (const Error& error) {
    throw std::logic_error(fmt::format("{} threw: {}", what, error.what()));
  }
}

void require(bool holds, std::string_view invariant) {
  if (!holds) throw std::logic_error(fmt::format("broken invariant: {}", invariant));
}

void require_labels_in_range(const Labels& labels) {
  for (std::int32_t label : labels) require(label >= 0 && label < 10, "labels are in 0..9");
}

std::string_view as_chars(ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data), bytes.size};
}

bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.bytes()) == 0;
}

void fuzz_idx(ByteSpan bytes) {
  // What read_file_bytes does with a file's bytes.
  std::vector<std::uint8_t> decompressed;
  try {
    decompressed = decompress_if_gzip(kFile, {bytes.data, bytes.data + bytes.size});
  } catch (const Error&) {
    return;
  }
  bytes = ByteSpan(decompressed);
  accepting_errors([&] {
    const Tensor images = parse_idx_images(kFile, bytes);
    require(images.dtype() == DType::f32 && images.rank() == 4 && images.dim(1) == 1,
            "IDX images are float32 (N, 1, rows, cols)");
    require(images.bytes() / sizeof(float) + kIdxImagesHeaderBytes == bytes.size,
            "an IDX images file is the header and one byte per pixel");
  });
  accepting_errors([&] {
    const Labels labels = parse_idx_labels(kFile, bytes);
    require(labels.size() + kIdxLabelsHeaderBytes == bytes.size,
            "an IDX labels file is the header and one byte per label");
    require_labels_in_range(labels);
  });
}

void require_cifar10(const Dataset& dataset, std::size_t file_bytes) {
  const Tensor& images = dataset.images;
  require(images.dtype() == DType::f32 && images.rank() == 4 && images.dim(1) == 3 &&
              images.dim(2) == 32 && images.dim(3) == 32,
          "CIFAR-10 images are float32 (N, 3, 32, 32)");
  require(images.dim(0) == dataset.size() &&
              static_cast<std::size_t>(dataset.size()) * kCifar10RecordBytes == file_bytes,
          "a CIFAR-10 file is whole records, one image and one label each");
  require_labels_in_range(dataset.labels);
}

void fuzz_cifar10(ByteSpan bytes) {
  accepting_errors([&] { require_cifar10(parse_cifar10(kFile, bytes), bytes.size); });
  // The same bytes as two batch files, split in the middle.
  const std::size_t half = bytes.size / 2;
  const std::vector<NamedBytes> files = {
      {"fuzz-input-1", std::vector<std::uint8_t>(bytes.data, bytes.data + half)},
      {"fuzz-input-2", std::vector<std::uint8_t>(bytes.data + half, bytes.data + bytes.size)}};
  accepting_errors([&] { require_cifar10(parse_cifar10(files), bytes.size); });
}

// The bytes with the header's payload size and the trailing CRC-32 rewritten
// to match the rest (unchanged when too short to have them): checkpoints and
// model files share the container.
std::string with_matching_size_and_checksum(std::string_view bytes) {
  std::string fixed(bytes);
  if (fixed.size() < kCheckpointHeaderBytes + kCheckpointChecksumBytes) return fixed;
  const std::size_t checked = fixed.size() - kCheckpointChecksumBytes;
  const std::uint64_t payload_size = checked - kCheckpointHeaderBytes;
  for (int i = 0; i < 8; ++i) fixed[16 + i] = static_cast<char>(payload_size >> (8 * i) & 0xff);
  const auto crc = static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0),
                                                    reinterpret_cast<const Bytef*>(fixed.data()),
                                                    static_cast<uInt>(checked)));
  for (int i = 0; i < 4; ++i) fixed[checked + i] = static_cast<char>(crc >> (8 * i) & 0xff);
  return fixed;
}

void parse_checkpoint(std::string_view bytes) {
  const std::string serialized = Checkpoint::parse(kFile, bytes).serialize();
  const std::string again = must_succeed("parsing a serialized checkpoint", [&] {
    return Checkpoint::parse("round trip", serialized).serialize();
  });
  require(again == serialized, "a checkpoint survives serialize and parse unchanged");
}

void fuzz_checkpoint(ByteSpan bytes) {
  accepting_errors([&] { parse_checkpoint(as_chars(bytes)); });
  accepting_errors([&] { parse_checkpoint(with_matching_size_and_checksum(as_chars(bytes))); });
}

void fuzz_npy(ByteSpan bytes) {
  accepting_errors([&] {
    const Tensor tensor = parse_npy(kFile, as_chars(bytes));
    const Tensor back = must_succeed("parsing npy_bytes of a parsed .npy",
                                     [&] { return parse_npy("round trip", npy_bytes(tensor)); });
    require(same_tensor(back, tensor), "a .npy tensor survives npy_bytes and parse_npy");
  });
}

// One example of the shape a loaded model takes: (1, C, H, W) for a
// configuration with input_dim (C, H, W), (1, D) for one with input_dim D.
Tensor one_example(const Module& model) {
  const ModelConfig config = model.config();
  const auto it = config.values().find("input_dim");
  require(it != config.values().end(), "a shipped model's configuration has input_dim");
  std::vector<std::int64_t> dims = {1};
  if (const auto* d = std::get_if<std::int64_t>(&it->second)) dims.push_back(*d);
  if (const auto* d = std::get_if<std::vector<std::int64_t>>(&it->second)) {
    dims.insert(dims.end(), d->begin(), d->end());
  }
  return Tensor::zeros(Shape(dims), model.dtype());
}

void parse_model_file(std::string_view bytes) {
  LoadedModel loaded = parse_model(kFile, bytes);
  const Tensor scores = must_succeed("classifying one example with a loaded model", [&] {
    return loaded.model->scores(one_example(*loaded.model));
  });
  require(scores.rank() == 2 && scores.dim(0) == 1, "a model's scores are (1, classes)");
  const std::string written = model_file_bytes(*loaded.model, loaded.input);
  const std::string again = must_succeed("reading a written model file", [&] {
    const LoadedModel back = parse_model("round trip", written);
    return model_file_bytes(*back.model, back.input);
  });
  require(again == written, "a model file survives load and save unchanged");
}

void fuzz_model(ByteSpan bytes) {
  accepting_errors([&] { parse_model_file(as_chars(bytes)); });
  accepting_errors([&] { parse_model_file(with_matching_size_and_checksum(as_chars(bytes))); });
}

void require_image(const Tensor& image, std::int64_t channels) {
  require(image.dtype() == DType::f32 && image.rank() == 4 && image.dim(0) == 1 &&
              (channels == 0 || image.dim(1) == channels),
          "an image is float32 (1, C, H, W)");
  for (double v : image.to_vector()) require(v >= 0 && v <= 255, "pixel values are in 0..255");
}

void fuzz_image(ByteSpan bytes) {
  accepting_errors([&] { require_image(parse_netpbm(kFile, bytes), 0); });
  for (std::int64_t channels : {1, 3}) {
    accepting_errors([&] { require_image(parse_png(kFile, bytes, channels), channels); });
  }
}

}  // namespace

std::string_view target_name(Reader reader) {
  switch (reader) {
    case Reader::idx:
      return "idx";
    case Reader::cifar10:
      return "cifar10";
    case Reader::checkpoint:
      return "checkpoint";
    case Reader::npy:
      return "npy";
    case Reader::model:
      return "model";
    case Reader::image:
      return "image";
  }
  return "unknown";
}

std::optional<Reader> reader_of_target(std::string_view name) {
  for (Reader reader : kReaders) {
    if (target_name(reader) == name) return reader;
  }
  return std::nullopt;
}

void fuzz_one_input(Reader reader, ByteSpan bytes) {
  switch (reader) {
    case Reader::idx:
      return fuzz_idx(bytes);
    case Reader::cifar10:
      return fuzz_cifar10(bytes);
    case Reader::checkpoint:
      return fuzz_checkpoint(bytes);
    case Reader::npy:
      return fuzz_npy(bytes);
    case Reader::model:
      return fuzz_model(bytes);
    case Reader::image:
      return fuzz_image(bytes);
  }
}

}  // namespace tg::fuzz
