// Vanilla recurrent layer (the course's rnn_layers.py), with tanh:
//   next_h = tanh(x Wx + prev_h Wh + b)
// x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H). Over a sequence x
// (N, T, D) from h0 (N, H), h (N, T, H) holds the hidden state of every step.
//
// The step op records one node per step; the sequence op one node for the
// whole sequence, whose backward runs backpropagation through time in one
// closure (the products with Wx and the weight gradients as one matrix
// product over all N*T rows, only h Wh and dA Wh^T step by step).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

// What the backward pass needs (the same for a step, as a sequence of one).
struct RnnCache {
  Tensor x;       // (N, T, D)
  Tensor wx;      // (D, H)
  Tensor wh;      // (H, H)
  Tensor prev_h;  // (N, T, H): the state each step started from (h0 at t = 0)
  Tensor h;       // (N, T, H): the state each step ended with
};

struct RnnStepForward {
  Tensor next_h;  // (N, H)
  RnnCache cache;
};

struct RnnForward {
  Tensor h;  // (N, T, H)
  RnnCache cache;
};

struct RnnGrads {
  Tensor dx;  // (N, D) for a step, (N, T, D) for a sequence; undefined unless asked for
  Tensor dh;  // dprev_h for a step, dh0 for a sequence: (N, H)
  Tensor dwx;
  Tensor dwh;
  Tensor db;
};

// The seed's rnn_step_forward / rnn_step_backward.
RnnStepForward rnn_step_forward(const Tensor& x, const Tensor& prev_h, const Tensor& wx,
                                const Tensor& wh, const Tensor& b);
RnnGrads rnn_step_backward(const Tensor& dnext_h, const RnnCache& cache, bool need_dx = true);

// The seed's rnn_forward / rnn_backward over a whole sequence.
RnnForward rnn_forward(const Tensor& x, const Tensor& h0, const Tensor& wx, const Tensor& wh,
                       const Tensor& b);
// dh (N, T, H): the upstream gradient of every hidden state.
RnnGrads rnn_backward(const Tensor& dh, const RnnCache& cache, bool need_dx = true);

// Tape ops: one node per step, and one node per sequence.
Var rnn_step(const Var& x, const Var& prev_h, const Var& wx, const Var& wh, const Var& b);
Var rnn(const Var& x, const Var& h0, const Var& wx, const Var& wh, const Var& b);

}  // namespace tg
