// Op: records one op on the tape its inputs live on. The pattern every tape
// op follows (one output):
//
//   Var relu(const Var& x) {
//     Op op("relu", {x});                                  // finds the tape
//     auto [out, cache] = relu_forward(op.input(0));        // the kernel
//     return op.finish(std::move(out), [cache = std::move(cache)](const Tensor& dout,
//                                                                 InputGrads& grads) {
//       grads.add(0, relu_backward(dout, cache));           // the backward kernel
//     });
//   }
//
// Any number of inputs: Op op("lstm_step", {x, h, c, w_x, w_h, b}), or
// Op op("concat", inputs) with a std::vector<Var>. Several outputs: pass them
// as a vector; the closure then takes the gradient of every output, an
// undefined Tensor for an output the loss does not use:
//
//   std::vector<Var> hc = op.finish({h_next, c_next},
//       [cache](const OutputGrads& douts, InputGrads& grads) {
//         if (douts.defined(0)) { ... douts[0] ... }
//         if (douts.defined(1)) { ... douts[1] ... }
//         grads.add(0, dx);  // grads.wants(i): whether input i needs one
//       });
//
// The closure runs once, after every consumer of every output. Inputs may be
// Parameters (placed on the tape) or Vars of one tape. The name must be a
// string literal, a constant char array or a std::string (graph/op_name.h).
// The op's inputs and outputs must not be changed in place between finish()
// and backward (the tape checks, see graph/tape.h).
#pragma once

#include <initializer_list>
#include <vector>

#include "graph/tape.h"

namespace tg {

class Op {
 public:
  // Finds the one tape the inputs live on and places parameters on it.
  // Throws TapeError when inputs come from two tapes, from a destroyed tape,
  // or none is on a tape; ArgumentError for an undefined input.
  Op(OpName name, std::initializer_list<Var> inputs);
  Op(OpName name, const std::vector<Var>& inputs);
  Op(const Op&) = delete;
  Op& operator=(const Op&) = delete;

  OpName name() const { return name_; }
  Tape& tape() const { return *tape_; }
  int num_inputs() const { return num_inputs_; }
  // The value of input i; throws ArgumentError for i outside [0, num_inputs()).
  const Tensor& input(int i) const;

  // Records the output (once per Op). The tape drops the closure when no
  // input needs a gradient or it records none.
  Var finish(Tensor out, BackwardFn backward);
  // Records several outputs (at least one); the closure must take
  // (const OutputGrads&, InputGrads&) when there are two or more.
  std::vector<Var> finish(std::vector<Tensor> outs, BackwardFn backward);

 private:
  template <class It>
  void place_inputs(It first, It last);
  std::int32_t record(Tensor* outs, std::int32_t count, BackwardFn backward);

  OpName name_;
  Tape* tape_ = nullptr;
  std::int32_t first_edge_ = 0;
  std::int32_t num_inputs_ = 0;
  bool finished_ = false;
};

}  // namespace tg
