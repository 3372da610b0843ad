#include "data/dataset.h"

#include <algorithm>
#include <cstring>

#include "graph/checks.h"

namespace tg {

void check_dataset(std::string_view op, const Dataset& dataset) {
  check_rank(op, "images", dataset.images, 4);
  if (dataset.images.dtype() != DType::f32) {
    fail(op, "images must be float32, got {}", name_of(dataset.images.dtype()));
  }
  if (dataset.images.dim(0) != dataset.size()) {
    fail(op, "the dataset has {} images {} but {} labels", dataset.images.dim(0),
         shape_str(dataset.images), dataset.size());
  }
}

Dataset slice_dataset(const Dataset& dataset, std::int64_t begin, std::int64_t end) {
  constexpr const char* kOp = "slice_dataset";
  check_dataset(kOp, dataset);
  if (begin < 0 || begin >= end || end > dataset.size()) {
    fail(kOp, "begin {} and end {} must satisfy 0 <= begin < end <= {} (the dataset size)", begin,
         end, dataset.size());
  }
  const Shape& shape = dataset.images.shape();
  Dataset part{Tensor::empty({end - begin, shape[1], shape[2], shape[3]}),
               Labels(dataset.labels.begin() + begin, dataset.labels.begin() + end),
               dataset.num_classes};
  const std::size_t row_bytes = static_cast<std::size_t>(shape.numel_after_first()) * sizeof(float);
  std::memcpy(part.images.raw_data(),
              static_cast<const std::uint8_t*>(dataset.images.raw_data()) + begin * row_bytes,
              part.images.bytes());
  return part;
}

}  // namespace tg
