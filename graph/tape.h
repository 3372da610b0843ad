// The tape: a dynamic record of the ops one forward pass ran, each with a
// hand-written backward closure. backward() runs the closures in reverse order
// and accumulates gradients into the op inputs, and into Parameter::grad().
//
//   tg::Tape tape;
//   tg::Var x = tape.constant(images);
//   tg::Var loss = tg::softmax_loss(tg::linear(x, W, b), labels);  // W, b: Parameters
//   tape.backward(loss);                                           // fills W.grad(), b.grad()
//
// There is no global tape: an op finds its tape through its inputs. Ops are
// recorded with tg::Op (graph/op.h); an op takes any number of inputs and
// gives one or several outputs.
//
// Safety:
// - A Var that outlives its Tape throws TapeError when used (it holds a small
//   link block that the tape clears when it is destroyed), never reads freed
//   memory.
// - A tensor a node depends on (an input or output of the op), changed in
//   place after the op was recorded (Tensor::add_, copy_, fill_, scale_, an
//   optimizer step: anything that bumps Tensor::version()) makes backward
//   throw TapeError naming the op, instead of computing a wrong gradient. The
//   check is conservative: it covers every input and output, also those a
//   particular backward does not read (add's).
// - Threads: a Tape and its Vars belong to one thread at a time (the link
//   block's count is not atomic). Kernels inside an op may use threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "graph/backward_fn.h"
#include "graph/op_name.h"
#include "graph/parameter.h"
#include "graph/tensor.h"

namespace tg {

class Tape;
class Op;
class InputGrads;

namespace detail {
// Shared by a tape and its Vars; the tape sets `tape` to null when it is
// destroyed, the last holder frees the block.
struct TapeLink {
  Tape* tape;
  long holders;
};
}  // namespace detail

// A value on a tape (or a Parameter not yet placed on one). Cheap to copy
// (a non-atomic count), cheaper to pass by const reference.
class Var {
 public:
  Var() = default;
  // A parameter used as an op input: the op places it on its tape (once per
  // tape) and its gradient flows into p.grad().
  Var(const Parameter& p);  // NOLINT(google-explicit-constructor): intended conversion
  Var(const Var& other) noexcept : link_(other.link_), id_(other.id_), param_(other.param_) {
    if (link_ != nullptr) ++link_->holders;
  }
  Var(Var&& other) noexcept
      : link_(std::exchange(other.link_, nullptr)),
        id_(other.id_),
        param_(std::move(other.param_)) {}
  Var& operator=(const Var& other) noexcept {
    Var copy(other);
    swap(copy);
    return *this;
  }
  Var& operator=(Var&& other) noexcept {
    Var moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~Var() { release(); }

  bool defined() const { return link_ != nullptr || param_.defined(); }
  // True for a value recorded on a tape (even one destroyed since).
  bool on_tape() const { return link_ != nullptr; }
  // Throws TapeError when the value is not on a tape or its tape was destroyed.
  Tape& tape() const;

  const Tensor& value() const;
  const Shape& shape() const;
  DType dtype() const;
  bool requires_grad() const;
  // The gradient the last backward() gave this value: defined for variables
  // and parameters of the tape (a parameter's shows this tape's part only).
  const Tensor& grad() const;

 private:
  friend class Tape;
  friend class Op;
  Var(detail::TapeLink* link, std::int32_t id) noexcept : link_(link), id_(id) { ++link_->holders; }
  // The live tape, or TapeError("<accessor>: ...").
  Tape& live_tape(const char* accessor) const;
  void swap(Var& other) noexcept {
    std::swap(link_, other.link_);
    std::swap(id_, other.id_);
    std::swap(param_, other.param_);
  }
  void release() noexcept {
    if (link_ != nullptr && --link_->holders == 0) delete link_;
    link_ = nullptr;
  }

  detail::TapeLink* link_ = nullptr;
  std::int32_t id_ = -1;
  Parameter param_;  // set only while not on a tape
};

class Tape {
 public:
  struct Options {
    // false: ops record values but no backward closures (inference).
    bool record_gradients = true;
    // true: every op output is checked for NaN/inf, naming the first bad op.
    bool detect_anomaly = false;
    // Called by backward() right after it added a parameter's gradient from
    // this tape (once per parameter: that gradient is then complete), e.g. to
    // start averaging it over processes while backward goes on.
    std::function<void(const Parameter&)> on_parameter_grad;
  };

