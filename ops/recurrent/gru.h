// GRU layer with PyTorch's gate equations (torch.nn.GRU, gates in its order
// r, z, n), in the course's layout: Wx (D, 3H), Wh (H, 3H) and two biases bx,
// bh (3H) (PyTorch's weight_ih^T, weight_hh^T, bias_ih, bias_hh):
//   r = sigmoid(x Wx_r + bx_r + prev_h Wh_r + bh_r)
//   z = sigmoid(x Wx_z + bx_z + prev_h Wh_z + bh_z)
//   n = tanh(x Wx_n + bx_n + r * (prev_h Wh_n + bh_n))
//   next_h = (1 - z) * n + z * prev_h
// Over a sequence x (N, T, D) from h0 (N, H), h (N, T, H) holds every step's
// hidden state. The step op records one node per step, the sequence op one
// node per sequence (backpropagation through time in one closure).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

// What the backward pass needs (the same for a step, as a sequence of one).
struct GruCache {
  Tensor x;       // (N, T, D)
  Tensor wx;      // (D, 3H)
  Tensor wh;      // (H, 3H)
  Tensor prev_h;  // (N, T, H): the state each step started from (h0 at t = 0)
  Tensor gates;   // (N, T, 3H): r, z, n after their activations
  Tensor h_n;     // (N, T, H): prev_h Wh_n + bh_n, the part r multiplies
};

struct GruStepForward {
  Tensor next_h;  // (N, H)
  GruCache cache;
};

struct GruForward {
  Tensor h;  // (N, T, H)
  GruCache cache;
};

struct GruGrads {
  Tensor dx;  // (N, D) for a step, (N, T, D) for a sequence; undefined unless asked for
  Tensor dh;  // dprev_h for a step, dh0 for a sequence: (N, H)
  Tensor dwx;
  Tensor dwh;
  Tensor dbx;
  Tensor dbh;
};

GruStepForward gru_step_forward(const Tensor& x, const Tensor& prev_h, const Tensor& wx,
                                const Tensor& wh, const Tensor& bx, const Tensor& bh);
GruGrads gru_step_backward(const Tensor& dnext_h, const GruCache& cache, bool need_dx = true);

GruForward gru_forward(const Tensor& x, const Tensor& h0, const Tensor& wx, const Tensor& wh,
                       const Tensor& bx, const Tensor& bh);
// dh (N, T, H): the upstream gradient of every hidden state.
GruGrads gru_backward(const Tensor& dh, const GruCache& cache, bool need_dx = true);

// Tape ops: one node per step, and one node per sequence.
Var gru_step(const Var& x, const Var& prev_h, const Var& wx, const Var& wh, const Var& bx,
             const Var& bh);
Var gru(const Var& x, const Var& h0, const Var& wx, const Var& wh, const Var& bx, const Var& bh);

}  // namespace tg
