// A loaded model run over images, as tools/predict does: in batches, each
// prepared as the training images were (normalize_images with the model's
// InputSpec) and evaluated on an inference tape (Module::scores: test mode,
// no backward closures).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "graph/labels.h"
#include "graph/tensor.h"
#include "models/model_file.h"

namespace tg {

struct Predictions {
  Tensor scores;                      // (N, classes) in the model's dtype
  std::vector<std::int64_t> classes;  // the highest score of each row (the first, on ties)
};

// `images`: float32 (N, C, H, W) pixel values 0..255. on_batch(done) is
// called after each batch with the number of images done so far.
Predictions predict(Module& model, const InputSpec& input, const Tensor& images,
                    std::int64_t batch_size,
                    const std::function<void(std::int64_t done)>& on_batch = {});

// The softmax of one row of scores, computed in double.
std::vector<double> probabilities(const Tensor& scores, std::int64_t row);

// predictions.csv: "index,label,predicted,p_0,...,p_<classes-1>", one line
// per image with the probability of each class.
std::string predictions_csv(const Predictions& predictions, const Labels& labels);

// The (C, H, W) of the images the model takes: its mean image's shape, or
// its configuration's "input_dim" when that is (C, H, W); nothing if neither.
std::optional<Shape> image_shape(const LoadedModel& loaded);

}  // namespace tg
