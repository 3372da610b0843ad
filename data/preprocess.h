// Train / validation / test splits with mean-image subtraction, after the
// seed's get_CIFAR10_data(num_training=49000, num_validation=1000,
// num_test=1000, subtract_mean=True).
#pragma once

#include <cstdint>

#include "data/dataset.h"
#include "graph/tensor.h"

namespace tg {

struct PreprocessOptions {
  std::int64_t num_training = 49000;   // the first examples of the training set
  std::int64_t num_validation = 1000;  // the training examples right after those
  std::int64_t num_test = 1000;        // the first examples of the test set
  // Subtract the training split's mean image from all three splits.
  bool subtract_mean = true;
  // Then multiply every pixel by this (1.0 / 255 brings raw pixels to [0, 1]).
  double scale = 1.0;
};

struct DataSplits {
  Dataset train;
  Dataset val;
  Dataset test;
  // (C, H, W): what was subtracted from every image (zeros without
  // subtract_mean), so new images can be treated the same way.
  Tensor mean_image;
};

// Copies the splits out of the data and normalises them:
// pixel = (pixel - mean_image) * scale. Throws ArgumentError naming the option
// when a count is not positive or asks for more examples than there are, or
// when scale is zero or not finite.
DataSplits preprocess(const TrainAndTest& data, const PreprocessOptions& options = {});

// New images (N, C, H, W) prepared the way preprocess() prepared the splits,
// with its mean image and scale: (pixel - mean_image) * scale in float32
// (nothing subtracted when mean_image is undefined). Throws ArgumentError
// ("normalize_images: ...") unless the images are float32 and the mean image
// has the shape (C, H, W) of one of them.
Tensor normalize_images(const Tensor& images, const Tensor& mean_image, double scale);

}  // namespace tg
