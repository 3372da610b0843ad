// LSTM layer (the course's rnn_layers.py). One step, with the activation
// a = x Wx + prev_h Wh + b (N, 4H) split into the gates in the order i, f, o, g:
//   i = sigmoid(a_i), f = sigmoid(a_f), o = sigmoid(a_o), g = tanh(a_g)
//   next_c = f * prev_c + i * g
//   next_h = o * tanh(next_c)
// x (N, D), prev_h and prev_c (N, H), Wx (D, 4H), Wh (H, 4H), b (4H). Over a
// sequence x (N, T, D) from h0 (N, H) and a zero initial cell state (as the
// course's lstm_forward), h (N, T, H) holds the hidden state of every step.
//
// The step op records one node per step with two outputs (next_h, next_c);
// the sequence op one node for the whole sequence, its backward the whole
// backpropagation through time in one closure.
#pragma once

#include <vector>

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

// What the backward pass needs (the same for a step, as a sequence of one).
struct LstmCache {
  Tensor x;       // (N, T, D)
  Tensor wx;      // (D, 4H)
  Tensor wh;      // (H, 4H)
  Tensor c0;      // (N, H): the cell state before the first step
  Tensor prev_h;  // (N, T, H): the hidden state each step started from (h0 at t = 0)
  Tensor gates;   // (N, T, 4H): i, f, o, g after their activations
  Tensor c;       // (N, T, H): the cell state each step ended with
  Tensor tanh_c;  // (N, T, H)
};

struct LstmStepForward {
  Tensor next_h;  // (N, H)
  Tensor next_c;  // (N, H)
  LstmCache cache;
};

struct LstmForward {
  Tensor h;  // (N, T, H)
  LstmCache cache;
};

struct LstmGrads {
  Tensor dx;  // (N, D) for a step, (N, T, D) for a sequence; undefined unless asked for
  Tensor dh;  // dprev_h for a step, dh0 for a sequence: (N, H)
  Tensor dc;  // dprev_c for a step (N, H); undefined for a sequence (its c0 is zero)
  Tensor dwx;
  Tensor dwh;
  Tensor db;
};

// The seed's lstm_step_forward / lstm_step_backward. dnext_c may be
// undefined (the loss does not use next_c): it then counts as zero.
LstmStepForward lstm_step_forward(const Tensor& x, const Tensor& prev_h, const Tensor& prev_c,
                                  const Tensor& wx, const Tensor& wh, const Tensor& b);
LstmGrads lstm_step_backward(const Tensor& dnext_h, const Tensor& dnext_c, const LstmCache& cache,
                             bool need_dx = true);

// The seed's lstm_forward / lstm_backward over a whole sequence.
LstmForward lstm_forward(const Tensor& x, const Tensor& h0, const Tensor& wx, const Tensor& wh,
                         const Tensor& b);
// dh (N, T, H): the upstream gradient of every hidden state.
LstmGrads lstm_backward(const Tensor& dh, const LstmCache& cache, bool need_dx = true);

// Tape ops. lstm_step gives {next_h, next_c}; lstm gives h (N, T, H).
std::vector<Var> lstm_step(const Var& x, const Var& prev_h, const Var& prev_c, const Var& wx,
                           const Var& wh, const Var& b);
Var lstm(const Var& x, const Var& h0, const Var& wx, const Var& wh, const Var& b);

}  // namespace tg
