#include "models/module.h"

#include <cmath>

#include "graph/checks.h"
#include "models/model_file.h"
#include "ops/losses/l2_penalty.h"
#include "ops/losses/softmax_loss.h"
#include "ops/math/add.h"

namespace tg {

double Module::loss(const Tensor& x, const Labels& y) {
  Tape::Options options;
  options.detect_anomaly = detect_anomaly_;
  options.on_parameter_grad = on_parameter_grad_;
  Tape tape(options);
  // As the seed's models do (X.astype(self.dtype)), compute in the model's dtype.
  const Tensor input = x.dtype() == dtype_ ? x : x.to(dtype_);
  Var scores = forward(tape.constant(input));
  Var total = data_loss(scores, input, y);
  if (reg_ > 0) {
    for (const Parameter& w : regularized_) total = total + l2_penalty(tape.param(w), reg_);
  }
  tape.backward(total);
  return total.value().item();
}

Tensor Module::scores(const Tensor& x) {
  // Test mode for this call only, restored however forward() ends.
  struct RestoreMode {
    Mode& mode;
    Mode saved;
    ~RestoreMode() { mode = saved; }
  } restore{mode_, mode_};
  mode_ = Mode::test;
  Tape::Options options = Tape::inference();
  options.detect_anomaly = detect_anomaly_;
  Tape tape(options);
  return forward(tape.constant(x.dtype() == dtype_ ? x : x.to(dtype_))).value();
}

Var Module::data_loss(const Var& scores, const Tensor&, const Labels& y) {
  return softmax_loss(scores, y);
}

Module::Predictions Module::count_correct(const Tensor& scores, const Tensor&,
                                          const Labels& y) const {
  check_rank(name(), "scores (N, classes)", scores, 2);
  check_labels(name(), y, scores.dim(0), scores.dim(1));
  Predictions predictions;
  predictions.total = scores.dim(0);
  dispatch(scores.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* s = scores.data<T>();
    const std::int64_t classes = scores.dim(1);
    for (std::int64_t i = 0; i < scores.dim(0); ++i) {
      std::int64_t best = 0;  // the first of equal highest scores
      for (std::int64_t j = 1; j < classes; ++j) {
        if (s[i * classes + j] > s[i * classes + best]) best = j;
      }
      predictions.correct += best == y[i];
    }
  });
  return predictions;
}

void Module::save(const std::string& path, const InputSpec& input) const {
  save_model(*this, path, input);
}

InputSpec Module::load(const std::string& path) { return load_model_into(*this, path); }

Parameter Module::parameter(const std::string& name) const {
  for (const Parameter& p : parameters_) {
    if (p.name() == name) return p;
  }
  fail(this->name(), "no parameter named '{}'", name);
}

void Module::zero_grad() {
  for (const Parameter& p : parameters_) p.zero_grad();
}

void Module::set_reg(double reg) {
  if (!(reg >= 0) || !std::isfinite(reg)) {
    fail(name(), "reg must be a finite number >= 0, got {}", reg);
  }
  reg_ = reg;
}

Parameter Module::add_parameter(const std::string& name, Tensor value, bool regularized) {
  for (const Parameter& p : parameters_) {
    if (p.name() == name) fail("Module", "parameter '{}' added twice", name);
  }
  Parameter p(name, std::move(value));
  parameters_.push_back(p);
  if (regularized) regularized_.push_back(p);
  return p;
}

void Module::add_buffer(const std::string& name, Tensor& tensor) {
  for (const NamedTensor& b : buffers_) {
    if (b.name == name) fail("Module", "buffer '{}' added twice", name);
  }
  buffers_.push_back({name, &tensor});
}

}  // namespace tg
