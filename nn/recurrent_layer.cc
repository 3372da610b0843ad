#include "nn/recurrent_layer.h"

#include <cmath>

#include "graph/checks.h"
#include "ops/recurrent/gru.h"
#include "ops/recurrent/lstm.h"
#include "ops/recurrent/rnn.h"

namespace tg {

const char* name_of(CellKind kind) {
  switch (kind) {
    case CellKind::rnn:
      return "rnn";
    case CellKind::lstm:
      return "lstm";
    case CellKind::gru:
      return "gru";
  }
  return "?";
}

CellKind parse_cell_kind(std::string_view owner, std::string_view name) {
  for (CellKind kind : {CellKind::rnn, CellKind::lstm, CellKind::gru}) {
    if (name == name_of(kind)) return kind;
  }
  fail(owner, "cell must be rnn, lstm or gru, got '{}'", name);
}

std::vector<RecurrentWeight> init_recurrent_weights(CellKind kind, std::int64_t input_dim,
                                                    std::int64_t hidden_dim, DType dtype,
                                                    Rng& rng) {
  const std::int64_t gates = kind == CellKind::lstm ? 4 : kind == CellKind::gru ? 3 : 1;
  const std::int64_t width = gates * hidden_dim;
  std::vector<RecurrentWeight> weights;
  weights.push_back({"Wx",
                     Tensor::randn({input_dim, width}, rng, dtype, 0,
                                   1.0 / std::sqrt(static_cast<double>(input_dim))),
                     true});
  weights.push_back({"Wh",
                     Tensor::randn({hidden_dim, width}, rng, dtype, 0,
                                   1.0 / std::sqrt(static_cast<double>(hidden_dim))),
                     true});
  if (kind == CellKind::gru) {
    weights.push_back({"bx", Tensor::zeros({width}, dtype), false});
    weights.push_back({"bh", Tensor::zeros({width}, dtype), false});
    return weights;
  }
  Tensor b = Tensor::zeros({width}, dtype);
  if (kind == CellKind::lstm) {
    dispatch(dtype, [&](auto zero) {
      using T = decltype(zero);
      for (std::int64_t j = hidden_dim; j < 2 * hidden_dim; ++j) b.data<T>()[j] = 1;  // f
    });
  }
  weights.push_back({"b", std::move(b), false});
  return weights;
}

Var recurrent_layer(CellKind kind, const Var& x, const Var& h0,
                    const std::vector<Parameter>& weights) {
  const auto& w = weights;
  switch (kind) {
    case CellKind::rnn:
      return rnn(x, h0, w.at(0), w.at(1), w.at(2));
    case CellKind::lstm:
      return lstm(x, h0, w.at(0), w.at(1), w.at(2));
    case CellKind::gru:
      return gru(x, h0, w.at(0), w.at(1), w.at(2), w.at(3));
  }
  fail("recurrent_layer", "unknown cell kind {}", static_cast<int>(kind));
}

Indices word_indices(std::string_view owner, const Tensor& x) {
  check_rank(owner, "x (N, T) word indices", x, 2);
  std::vector<std::int64_t> words(static_cast<std::size_t>(x.numel()));
  dispatch(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* values = x.data<T>();
    for (std::int64_t p = 0; p < x.numel(); ++p) {
      if (!(std::abs(values[p]) < 1e15 && values[p] == std::floor(values[p]))) {
        fail(owner, "x({},{}) is {}, not a word index (a whole number)", p / x.dim(1), p % x.dim(1),
             values[p]);
      }
      words[p] = static_cast<std::int64_t>(values[p]);
    }
  });
  return Indices(std::move(words), x.shape());
}

}  // namespace tg
