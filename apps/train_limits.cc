#include "apps/train_limits.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "graph/errors.h"

namespace tg {
namespace {

// The Solver evaluates accuracy in batches of this many.
constexpr double kEvalBatch = 100;
constexpr double kBytesPerFloat = 4;
// Copies of every parameter: value, gradient, two optimizer moments, the
// best parameters, the checkpoint's copy and its serialised bytes, .npy.
constexpr double kParameterCopies = 8;
// Floats kept per activation element in a training step: the output, its
// gradient, and the caches and temporaries of the ops around it.
constexpr double kActivationCopies = 6;

std::string gibibytes(double bytes) { return fmt::format("{:.1f} GiB", bytes / (1 << 30)); }

}  // namespace

void check_splits(const TrainFlags& flags, std::int64_t train_images, std::int64_t test_images,
                  const std::string& data_title, const std::string& items) {
  if (flags.num_val >= train_images) {
    throw ArgumentError(fmt::format(
        "--num-val {} leaves no training {}: {} has {}, and the validation {} are taken from "
        "them",
        flags.num_val, items, data_title, train_images, items));
  }
  if (flags.num_train > train_images - flags.num_val) {
    throw ArgumentError(fmt::format(
        "--num-train {} with --num-val {} needs {} {}, but {} has {} training {}", flags.num_train,
        flags.num_val,
        static_cast<std::uint64_t>(flags.num_train) + static_cast<std::uint64_t>(flags.num_val),
        items, data_title, train_images, items));
  }
  if (flags.num_test > test_images) {
    throw ArgumentError(fmt::format("--num-test {} is more than the {} test images of {}",
                                    flags.num_test, test_images, data_title));
  }
}

std::int64_t training_images(const TrainFlags& flags, std::int64_t train_images) {
  return flags.num_train > 0 ? flags.num_train : train_images - flags.num_val;
}

void check_iterations(const TrainFlags& flags, std::int64_t iterations_per_epoch) {
  if (flags.epochs > kMaxIterations / iterations_per_epoch) {
    throw ArgumentError(fmt::format(
        "--epochs {} of {} iterations each is more than {} iterations, the most a run may have; "
        "give at most --epochs {}",
        flags.epochs, iterations_per_epoch, kMaxIterations, kMaxIterations / iterations_per_epoch));
  }
  if (flags.warmup_steps > 0 && flags.warmup_steps >= flags.epochs * iterations_per_epoch) {
    throw ArgumentError(fmt::format(
        "--warmup-steps {} must be fewer than the run's {} iterations (--epochs {} of {} each)",
        flags.warmup_steps, flags.epochs * iterations_per_epoch, flags.epochs,
        iterations_per_epoch));
  }
}

namespace {

// The recurrent models: lstm reads images (N, C, H, W) as H steps of C * W
// features; charlm reads rows (N, L) of symbols, num_classes of them.
MemoryEstimate estimate_recurrent_memory(const TrainFlags& flags, const Shape& input,
                                         std::int64_t num_classes) {
  const double hidden = static_cast<double>(flags.hidden),
               classes = static_cast<double>(num_classes);
  const bool charlm = flags.model == "charlm";
  const double steps = static_cast<double>(input[charlm ? 1 : 2]);
  const double features = charlm ? kCharEmbedding : static_cast<double>(input[1] * input[3]);
  double parameters = 4 * hidden * (features + hidden + 1) + hidden * classes + classes;
  // Per step: the input, the gates (4H) and their activations, c and h, and
  // for charlm the scores of every step.
  double activations_per_example = steps * (features + 12 * hidden + (charlm ? 3 * classes : 0));
  if (charlm) parameters += classes * features;
  const double batch = std::max(static_cast<double>(flags.batch_size), kEvalBatch);
  return {parameters * kParameterCopies * kBytesPerFloat,
          batch * activations_per_example * kActivationCopies * kBytesPerFloat};
}

}  // namespace

MemoryEstimate estimate_memory(const TrainFlags& flags, const Shape& image,
                               std::int64_t num_classes) {
  if (flags.model == "lstm" || flags.model == "charlm") {
    return estimate_recurrent_memory(flags, image, num_classes);
  }
  const double c = static_cast<double>(image[1]), h = static_cast<double>(image[2]),
               w = static_cast<double>(image[3]), classes = static_cast<double>(num_classes);
  double parameters = 0, activations_per_image = c * h * w;
  if (flags.model == "cnn") {
    const double f = static_cast<double>(flags.filters), k = static_cast<double>(flags.filter_size),
                 hidden = static_cast<double>(flags.hidden);
    const double pooled = f * (h / 2) * (w / 2);
    parameters = f * c * k * k + 3 * f + pooled * hidden + hidden + hidden * classes + classes;
    activations_per_image += 3 * f * h * w + pooled + hidden + classes;
  } else {
    double width = c * h * w;
    for (std::int64_t dim : flags.hidden_dims) {
      const double d = static_cast<double>(dim);
      parameters += width * d + 3 * d;
      activations_per_image += 3 * d;
      width = d;
    }
    parameters += width * classes + classes;
    activations_per_image += classes;
  }
  const double batch = std::max(static_cast<double>(flags.batch_size), kEvalBatch);
  return {parameters * kParameterCopies * kBytesPerFloat,
          batch * activations_per_image * kActivationCopies * kBytesPerFloat};
}

void check_memory(const TrainFlags& flags, const MemoryEstimate& estimate, double limit) {
  if (estimate.model + estimate.batch <= limit) return;
  const bool batch_is_big = estimate.batch > estimate.model;
  const std::string flag = batch_is_big           ? "--batch-size"
                           : flags.model == "cnn" ? "--hidden or --filters"
                           : flags.model == "fc"  ? "--hidden-dims"
                                                  : "--hidden";
  throw ArgumentError(fmt::format(
      "this run needs about {} of memory ({} for the model and its optimizer state, {} for a "
      "batch of {}), more than this machine's {}: give a smaller {}",
      gibibytes(estimate.model + estimate.batch), gibibytes(estimate.model),
      gibibytes(estimate.batch), flags.batch_size, gibibytes(limit), flag));
}

double physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 1e300;  // unknown: no limit
  return static_cast<double>(pages) * static_cast<double>(page_size);
}

}  // namespace tg
