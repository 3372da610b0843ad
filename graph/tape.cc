#include "graph/tape.h"

#include <fmt/format.h>

#include "graph/errors.h"

namespace tg {

// ---- Var ----

Var::Var(const Parameter& p) : param_(p) {
  if (!p.defined()) throw ArgumentError("Var: the parameter handle is undefined");
}

Tape& Var::tape() const {
  if (tape_ == nullptr) {
    throw TapeError("Var: this value is not on a tape (a parameter not yet used by an op)");
  }
  return *tape_;
}

const Tensor& Var::value() const {
  if (tape_ != nullptr) return tape_->value(*this);
  if (param_.defined()) return param_.value();
  throw TapeError("Var: undefined (default-constructed)");
}

bool Var::requires_grad() const {
  if (tape_ != nullptr) return tape_->requires_grad(*this);
  return param_.defined();
}

const Tensor& Var::grad() const { return tape().grad(*this); }

// ---- Tape ----

Tape::Tape() : Tape(Options{}) {}

Tape::Tape(Options options) : options_(options) {}

Tape::~Tape() = default;

Tape::Node& Tape::append(std::string_view op, Tensor value) {
  if (size_ == chunks_.size() * kChunk) chunks_.push_back(std::make_unique<Node[]>(kChunk));
  Node& n = node(static_cast<std::int32_t>(size_));
  ++size_;
  n.value = std::move(value);
  n.op = op;
  return n;
}

Var Tape::constant(Tensor value) {
  if (!value.defined()) throw ArgumentError("Tape::constant: the tensor is undefined");
  append("constant", std::move(value));
  return Var(this, static_cast<std::int32_t>(size_ - 1));
}

Var Tape::variable(Tensor value) {
  if (!value.defined()) throw ArgumentError("Tape::variable: the tensor is undefined");
  Node& n = append("variable", std::move(value));
  n.requires_grad = options_.record_gradients;
  n.keeps_grad = true;
  return Var(this, static_cast<std::int32_t>(size_ - 1));
}

Var Tape::param(const Parameter& p) {
  if (!p.defined()) throw ArgumentError("Tape::param: the parameter handle is undefined");
  for (const auto& [key, id] : param_nodes_) {
    if (key == p.key()) return Var(this, id);
  }
  Node& n = append("parameter", p.value());
  n.param = p;
  n.requires_grad = options_.record_gradients;
  n.keeps_grad = true;
  const auto id = static_cast<std::int32_t>(size_ - 1);
  param_nodes_.emplace_back(p.key(), id);
  return Var(this, id);
}

Var Tape::record(std::string_view op, Tensor value, const std::array<Var, kMaxInputs>& inputs,
                 int num_inputs, BackwardFn backward) {
  if (options_.detect_anomaly) {
    const std::int64_t bad = first_non_finite(value);
    if (bad >= 0) {
      throw NumericError(fmt::format(
          "detect_anomaly: op '{}' (node {}) produced a non-finite value at element {} of its "
          "output {}",
          op, size_, bad, value.shape().str()));
    }
  }
  Node& n = append(op, std::move(value));
  n.num_inputs = static_cast<std::int8_t>(num_inputs);
  bool any_input_requires_grad = false;
  for (int i = 0; i < num_inputs; ++i) {
    n.inputs[i] = check_own(op, inputs[i]);
    any_input_requires_grad = any_input_requires_grad || node(n.inputs[i]).requires_grad;
  }
  if (options_.record_gradients && any_input_requires_grad && backward) {
    n.requires_grad = true;
    n.backward = std::move(backward);
  }
  return Var(this, static_cast<std::int32_t>(size_ - 1));
}

std::int32_t Tape::check_own(std::string_view what, const Var& v) const {
  if (v.tape_ != this) {
    throw TapeError(fmt::format("{}: the value belongs to {} tape", what,
                                v.tape_ == nullptr ? "no" : "another"));
  }
  return v.id_;
}

const Tensor& Tape::value(const Var& v) const { return node(check_own("Tape::value", v)).value; }

bool Tape::requires_grad(const Var& v) const {
  return node(check_own("Tape::requires_grad", v)).requires_grad;
}

const Tensor& Tape::grad(const Var& v) const {
  const Node& n = node(check_own("Tape::grad", v));
  if (!n.keeps_grad) {
    throw TapeError(fmt::format(
        "Tape::grad: node {} ('{}') is an intermediate value; only variables and parameters "
        "keep their gradient",
        v.id_, n.op));
  }
  if (!n.grad.defined()) {
    throw TapeError(fmt::format(
        "Tape::grad: node {} ('{}') has no gradient: backward has not run, or the loss does "
        "not depend on it",
        v.id_, n.op));
  }
  return n.grad;
}

bool Tape::has_grad(const Var& v) const {
  const Node& n = node(check_own("Tape::has_grad", v));
  return n.keeps_grad && n.grad.defined();
}

void Tape::backward(const Var& loss) {
  const Tensor& value = this->value(loss);
  if (value.numel() != 1) {
    throw TapeError(fmt::format(
        "backward: the loss must be a scalar (one element), got shape {}; pass the upstream "
        "gradient explicitly with backward(output, upstream)",
        value.shape().str()));
  }
  backward(loss, Tensor::ones(value.shape(), value.dtype()));
}

void Tape::backward(const Var& output, const Tensor& upstream) {
  const std::int32_t start = check_own("backward", output);
  if (backward_done_) {
    throw TapeError(
        "backward: this tape has already run backward (its closures are freed); record a new "
        "tape for another pass");
  }
  Node& out = node(start);
  if (!upstream.defined() || upstream.shape() != out.value.shape() ||
      upstream.dtype() != out.value.dtype()) {
    throw TapeError(fmt::format("backward: the upstream gradient must be {} {}, got {} {}",
                                name_of(out.value.dtype()), out.value.shape().str(),
                                upstream.defined() ? name_of(upstream.dtype()) : "undefined",
                                upstream.shape().str()));
  }
  if (!out.requires_grad) {
    throw TapeError(fmt::format(
        "backward: the output ('{}', node {}) does not depend on any variable or parameter", out.op,
        start));
  }
  backward_done_ = true;
  out.grad = upstream;
  for (std::int32_t id = start; id >= 0; --id) {
    Node& n = node(id);
    if (!n.grad.defined()) continue;
    if (n.backward) {
      InputGrads grads(*this, n);
      n.backward(n.grad, grads);
      n.backward = nullptr;  // frees the cache
    }
    if (n.param.defined()) n.param.accumulate_grad(n.grad);
    if (!n.keeps_grad) n.grad = Tensor();
  }
}

// ---- InputGrads ----

bool InputGrads::wants(int input) const {
  return input < node_.num_inputs && tape_.node(node_.inputs[input]).requires_grad;
}

void InputGrads::add(int input, Tensor grad) {
  if (input < 0 || input >= node_.num_inputs) {
    throw TapeError(fmt::format("backward of '{}': input {} does not exist ({} inputs)", node_.op,
                                input, node_.num_inputs));
  }
  Tape::Node& target = tape_.node(node_.inputs[input]);
  if (!target.requires_grad || !grad.defined()) return;
  if (grad.shape() != target.value.shape() || grad.dtype() != target.value.dtype()) {
    throw TapeError(
        fmt::format("backward of '{}': the gradient of input {} is {} {} but the input is {} {}",
                    node_.op, input, name_of(grad.dtype()), grad.shape().str(),
                    name_of(target.value.dtype()), target.value.shape().str()));
  }
  if (tape_.options_.detect_anomaly) {
    const std::int64_t bad = first_non_finite(grad);
    if (bad >= 0) {
      throw NumericError(fmt::format(
          "detect_anomaly: the backward of op '{}' produced a non-finite gradient for input {} "
          "at element {}",
          node_.op, input, bad));
    }
  }
  accumulate_into(target.grad, std::move(grad));
}

}  // namespace tg
