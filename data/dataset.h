// A labelled set of images: what the loaders return and what batches are.
#pragma once

#include <cstdint>
#include <string_view>

#include "graph/labels.h"
#include "graph/tensor.h"

namespace tg {

struct Dataset {
  Tensor images;                 // float32 (N, C, H, W)
  Labels labels;                 // N class indices in [0, num_classes)
  std::int64_t num_classes = 0;  // 10 for CIFAR-10 and (Fashion-)MNIST

  std::int64_t size() const { return static_cast<std::int64_t>(labels.size()); }
};

// A data set as distributed: its training and test parts.
struct TrainAndTest {
  Dataset train;
  Dataset test;
};

// Throws ArgumentError naming the op unless the images are float32 with shape
// (N, C, H, W), N > 0, and there is one label per image. (Label values are
// checked where they are read from a file, and by the losses.)
void check_dataset(std::string_view op, const Dataset& dataset);

// A copy of the examples begin, ..., end - 1; needs 0 <= begin < end <= size.
Dataset slice_dataset(const Dataset& dataset, std::int64_t begin, std::int64_t end);

}  // namespace tg