  Tape();
  explicit Tape(Options options);
  // Options for a tape that records no gradients (evaluation, inference).
  static Options inference() {
    Options options;
    options.record_gradients = false;
    return options;
  }
  // Vars of this tape stay safe to hold; using one throws TapeError.
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
  // Backward from several outputs at once, upstreams[i] the gradient of the
  // loss with respect to outputs[i] (like torch.autograd.backward). Outputs
  // that depend on nothing trainable contribute nothing; at least one must.
  void backward(const std::vector<Var>& outputs, const std::vector<Tensor>& upstreams);

  const Tensor& value(const Var& v) const;
  const Tensor& grad(const Var& v) const;
  bool has_grad(const Var& v) const;
  bool requires_grad(const Var& v) const;
  // The number of nodes: leaves plus one per op output.
  std::size_t size() const { return size_; }

 private:
  friend class Var;
  friend class Op;
  friend class InputGrads;

  // One input of an op: the node it reads and the version of that node's
  // storage when the op was recorded.
  struct Edge {
    std::int32_t node;
    std::uint32_t version;
  };

  // One value: a leaf, or one output of an op. The outputs of an op are
  // consecutive nodes; the last of them (its "owner") carries the op's
  // closure, which therefore runs after every consumer of every output.
  struct Node {
    Tensor value;
    Tensor grad;
    BackwardFn backward;  // on the owner only
    Parameter param;      // set for parameter leaves
    OpName op = "constant";
    std::int32_t first_edge = 0;  // the op's inputs: edges_[first_edge, + num_inputs)
    std::int32_t num_inputs = 0;
    std::uint32_t version = 0;     // of value's storage when recorded
    std::int32_t output = 0;       // which output of its op this node is
    std::int32_t num_outputs = 1;  // outputs of its op
    bool requires_grad = false;
    bool keeps_grad = false;  // variables and parameters keep their gradient

    std::int32_t owner_offset() const { return num_outputs - 1 - output; }
  };
  // Nodes per block (references stay valid as the tape grows); blocks stay
  // under malloc's 64 KiB consolidation threshold.
  static constexpr std::size_t kChunk = 128;

  Node& node(std::int32_t id) { return chunks_[id / kChunk][id % kChunk]; }
  const Node& node(std::int32_t id) const { return chunks_[id / kChunk][id % kChunk]; }
  Node& append(OpName op, Tensor value);
  Var var(std::int32_t id) { return Var(link_, id); }
  // The node of v, or TapeError("<what>: ...") when v is not on this tape.
  std::int32_t check_own(std::string_view what, const Var& v) const;
  std::int32_t param_node(const Parameter& p);

  // For Op: the input edges of the op being recorded, then its outputs.
  std::int32_t add_edge(std::int32_t node) {
    if (edges_.capacity() == 0) edges_.reserve(2 * kChunk);  // skips the tiny regrowths
    edges_.push_back({node, 0});
    return static_cast<std::int32_t>(edges_.size() - 1);
  }
  const Tensor& edge_value(std::int32_t edge) const { return node(edges_[edge].node).value; }
  // Appends the outputs of an op whose inputs are edges_[first_edge, +
  // num_inputs); returns the id of the first output.
  std::int32_t record(OpName op, Tensor* outputs, std::int32_t num_outputs, std::int32_t first_edge,
                      std::int32_t num_inputs, BackwardFn backward);

  void check_upstream(std::int32_t id, const Tensor& upstream) const;
  void run_backward(std::int32_t start);
  void check_versions(std::int32_t owner) const;

  Options options_;
  detail::TapeLink* link_;
  std::vector<std::unique_ptr<Node[]>> chunks_;
  std::size_t size_ = 0;
  std::vector<Edge> edges_;
  std::vector<Tensor> douts_;  // the output gradients of a multi-output op, during backward
  std::vector<std::pair<const void*, std::int32_t>> param_nodes_;  // parameter -> node
  bool backward_done_ = false;
};

// Given to a backward closure: where the gradients of the op inputs go.
class InputGrads {
 public:
  // True when input i needs a gradient (lets a closure skip work, e.g. conv's dx).
  bool wants(int input) const;
  // Adds the gradient of input i (accumulating when the input is used twice).
  // An undefined grad counts as zero.
  void add(int input, Tensor grad);

 private:
  friend class Tape;
  InputGrads(Tape& tape, const Tape::Node& owner) : tape_(tape), owner_(owner) {}
  Tape& tape_;
  const Tape::Node& owner_;
};

}  // namespace tg
