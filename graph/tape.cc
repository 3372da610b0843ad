#include "graph/tape.h"

#include <fmt/format.h>

#include <algorithm>

#include "graph/errors.h"
#include "graph/float_env.h"

namespace tg {

void OutputGrads::throw_out_of_range(int i) const {
  throw TapeError(fmt::format("backward: output gradient {} does not exist (the op has {} outputs)",
                              i, count_));
}

// ---- Var ----

Var::Var(const Parameter& p) : param_(p) {
  if (!p.defined()) throw ArgumentError("Var: the parameter handle is undefined");
}

Tape& Var::live_tape(const char* accessor) const {
  if (link_ == nullptr) {
    throw TapeError(fmt::format(
        "{}: this value is not on a tape (undefined, or a parameter not yet used by an op)",
        accessor));
  }
  if (link_->tape == nullptr) {
    throw TapeError(fmt::format(
        "{}: the tape of this value was destroyed; a Var must not outlive its Tape", accessor));
  }
  return *link_->tape;
}

Tape& Var::tape() const { return live_tape("Var::tape"); }

const Tensor& Var::value() const {
  if (link_ == nullptr && param_.defined()) return param_.value();
  return live_tape("Var::value").node(id_).value;
}

const Shape& Var::shape() const {
  if (link_ == nullptr && param_.defined()) return param_.value().shape();
  return live_tape("Var::shape").node(id_).value.shape();
}

DType Var::dtype() const {
  if (link_ == nullptr && param_.defined()) return param_.value().dtype();
  return live_tape("Var::dtype").node(id_).value.dtype();
}

bool Var::requires_grad() const {
  if (link_ == nullptr && param_.defined()) return true;
  return live_tape("Var::requires_grad").node(id_).requires_grad;
}

const Tensor& Var::grad() const { return live_tape("Var::grad").grad(*this); }

// ---- Tape ----

Tape::Tape() : Tape(Options{}) {}

Tape::Tape(Options options) : options_(options), link_(new detail::TapeLink{this, 1}) {
  enter_compute();  // a forward pass starts here
}

Tape::~Tape() {
  link_->tape = nullptr;
  if (--link_->holders == 0) delete link_;
}

Tape::Node& Tape::append(OpName op, Tensor value) {
  static_assert(sizeof(Node) * kChunk < 64 * 1024,
                "a block of nodes must stay under malloc's 64 KiB consolidation threshold");
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
  return var(static_cast<std::int32_t>(size_ - 1));
}

Var Tape::variable(Tensor value) {
  if (!value.defined()) throw ArgumentError("Tape::variable: the tensor is undefined");
  Node& n = append("variable", std::move(value));
  n.requires_grad = options_.record_gradients;
  n.keeps_grad = true;
  return var(static_cast<std::int32_t>(size_ - 1));
}

Var Tape::param(const Parameter& p) { return var(param_node(p)); }

std::int32_t Tape::param_node(const Parameter& p) {
  if (!p.defined()) throw ArgumentError("Tape::param: the parameter handle is undefined");
  for (const auto& [key, id] : param_nodes_) {
    if (key == p.key()) return id;
  }
  Node& n = append("parameter", p.value());
  n.param = p;
  n.requires_grad = options_.record_gradients;
  n.keeps_grad = true;
  const auto id = static_cast<std::int32_t>(size_ - 1);
  param_nodes_.emplace_back(p.key(), id);
  return id;
}

std::int32_t Tape::record(OpName op, Tensor* outputs, std::int32_t num_outputs,
                          std::int32_t first_edge, std::int32_t num_inputs, BackwardFn backward) {
  for (std::int32_t k = 0; k < num_outputs; ++k) {
    if (!outputs[k].defined()) {
      throw TapeError(fmt::format("{}: output {} is undefined (an empty Tensor handle)", op, k));
    }
    if (options_.detect_anomaly) {
      const std::int64_t bad = first_non_finite(outputs[k]);
      if (bad >= 0) {
        throw NumericError(fmt::format(
            "detect_anomaly: op '{}' (node {}) produced a non-finite value at element {} of its "
            "output {} {}",
            op, size_ + k, bad, k, outputs[k].shape().str()));
      }
    }
  }
  if (num_outputs > 1 && backward && !backward.takes_all_outputs()) {
    throw TapeError(fmt::format(
        "{}: the op has {} outputs, so its backward closure must take (const OutputGrads& douts, "
        "InputGrads& grads)",
        op, num_outputs));
  }
  bool any_input_requires_grad = false;
  for (std::int32_t i = 0; i < num_inputs; ++i) {
    any_input_requires_grad =
        any_input_requires_grad || node(edges_[first_edge + i].node).requires_grad;
  }
  const bool requires_grad = options_.record_gradients && any_input_requires_grad && backward;
  if (requires_grad) {
    for (std::int32_t i = 0; i < num_inputs; ++i) {
      Edge& edge = edges_[first_edge + i];
      edge.version = node(edge.node).value.version();
    }
  }
  const auto first = static_cast<std::int32_t>(size_);
  for (std::int32_t k = 0; k < num_outputs; ++k) {
    Node& n = append(op, std::move(outputs[k]));
    n.version = n.value.version();
    n.first_edge = first_edge;
    n.num_inputs = num_inputs;
    n.output = k;
    n.num_outputs = num_outputs;
    n.requires_grad = requires_grad;
    if (requires_grad && k == num_outputs - 1) n.backward = std::move(backward);
  }
  return first;
}

std::int32_t Tape::check_own(std::string_view what, const Var& v) const {
  if (v.link_ != link_) {
    throw TapeError(fmt::format("{}: the value belongs to {}", what,
                                v.link_ == nullptr         ? "no tape"
                                : v.link_->tape == nullptr ? "a tape that was destroyed"
                                                           : "another tape"));
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

void Tape::check_upstream(std::int32_t id, const Tensor& upstream) const {
  const Node& out = node(id);
  if (!upstream.defined() || upstream.shape() != out.value.shape() ||
      upstream.dtype() != out.value.dtype()) {
    throw TapeError(fmt::format("backward: the upstream gradient must be {} {}, got {} {}",
                                name_of(out.value.dtype()), out.value.shape().str(),
                                upstream.defined() ? name_of(upstream.dtype()) : "undefined",
                                upstream.shape().str()));
  }
}

void Tape::backward(const Var& output, const Tensor& upstream) {
  backward(std::vector<Var>{output}, std::vector<Tensor>{upstream});
}

void Tape::backward(const std::vector<Var>& outputs, const std::vector<Tensor>& upstreams) {
  if (outputs.empty()) throw TapeError("backward: no outputs given");
  if (outputs.size() != upstreams.size()) {
    throw TapeError(fmt::format("backward: {} outputs but {} upstream gradients", outputs.size(),
                                upstreams.size()));
  }
  std::int32_t start = -1;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const std::int32_t id = check_own("backward", outputs[i]);
    check_upstream(id, upstreams[i]);
    if (node(id).requires_grad) start = std::max(start, id + node(id).owner_offset());
  }
  if (backward_done_) {
    throw TapeError(
        "backward: this tape has already run backward (its closures are freed); record a new "
        "tape for another pass");
  }
  if (start < 0) {
    const Node& first = node(outputs[0].id_);
    throw TapeError(fmt::format(
        "backward: the output ('{}', node {}) does not depend on any variable or parameter",
        first.op, outputs[0].id_));
  }
  backward_done_ = true;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    Node& out = node(outputs[i].id_);
    if (out.requires_grad) accumulate_into(out.grad, upstreams[i]);
  }
  run_backward(start);
}

void Tape::run_backward(std::int32_t start) {
  for (std::int32_t id = start; id >= 0; --id) {
    Node& n = node(id);
    if (n.num_outputs == 1) {
      if (!n.grad.defined()) continue;
      if (n.backward) {
        check_versions(id);
        InputGrads grads(*this, n);
        n.backward(OutputGrads(&n.grad, 1), grads);
        n.backward = nullptr;  // frees the cache
      }
      if (n.param.defined()) n.param.accumulate_grad(n.grad);
      if (!n.keeps_grad) n.grad = Tensor();
    } else if (n.output == n.num_outputs - 1) {
      // The owner of a multi-output op: every consumer of every output has
      // run (their nodes come later). Gather the outputs' gradients.
      const std::int32_t first = id - n.num_outputs + 1;
      douts_.clear();
      bool any = false;
      for (std::int32_t k = first; k <= id; ++k) {
        douts_.push_back(std::move(node(k).grad));
        any = any || douts_.back().defined();
      }
      if (any && n.backward) {
        check_versions(id);
        InputGrads grads(*this, n);
        n.backward(OutputGrads(douts_.data(), n.num_outputs), grads);
        n.backward = nullptr;
      }
      douts_.clear();
    }
    // Other outputs of a multi-output op: their gradients went to the owner.
  }
}

void Tape::check_versions(std::int32_t owner_id) const {
  const Node& owner = node(owner_id);
  const std::int32_t first = owner_id - owner.output;
  const auto fail = [&](const char* what, std::int32_t index, std::uint32_t now,
                        std::uint32_t recorded) {
    throw TapeError(fmt::format(
        "backward of '{}' (node {}): {} {} was modified in place after it was recorded (version "
        "{}, expected {}); an in-place update (add_, copy_, an optimizer step) before backward() "
        "invalidates the saved values",
        owner.op, first, what, index, now, recorded));
  };
  for (std::int32_t i = 0; i < owner.num_inputs; ++i) {
    const Edge& edge = edges_[owner.first_edge + i];
    const std::uint32_t now = node(edge.node).value.version();
    if (now != edge.version) fail("input", i, now, edge.version);
  }
  for (std::int32_t k = first; k <= owner_id; ++k) {
    const std::uint32_t now = node(k).value.version();
    if (now != node(k).version) fail("output", k - first, now, node(k).version);
  }
}

// ---- InputGrads ----

bool InputGrads::wants(int input) const {
  return input >= 0 && input < owner_.num_inputs &&
         tape_.node(tape_.edges_[owner_.first_edge + input].node).requires_grad;
}

void InputGrads::add(int input, Tensor grad) {
  if (input < 0 || input >= owner_.num_inputs) {
    throw TapeError(fmt::format("backward of '{}': input {} does not exist ({} inputs)", owner_.op,
                                input, owner_.num_inputs));
  }
  Tape::Node& target = tape_.node(tape_.edges_[owner_.first_edge + input].node);
  if (!target.requires_grad || !grad.defined()) return;
  if (grad.shape() != target.value.shape() || grad.dtype() != target.value.dtype()) {
    throw TapeError(
        fmt::format("backward of '{}': the gradient of input {} is {} {} but the input is {} {}",
                    owner_.op, input, name_of(grad.dtype()), grad.shape().str(),
                    name_of(target.value.dtype()), target.value.shape().str()));
  }
  if (tape_.options_.detect_anomaly) {
    const std::int64_t bad = first_non_finite(grad);
    if (bad >= 0) {
      throw NumericError(fmt::format(
          "detect_anomaly: the backward of op '{}' produced a non-finite gradient for input {} "
          "at element {}",
          owner_.op, input, bad));
    }
  }
  accumulate_into(target.grad, std::move(grad));
}

}  // namespace tg
