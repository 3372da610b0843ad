// What the recurrent models share: the kind of cell, its parameters as a
// model registers them, its forward over a sequence, and word indices read
// from the float tensors a model is given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graph/parameter.h"
#include "graph/rng.h"
#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/index/embedding.h"

namespace tg {

enum class CellKind { rnn, lstm, gru };

// "rnn", "lstm", "gru".
const char* name_of(CellKind kind);
// Throws ArgumentError naming `owner` for another name.
CellKind parse_cell_kind(std::string_view owner, std::string_view name);

// One weight of a recurrent layer before registration.
struct RecurrentWeight {
  std::string name;
  Tensor value;
  bool regularized;  // weights get the L2 penalty, biases not
};

// The course's initialisation: Wx ~ N(0, 1/D), Wh ~ N(0, 1/H), biases zero,
// except the LSTM's forget-gate bias, 1 (it starts by keeping its cell state,
// Jozefowicz et al. 2015). In registration order:
//   rnn:  Wx (D, H),  Wh (H, H),  b (H)
//   lstm: Wx (D, 4H), Wh (H, 4H), b (4H)
//   gru:  Wx (D, 3H), Wh (H, 3H), bx (3H), bh (3H)
std::vector<RecurrentWeight> init_recurrent_weights(CellKind kind, std::int64_t input_dim,
                                                    std::int64_t hidden_dim, DType dtype, Rng& rng);

// The hidden states h (N, T, H) of x (N, T, D) from h0 (N, H): the cell's
// sequence op (one tape node) with the weights in registration order.
Var recurrent_layer(CellKind kind, const Var& x, const Var& h0,
                    const std::vector<Parameter>& weights);

// The values of x (N, T) as word indices. Throws ArgumentError naming `owner`
// and the position of a value that is not a whole number.
Indices word_indices(std::string_view owner, const Tensor& x);

}  // namespace tg
