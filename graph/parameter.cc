#include "graph/parameter.h"

#include <fmt/format.h>

#include <utility>

#include "graph/errors.h"

namespace tg {

Parameter::Parameter(std::string name, Tensor value) {
  if (!value.defined()) {
    throw ArgumentError(fmt::format("Parameter '{}': the value is undefined", name));
  }
  state_ = std::make_shared<State>(State{std::move(name), std::move(value), Tensor(), true});
}

Parameter::State& Parameter::state() const {
  if (!state_) throw ArgumentError("Parameter: this handle is undefined (default-constructed)");
  return *state_;
}

const std::string& Parameter::name() const { return state().name; }

void Parameter::set_name(std::string name) const { state().name = std::move(name); }

Tensor& Parameter::value() const { return state().value; }

Tensor& Parameter::grad() const {
  State& s = state();
  if (s.grad_is_zero) {
    if (s.grad.defined() && s.grad.unique_storage() && s.grad.shape() == s.value.shape() &&
        s.grad.dtype() == s.value.dtype()) {
      s.grad.fill_(0.0);
    } else {
      s.grad = Tensor::zeros(s.value.shape(), s.value.dtype());
    }
    s.grad_is_zero = false;
  }
  return s.grad;
}

void Parameter::zero_grad() const { state().grad_is_zero = true; }

void Parameter::accumulate_grad(const Tensor& g) const {
  State& s = state();
  if (g.shape() != s.value.shape() || g.dtype() != s.value.dtype()) {
    throw ArgumentError(fmt::format("Parameter '{}': gradient {} {} does not match the value {} {}",
                                    s.name, name_of(g.dtype()), g.shape().str(),
                                    name_of(s.value.dtype()), s.value.shape().str()));
  }
  if (s.grad_is_zero) {
    s.grad = Tensor();
    s.grad_is_zero = false;
  }
  accumulate_into(s.grad, g);
}

}  // namespace tg
