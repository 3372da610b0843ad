// What a model expects as input, saved with it in model files so that a new
// image is prepared the way the training images were (data/preprocess.h):
//   x = (image - mean_image) * scale, image holding pixel values 0..255.
#pragma once

#include <string>

#include "graph/tensor.h"

namespace tg {

struct InputSpec {
  // The data set the model was trained on ("fashion-mnist", "mnist",
  // "cifar10"); empty when unknown.
  std::string data_set;
  // (C, H, W), float32: the training images' mean, which also gives the
  // shape of one image. Undefined: nothing is subtracted, shape unknown.
  Tensor mean_image;
  double scale = 1.0;
};

}  // namespace tg
