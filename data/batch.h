// Minibatches: copies of some of a dataset's examples, images and labels
// together. Bad arguments throw ArgumentError naming the function.
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "graph/rng.h"

namespace tg {

// The examples begin, ..., end - 1; needs 0 <= begin < end <= size.
Dataset slice(const Dataset& dataset, std::int64_t begin, std::int64_t end);

// The examples at these indices, in this order (repeats allowed).
Dataset gather(const Dataset& dataset, const std::vector<std::int64_t>& indices);

// batch_size examples drawn uniformly with replacement, like the seed's
// np.random.choice(N, batch_size) (rng.choice), so a seed fixes the batch.
Dataset sample_batch(const Dataset& dataset, std::int64_t batch_size, Rng& rng);

}  // namespace tg
