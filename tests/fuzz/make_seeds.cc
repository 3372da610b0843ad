// Writes the seed inputs of the fuzz targets: a few small valid files of each
// format, as tests/fuzz/corpus/<target>/seed-<what>. Deterministic, so running
// it again changes nothing:
//   bazel run //tests/fuzz:make_seeds -- "$PWD/tests/fuzz/corpus"
#include <fmt/format.h>
#include <png.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "graph/errors.h"
#include "graph/rng.h"
#include "graph/tensor.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "io/npy.h"
#include "models/fully_connected_net.h"
#include "models/model_file.h"
#include "models/three_layer_convnet.h"
#include "tests/support/data_bytes.h"

namespace {

using tg::testing::Bytes;
namespace fs = std::filesystem;

std::string as_string(const Bytes& bytes) { return {bytes.begin(), bytes.end()}; }

std::string gzip(const Bytes& bytes) { return as_string(tg::testing::gzip_bytes(bytes)); }

// A .npy file of format version 2.0: npy_bytes writes 1.0, whose header
// length is a u16; 2.0 has a u32 there.
std::string npy_version_2(const tg::Tensor& tensor) {
  const std::string v1 = npy_bytes(tensor);
  std::string v2 = v1.substr(0, 6) + '\x02' + '\x00';
  v2 += v1.substr(8, 2) + std::string(2, '\0');
  v2 += v1.substr(10);
  return v2;
}

tg::Checkpoint tensors_checkpoint() {
  tg::Rng rng(7);
  tg::Checkpoint c;
  c.put("param/W", tg::Tensor::randn({2, 3}, rng));
  c.put("param/b", tg::Tensor::randn({3}, rng, tg::DType::f64));
  c.put("scalar", tg::Tensor::full({}, 1.5));
  c.put("empty", tg::Tensor::zeros({0, 4}));
  return c;
}

tg::Checkpoint values_checkpoint() {
  tg::Checkpoint c;
  c.put_int("solver/iteration", 1234);
  c.put_real("solver/lr", 1e-3);
  c.put_string("meta/model", "TwoLayerNet");
  c.put_string("meta/empty", "");
  return c;
}

// Small model files of both shipped models (a fuzz input is at most 4 KB).
std::string fc_model(tg::Normalization normalization, double keep_prob, tg::DType dtype) {
  tg::FullyConnectedNetOptions o;
  o.hidden_dims = {3, 2};
  o.input_dim = 4;
  o.num_classes = 3;
  o.normalization = normalization;
  o.keep_prob = keep_prob;
  o.dtype = dtype;
  return tg::model_file_bytes(tg::FullyConnectedNet(o));
}

std::string cnn_model(bool batchnorm) {
  tg::ThreeLayerConvNetOptions o;
  o.input_dim = {1, 4, 4};
  o.num_filters = 2;
  o.filter_size = 3;
  o.hidden_dim = 3;
  o.num_classes = 2;
  o.spatial_batchnorm = batchnorm;
  tg::InputSpec input;
  input.data_set = "fashion-mnist";
  input.mean_image = tg::Tensor::full({1, 4, 4}, 100.0);
  input.scale = 1.0 / 255.0;
  return tg::model_file_bytes(tg::ThreeLayerConvNet(o), input);
}

// A PNG of `format` (PNG_FORMAT_GRAY, PNG_FORMAT_RGBA, ...) whose bytes count up.
std::string png(int width, int height, png_uint_32 format) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = format;
  std::vector<std::uint8_t> pixels(PNG_IMAGE_SIZE(image));
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 37);
  png_alloc_size_t size = 0;
  png_image_write_get_memory_size(image, size, 0, pixels.data(), 0, nullptr);
  std::string bytes(size, '\0');
  if (png_image_write_to_memory(&image, bytes.data(), &size, 0, pixels.data(), 0, nullptr) == 0) {
    throw tg::FileError(std::string("libpng cannot write the seed: ") + image.message);
  }
  bytes.resize(size);
  return bytes;
}

void write(const fs::path& folder, std::string_view target, std::string_view name,
           const std::string& bytes) {
  fs::create_directories(folder / target);
  const fs::path path = folder / target / fmt::format("seed-{}", name);
  tg::write_file_atomically(path.string(), bytes);
  fmt::print("{} ({} bytes)\n", path.string(), bytes.size());
}

void write_seeds(const fs::path& folder) {
  using namespace tg::testing;
  const Bytes images = idx_images_bytes(2, 3, 4);
  const Bytes labels = idx_labels_bytes({0, 9, 3, 3, 7});
  write(folder, "idx", "images", as_string(images));
  write(folder, "idx", "labels", as_string(labels));
  write(folder, "idx", "images.gz", gzip(idx_images_bytes(3, 8, 8)));
  write(folder, "idx", "labels.gz", gzip(labels));
  const Bytes labels_head(labels.begin(), labels.begin() + 6);
  const Bytes labels_tail(labels.begin() + 6, labels.end());
  write(folder, "idx", "labels-two-members.gz", gzip(labels_head) + gzip(labels_tail));

  write(folder, "cifar10", "one-record", as_string(cifar10_bytes({3})));
  write(folder, "cifar10", "label-9", as_string(cifar10_bytes({9})));

  write(folder, "checkpoint", "tensors", tensors_checkpoint().serialize());
  write(folder, "checkpoint", "values", values_checkpoint().serialize());
  write(folder, "checkpoint", "empty", tg::Checkpoint().serialize());

  tg::Rng rng(11);
  write(folder, "npy", "f32-2x3", tg::npy_bytes(tg::Tensor::randn({2, 3}, rng)));
  write(folder, "npy", "f64-4", tg::npy_bytes(tg::Tensor::randn({4}, rng, tg::DType::f64)));
  write(folder, "npy", "scalar", tg::npy_bytes(tg::Tensor::full({}, -2.0)));
  write(folder, "npy", "empty-0x3", tg::npy_bytes(tg::Tensor::zeros({0, 3})));
  write(folder, "npy", "version-2", npy_version_2(tg::Tensor::randn({2, 2, 1}, rng)));

  using tg::Normalization;
  write(folder, "model", "fc", fc_model(Normalization::none, 1.0, tg::DType::f32));
  write(folder, "model", "fc-batchnorm-dropout",
        fc_model(Normalization::batchnorm, 0.5, tg::DType::f32));
  write(folder, "model", "fc-layernorm-f64",
        fc_model(Normalization::layernorm, 1.0, tg::DType::f64));
  write(folder, "model", "cnn", cnn_model(false));
  write(folder, "model", "cnn-batchnorm", cnn_model(true));

  write(folder, "image", "p5.pgm",
        std::string("P5\n# comment\n3 2\n255\n") + "\x01\x02\x03\x04\x05\x06");
  write(folder, "image", "p2.pgm", "P2 2 2 15\n0 15\n5 10\n");
  write(folder, "image", "p6.ppm",
        std::string("P6 2 1 65535 ") + "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c");
  write(folder, "image", "p3.ppm", "P3 1 1 255 1 2 3\n");
  write(folder, "image", "gray.png", png(4, 3, PNG_FORMAT_GRAY));
  write(folder, "image", "rgba.png", png(3, 2, PNG_FORMAT_RGBA));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_FOLDER  (tests/fuzz/corpus)\n");
    return 2;
  }
  try {
    write_seeds(argv[1]);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "make_seeds: %s\n", error.what());
    return 1;
  }
  return 0;
}
