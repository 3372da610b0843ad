#include "data/dataset.h"

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

}  // namespace tg
