#include "optim/optimizer.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "graph/errors.h"
#include "graph/float_env.h"

namespace tg {

Optimizer::Optimizer(std::string rule, double learning_rate)
    : rule_(std::move(rule)), learning_rate_(0) {
  set_learning_rate(learning_rate);
}

void Optimizer::set_learning_rate(double learning_rate) {
  if (!(learning_rate > 0) || !std::isfinite(learning_rate)) {
    throw ArgumentError(fmt::format("{}: learning_rate must be a finite number > 0, got {}", rule(),
                                    learning_rate));
  }
  learning_rate_ = learning_rate;
}

void Optimizer::step(const std::vector<Parameter>& parameters) {
  enter_compute();  // no arithmetic on subnormal moments (graph/float_env.h)
  std::set<std::string> seen;
  for (const Parameter& p : parameters) {
    if (!seen.insert(p.name()).second) {
      throw ArgumentError(
          fmt::format("{}: two parameters are named '{}'; names must be unique", rule(), p.name()));
    }
    update(p);
    // The rules write through data<T>(): a tape still holding this value
    // for backward must see that it changed (graph/tensor.h, versions).
    p.value().mark_modified();
  }
}

Tensor& Optimizer::find_or_create(const std::string& key, const Shape& shape, DType dtype) {
  auto it = slots_.find(key);
  if (it == slots_.end()) {
    it = slots_.emplace(key, Tensor::zeros(shape, dtype)).first;
  } else if (it->second.shape() != shape || it->second.dtype() != dtype) {
    throw ArgumentError(fmt::format("{}: state '{}' is {} {} but should be {} {}", rule(), key,
                                    name_of(it->second.dtype()), it->second.shape().str(),
                                    name_of(dtype), shape.str()));
  }
  return it->second;
}

Tensor& Optimizer::slot(const Parameter& p, const std::string& slot) {
  return find_or_create(p.name() + "/" + slot, p.value().shape(), p.value().dtype());
}

double& Optimizer::counter(const Parameter& p, const std::string& slot) {
  return *find_or_create(p.name() + "/" + slot, Shape{}, DType::f64).data<double>();
}

OptimizerState Optimizer::state() const {
  OptimizerState s{std::string(rule()), {}};
  for (const auto& [key, tensor] : slots_) s.slots.emplace(key, tensor.clone());
  return s;
}

void Optimizer::load_state(const OptimizerState& state) {
  if (state.rule != rule()) {
    throw ArgumentError(
        fmt::format("{}: cannot load the state of a '{}' optimizer", rule(), state.rule));
  }
  slots_.clear();
  for (const auto& [key, tensor] : state.slots) slots_.emplace(key, tensor.clone());
}

}  // namespace tg
