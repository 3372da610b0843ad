// Parameter: a named trainable tensor and its gradient. It outlives tapes:
// each tape that uses it adds its gradient into grad(); optimizers read grad()
// and update value() in place. A Parameter is a handle: copies share the same
// value and gradient.
#pragma once

#include <memory>
#include <string>

#include "graph/tensor.h"

namespace tg {

class Parameter {
 public:
  Parameter() = default;  // undefined
  Parameter(std::string name, Tensor value);

  bool defined() const { return state_ != nullptr; }
  const std::string& name() const;
  // Renames every copy of the handle: a module tree prefixes the names of
  // its children's parameters ("conv1." + "weight") as they are registered.
  void set_name(std::string name) const;
  Tensor& value() const;
  Tensor& grad() const;  // same shape and dtype as value(), zero at first
  // Makes the gradient zero. Cheap: nothing is written until the gradient is
  // read or accumulated (like PyTorch's zero_grad(set_to_none=True), but
  // grad() still reads as zeros).
  void zero_grad() const;
  // grad += g (what Tape::backward does for every parameter it reached).
  // Onto a zero gradient, g is shared rather than copied; a gradient that
  // shares its storage is never added to in place.
  void accumulate_grad(const Tensor& g) const;

  // Identifies the parameter (not its value): equal for all copies of a handle.
  const void* key() const { return state_.get(); }

 private:
  struct State {
    std::string name;
    Tensor value;
    Tensor grad;  // meaningless while grad_is_zero
    bool grad_is_zero = true;
  };
  State& state() const;

  std::shared_ptr<State> state_;
};

}  // namespace tg
