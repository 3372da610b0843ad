// The pattern every tape op follows:
//
//   Var relu(const Var& x) {
//     Op op("relu", {x});                                  // finds the tape
//     auto [out, cache] = relu_forward(op.input(0));        // the kernel
//     return op.finish(std::move(out), [cache = std::move(cache)](const Tensor& dout,
//                                                                 InputGrads& grads) {
//       grads.add(0, relu_backward(dout, cache));           // the backward kernel
//     });
//   }
#pragma once

#include <array>
#include <initializer_list>
#include <string_view>

#include "graph/tape.h"

namespace tg {

class Op {
 public:
  // Finds the one tape the inputs live on and places parameters on it.
  // Throws TapeError when inputs come from two tapes or none is on a tape.
  Op(std::string_view name, std::initializer_list<Var> inputs);

  const Tensor& input(int i) const { return inputs_[i].value(); }

  // Records the output; the tape drops the closure when no input needs a
  // gradient or it records none.
  Var finish(Tensor out, BackwardFn backward);

 private:
  std::string_view name_;
  Tape* tape_ = nullptr;
  std::array<Var, Tape::kMaxInputs> inputs_;
  int num_inputs_ = 0;
};

}  // namespace tg
