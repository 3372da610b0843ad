// What the losses that average an elementwise term over two tensors of one
// shape share (bce_with_logits, mse_loss): the input checks, the mean, and
// the tape node.
#pragma once

#include <cstdint>
#include <utility>

#include "graph/checks.h"
#include "graph/op.h"
#include "graph/tensor.h"

namespace tg {

// The gradients of a two-input loss; a gradient not asked for is undefined.
struct LossInputGrads {
  Tensor da;
  Tensor db;
};

// a is defined and non-empty (any rank), b has a's shape and dtype. Throws
// ArgumentError naming `op` and both shapes.
inline void check_loss_inputs(const char* op, const char* what_a, const Tensor& a,
                              const char* what_b, const Tensor& b) {
  check_min_rank(op, what_a, a, 0);
  if (!b.defined()) fail(op, "{} is undefined (an empty Tensor handle)", what_b);
  if (b.shape() != a.shape()) {
    fail(op, "{} must have the shape of {}, {}, got {}", what_b, what_a, shape_str(a),
         shape_str(b));
  }
  check_same_dtype(op, what_a, a, what_b, b);
}

// (1 / numel) sum_i term(a_i, b_i), each term and the sum in double, in
// element order: the same bits for any thread count.
template <class Term>
double mean_of_terms(const Tensor& a, const Tensor& b, Term term) {
  const double sum = dispatch(a.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    double total = 0;
    for (std::int64_t i = 0; i < a.numel(); ++i) {
      total += term(static_cast<double>(x[i]), static_cast<double>(y[i]));
    }
    return total;
  });
  return sum / static_cast<double>(a.numel());
}

// The tape op of such a loss: records forward(a, b) -> the mean loss as a
// scalar (shape (), a's dtype) whose backward calls backward(dout, a, b,
// wants_a, wants_b) -> LossInputGrads.
template <class Forward, class Backward>
Var record_two_input_loss(OpName name, const Var& a, const Var& b, Forward forward,
                          Backward backward) {
  Op op(name, {a, b});
  const Tensor& x = op.input(0);
  const Tensor& y = op.input(1);
  Tensor out = Tensor::full({}, forward(x, y), x.dtype());
  return op.finish(std::move(out), [x, y, backward](const Tensor& dout, InputGrads& grads) {
    LossInputGrads g = backward(dout.item(), x, y, grads.wants(0), grads.wants(1));
    grads.add(0, std::move(g.da));
    grads.add(1, std::move(g.db));
  });
}

}  // namespace tg
