#include "apps/prediction.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <numeric>

#include "data/preprocess.h"
#include "graph/checks.h"

namespace tg {

Predictions predict(Module& model, const InputSpec& input, const Tensor& images,
                    std::int64_t batch_size,
                    const std::function<void(std::int64_t done)>& on_batch) {
  if (batch_size < 1) fail("predict", "batch_size must be positive, got {}", batch_size);
  check_rank("predict", "images", images, 4);
  const std::int64_t n = images.dim(0);
  Predictions out;
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    const std::int64_t end = std::min(n, begin + batch_size);
    std::vector<std::int64_t> rows(static_cast<std::size_t>(end - begin));
    std::iota(rows.begin(), rows.end(), begin);
    const Tensor batch = normalize_images(take_rows(images, rows), input.mean_image, input.scale);
    const Tensor scores = model.scores(batch);
    if (!out.scores.defined()) out.scores = Tensor::empty({n, scores.dim(1)}, scores.dtype());
    const std::size_t row_bytes = scores.bytes() / rows.size();
    std::memcpy(static_cast<char*>(out.scores.raw_data()) + begin * row_bytes, scores.raw_data(),
                scores.bytes());
    if (on_batch) on_batch(end);
  }
  dispatch(out.scores.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const std::int64_t classes = out.scores.dim(1);
    for (std::int64_t i = 0; i < n; ++i) {
      const T* row = out.scores.data<T>() + i * classes;
      out.classes.push_back(std::max_element(row, row + classes) - row);
    }
  });
  return out;
}

std::vector<double> probabilities(const Tensor& scores, std::int64_t row) {
  const std::int64_t classes = scores.dim(1);
  std::vector<double> p(static_cast<std::size_t>(classes));
  dispatch(scores.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* s = scores.data<T>() + row * classes;
    const double top = *std::max_element(s, s + classes);
    double sum = 0;
    for (std::int64_t j = 0; j < classes; ++j) sum += p[j] = std::exp(s[j] - top);
    for (double& value : p) value /= sum;
  });
  return p;
}

std::string predictions_csv(const Predictions& predictions, const Labels& labels) {
  const std::int64_t classes = predictions.scores.dim(1);
  std::string out = "index,label,predicted";
  for (std::int64_t j = 0; j < classes; ++j) out += fmt::format(",p_{}", j);
  out += '\n';
  for (std::size_t i = 0; i < predictions.classes.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "{},{},{}", i, labels.at(i), predictions.classes[i]);
    for (double p : probabilities(predictions.scores, static_cast<std::int64_t>(i))) {
      fmt::format_to(std::back_inserter(out), ",{:.6g}", p);
    }
    out += '\n';
  }
  return out;
}

std::optional<Shape> image_shape(const LoadedModel& loaded) {
  if (loaded.input.mean_image.defined()) return loaded.input.mean_image.shape();
  const ModelConfig config = loaded.model->config();
  const auto it = config.values().find("input_dim");
  if (it != config.values().end()) {
    if (const auto* dims = std::get_if<std::vector<std::int64_t>>(&it->second)) {
      if (dims->size() == 3) return Shape(*dims);
    }
  }
  return std::nullopt;
}

}  // namespace tg
