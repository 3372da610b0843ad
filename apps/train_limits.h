// What tools/train checks once it knows the data's size, before it
// allocates anything big or creates a run folder: the splits fit in the
// data set, the run has at most kMaxIterations iterations, and the model
// and a batch fit in this machine's memory. Each refusal is an
// ArgumentError naming the flag to change.
#pragma once

#include <cstdint>
#include <string>

#include "apps/train_flags.h"
#include "graph/shape.h"

namespace tg {

// --num-train, --num-val and --num-test against the data set's
// `train_images` and `test_images` (named `data_title` in messages, the
// examples called `items`: "images", "words").
void check_splits(const TrainFlags& flags, std::int64_t train_images, std::int64_t test_images,
                  const std::string& data_title, const std::string& items = "images");

// The training images the run uses (--num-train, or all but the validation ones).
std::int64_t training_images(const TrainFlags& flags, std::int64_t train_images);

// --epochs x the iterations of an epoch, at most kMaxIterations, and more
// than --warmup-steps.
void check_iterations(const TrainFlags& flags, std::int64_t iterations_per_epoch);

// The character embedding size of tools/train --model charlm.
inline constexpr std::int64_t kCharEmbedding = 64;

// A rough upper estimate of the memory the run needs, in bytes. `image` is
// the training data's shape: images (N, C, H, W), for charlm rows (N, L) of
// num_classes symbols.
struct MemoryEstimate {
  double model;  // parameters, gradients, optimizer state, best copy, checkpoint
  double batch;  // activations and their gradients for one batch
};
MemoryEstimate estimate_memory(const TrainFlags& flags, const Shape& image,
                               std::int64_t num_classes);

// The estimate against `limit` bytes (this machine's memory: see
// physical_memory_bytes), naming the flag that makes it big.
void check_memory(const TrainFlags& flags, const MemoryEstimate& estimate, double limit);
double physical_memory_bytes();

}  // namespace tg
