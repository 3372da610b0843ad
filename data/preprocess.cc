#include "data/preprocess.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "graph/checks.h"
#include "graph/parallel.h"

namespace tg {
namespace {

constexpr const char* kOp = "preprocess";
constexpr std::int64_t kGrain = 1 << 16;  // elements worth starting threads for

void check_options(const TrainAndTest& data, const PreprocessOptions& options) {
  check_dataset("preprocess (train)", data.train);
  check_dataset("preprocess (test)", data.test);
  const Shape& train_shape = data.train.images.shape();
  const Shape& test_shape = data.test.images.shape();
  // Both have rank 4 (check_dataset): compare (C, H, W).
  if (!std::equal(train_shape.begin() + 1, train_shape.end(), test_shape.begin() + 1)) {
    fail(kOp, "training images {} and test images {} differ in shape", train_shape.str(),
         test_shape.str());
  }
  for (const auto& [name, count] : {std::pair{"num_training", options.num_training},
                                    std::pair{"num_validation", options.num_validation},
                                    std::pair{"num_test", options.num_test}}) {
    if (count <= 0) fail(kOp, "{} must be positive, got {}", name, count);
  }
  // Both counts are positive: neither this test nor the unsigned sum can overflow.
  if (options.num_validation > data.train.size() - options.num_training) {
    fail(kOp, "num_training + num_validation is {} + {} = {}, more than the {} training examples",
         options.num_training, options.num_validation,
         static_cast<std::uint64_t>(options.num_training) +
             static_cast<std::uint64_t>(options.num_validation),
         data.train.size());
  }
  if (options.num_test > data.test.size()) {
    fail(kOp, "num_test is {}, more than the {} test examples", options.num_test, data.test.size());
  }
  const float scale = static_cast<float>(options.scale);  // what normalize() multiplies by
  if (!std::isfinite(scale) || scale == 0.0f) {
    fail(kOp, "scale must be finite and non-zero as a float32, got {}", options.scale);
  }
}

// The per-pixel mean over all examples, summed in double.
Tensor mean_image_of(const Dataset& dataset) {
  const Shape& shape = dataset.images.shape();
  const std::int64_t n = dataset.size();
  const std::int64_t pixels = shape.numel_after_first();
  const float* images = dataset.images.data<float>();
  std::vector<double> sums(static_cast<std::size_t>(pixels), 0.0);
  // Each thread sums its own range of pixels over all examples.
  parallel_for(pixels, std::max<std::int64_t>(1, kGrain / n),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t i = 0; i < n; ++i) {
                   const float* row = images + i * pixels;
                   for (std::int64_t p = begin; p < end; ++p) sums[p] += row[p];
                 }
               });
  Tensor mean = Tensor::empty({shape[1], shape[2], shape[3]});
  float* m = mean.data<float>();
  for (std::int64_t p = 0; p < pixels; ++p) m[p] = static_cast<float>(sums[p] / n);
  return mean;
}

// images = (images - mean_image) * scale, in place, image by image.
void normalize(Tensor& images_tensor, const Tensor& mean_image, float scale) {
  const std::int64_t pixels = mean_image.numel();
  const float* mean = mean_image.data<float>();
  float* images = images_tensor.data<float>();
  parallel_for(images_tensor.dim(0), std::max<std::int64_t>(1, kGrain / pixels),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t i = begin; i < end; ++i) {
                   float* row = images + i * pixels;
                   for (std::int64_t p = 0; p < pixels; ++p) row[p] = (row[p] - mean[p]) * scale;
                 }
               });
}

}  // namespace

DataSplits preprocess(const TrainAndTest& data, const PreprocessOptions& options) {
  check_options(data, options);
  const std::int64_t training_end = options.num_training;
  DataSplits splits{slice_dataset(data.train, 0, training_end),
                    slice_dataset(data.train, training_end, training_end + options.num_validation),
                    slice_dataset(data.test, 0, options.num_test), Tensor()};
  const Shape& shape = data.train.images.shape();
  splits.mean_image = options.subtract_mean ? mean_image_of(splits.train)
                                            : Tensor::zeros({shape[1], shape[2], shape[3]});
  const float scale = static_cast<float>(options.scale);
  for (Dataset* split : {&splits.train, &splits.val, &splits.test}) {
    normalize(split->images, splits.mean_image, scale);
  }
  return splits;
}

Tensor normalize_images(const Tensor& images, const Tensor& mean_image, double scale) {
  constexpr const char* kOp = "normalize_images";
  check_rank(kOp, "images", images, 4);
  if (images.dtype() != DType::f32)
    fail(kOp, "images must be float32, got {}", name_of(images.dtype()));
  const Shape& shape = images.shape();
  const Tensor mean =
      mean_image.defined() ? mean_image : Tensor::zeros({shape[1], shape[2], shape[3]});
  check_shape(kOp, "mean_image", mean, Shape{shape[1], shape[2], shape[3]});
  if (mean.dtype() != DType::f32)
    fail(kOp, "mean_image must be float32, got {}", name_of(mean.dtype()));
  Tensor out = images.clone();
  normalize(out, mean, static_cast<float>(scale));
  return out;
}

}  // namespace tg
