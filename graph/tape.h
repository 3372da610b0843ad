// The tape: a dynamic record of the ops one forward pass ran, each with a
// hand-written backward closure. backward() runs the closures in reverse order
// and accumulates gradients into the op inputs, and into Parameter::grad().
//
//   tg::Tape tape;
//   tg::Var x = tape.constant(images);
//   tg::Var loss = tg::softmax_loss(tg::linear(x, W, b), labels);  // W, b: Parameters
//   tape.backward(loss);                                           // fills W.grad(), b.grad()
//
// There is no global tape: an op finds its tape through its inputs.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <vector>

#include "graph/backward_fn.h"
#include "graph/parameter.h"
#include "graph/tensor.h"

namespace tg {

class Tape;
class InputGrads;

// The backward closure of one recorded op (graph/backward_fn.h): given the
// gradient of the loss with respect to the op's output, add the gradients of
// its inputs.

// A value on a tape (or a Parameter not yet placed on one). Cheap to copy.
class Var {
 public:
  Var() = default;
  // A parameter used as an op input: the op places it on its tape (once per
  // tape) and its gradient flows into p.grad().
  Var(const Parameter& p);  // NOLINT(google-explicit-constructor): intended conversion

  bool defined() const { return tape_ != nullptr || param_.defined(); }
  bool on_tape() const { return tape_ != nullptr; }
  Tape& tape() const;

  const Tensor& value() const;
  const Shape& shape() const { return value().shape(); }
  DType dtype() const { return value().dtype(); }
  bool requires_grad() const;
  // The gradient the last backward() gave this value: defined for variables
  // and parameters of the tape (a parameter's shows this tape's part only).
  const Tensor& grad() const;

 private:
  friend class Tape;
  friend class Op;
  Var(Tape* tape, std::int32_t id) : tape_(tape), id_(id) {}

  Tape* tape_ = nullptr;
  std::int32_t id_ = -1;
  Parameter param_;  // set only while not on a tape
};

class Tape {
 public:
  static constexpr int kMaxInputs = 4;

  struct Options {
    // false: ops record values but no backward closures (inference).
    bool record_gradients = true;
    // true: every op output is checked for NaN/inf, naming the first bad op.
    bool detect_anomaly = false;
  };

  Tape();
  explicit Tape(Options options);
  // Options for a tape that records no gradients (evaluation, inference).
  static Options inference() {
    Options options;
    options.record_gradients = false;
    return options;
  }
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  // A value that gets no gradient and costs no backward work.
  Var constant(Tensor value);
  // A leaf that receives a gradient, read with grad() after backward.
  Var variable(Tensor value);
  // A parameter on this tape; the same node each time it is placed.
  Var param(const Parameter& p);

  // Backward from a scalar (one-element) loss, with upstream gradient 1.
  void backward(const Var& loss);
  // Backward from any output given the gradient of the loss with respect to it.
  void backward(const Var& output, const Tensor& upstream);

  const Tensor& value(const Var& v) const;
  const Tensor& grad(const Var& v) const;
  bool has_grad(const Var& v) const;
  bool requires_grad(const Var& v) const;
  std::size_t size() const { return size_; }

  // For op authors (see graph/op.h): records an op output with its inputs and
  // backward closure. An empty closure, or inputs needing no gradient, make a
  // node that costs nothing in backward.
  Var record(std::string_view op, Tensor value, const std::array<Var, kMaxInputs>& inputs,
             int num_inputs, BackwardFn backward);

 private:
  friend class InputGrads;
  struct Node {
    Tensor value;
    Tensor grad;
    BackwardFn backward;
    Parameter param;  // set for parameter leaves
    std::array<std::int32_t, kMaxInputs> inputs{};
    std::int8_t num_inputs = 0;
    bool requires_grad = false;
    bool keeps_grad = false;  // variables and parameters keep their gradient
    std::string_view op;
  };
  // Nodes per block (references stay valid as the tape grows); blocks stay
  // under malloc's 64 KiB consolidation threshold.
  static constexpr std::size_t kChunk = 128;

  Node& node(std::int32_t id) { return chunks_[id / kChunk][id % kChunk]; }
  const Node& node(std::int32_t id) const { return chunks_[id / kChunk][id % kChunk]; }
  Node& append(std::string_view op, Tensor value);
  std::int32_t check_own(std::string_view what, const Var& v) const;

  Options options_;
  std::vector<std::unique_ptr<Node[]>> chunks_;
  std::size_t size_ = 0;
  std::vector<std::pair<const void*, std::int32_t>> param_nodes_;  // parameter -> node
  bool backward_done_ = false;
};

// Given to a backward closure: where the gradients of the op inputs go.
class InputGrads {
 public:
  // True when input i needs a gradient (lets a closure skip work, e.g. conv's dx).
  bool wants(int input) const;
  // Adds the gradient of input i (accumulating when the input is used twice).
  void add(int input, Tensor grad);

 private:
  friend class Tape;
  InputGrads(Tape& tape, const Tape::Node& node) : tape_(tape), node_(node) {}
  Tape& tape_;
  const Tape::Node& node_;
};

}  // namespace tg
