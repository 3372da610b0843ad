#include "data/batch.h"

#include <algorithm>
#include <cstring>

#include "graph/checks.h"

namespace tg {
namespace {

// A dataset with room for `count` examples shaped like those of `like`.
Dataset allocate_like(const Dataset& like, std::int64_t count) {
  const Shape& shape = like.images.shape();
  return {Tensor::empty({count, shape[1], shape[2], shape[3]}),
          Labels(static_cast<std::size_t>(count)), like.num_classes};
}

std::size_t bytes_per_example(const Dataset& dataset) {
  return static_cast<std::size_t>(dataset.images.shape().numel_after_first()) * sizeof(float);
}

// gather() without the argument checks.
Dataset copy_rows(const Dataset& dataset, const std::vector<std::int64_t>& indices) {
  Labels labels(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) labels[i] = dataset.labels[indices[i]];
  return {take_rows(dataset.images, indices), std::move(labels), dataset.num_classes};
}

}  // namespace

Dataset slice(const Dataset& dataset, std::int64_t begin, std::int64_t end) {
  check_dataset("slice", dataset);
  if (begin < 0 || begin >= end || end > dataset.size()) {
    fail("slice", "begin {} and end {} must satisfy 0 <= begin < end <= {} (the dataset size)",
         begin, end, dataset.size());
  }
  Dataset part = allocate_like(dataset, end - begin);
  const std::size_t row_bytes = bytes_per_example(dataset);
  std::memcpy(part.images.raw_data(),
              static_cast<const std::uint8_t*>(dataset.images.raw_data()) + begin * row_bytes,
              part.images.bytes());
  std::copy(dataset.labels.begin() + begin, dataset.labels.begin() + end, part.labels.begin());
  return part;
}

Dataset gather(const Dataset& dataset, const std::vector<std::int64_t>& indices) {
  check_dataset("gather", dataset);
  if (indices.empty()) fail("gather", "no indices given");
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] < 0 || indices[i] >= dataset.size()) {
      fail("gather", "index {} (position {}) is outside [0, {})", indices[i], i, dataset.size());
    }
  }
  return copy_rows(dataset, indices);
}

Dataset sample_batch(const Dataset& dataset, std::int64_t batch_size, Rng& rng) {
  check_dataset("sample_batch", dataset);
  if (batch_size <= 0) fail("sample_batch", "batch_size must be positive, got {}", batch_size);
  return copy_rows(dataset, rng.choice(dataset.size(), batch_size));
}

}  // namespace tg
