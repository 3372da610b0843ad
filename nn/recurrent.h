// Sequence modules (the course's recurrent chapter):
//   Embedding(V, D):   x (N, T) of word indices (whole numbers) -> (N, T, D)
//   RNN / LSTM / GRU:  x (N, T, D) -> hidden states (N, T, H) of every step
//                      from a zero state; weights Wx, Wh, b (GRU: bx, bh) as
//                      nn/recurrent_layer.h initialises them
//   LastStep:          (N, T, H) -> (N, H), the last step
#pragma once

#include <cstdint>

#include "graph/rng.h"
#include "nn/module.h"
#include "nn/recurrent_layer.h"

namespace tg {

class Embedding : public Module {
 public:
  // W ~ N(0, 0.1^2), a weight (L2-regularised), drawn from `rng`.
  Embedding(std::int64_t vocab_size, std::int64_t dim, DType dtype, Rng& rng);
  Embedding(std::int64_t vocab_size, std::int64_t dim, DType dtype = DType::f32);
  static std::shared_ptr<Embedding> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "Embedding"; }
  ModelConfig config() const override;
  std::vector<LayerSpec> layer_specs() const override;
  const Parameter& weight() const { return weight_; }

 private:
  void init(DType dtype, Rng& rng);

  std::int64_t vocab_size_, dim_;
  Parameter weight_;
};

class Recurrent : public Module {
 public:
  Recurrent(CellKind kind, std::int64_t input_dim, std::int64_t hidden_dim, DType dtype, Rng& rng);
  Var forward(const Var& x) override;
  ModelConfig config() const override;
  std::vector<LayerSpec> layer_specs() const override;
  CellKind kind() const { return kind_; }
  std::int64_t hidden_dim() const { return hidden_dim_; }
  // Wx, Wh, b (GRU: Wx, Wh, bx, bh).
  const std::vector<Parameter>& weights() const { return weights_; }

 private:
  CellKind kind_;
  std::int64_t input_dim_, hidden_dim_;
  std::vector<Parameter> weights_;
};

class RNN : public Recurrent {
 public:
  RNN(std::int64_t input_dim, std::int64_t hidden_dim, DType dtype, Rng& rng)
      : Recurrent(CellKind::rnn, input_dim, hidden_dim, dtype, rng) {}
  std::string type() const override { return "RNN"; }
};

class LSTM : public Recurrent {
 public:
  LSTM(std::int64_t input_dim, std::int64_t hidden_dim, DType dtype, Rng& rng)
      : Recurrent(CellKind::lstm, input_dim, hidden_dim, dtype, rng) {}
  std::string type() const override { return "LSTM"; }
};

class GRU : public Recurrent {
 public:
  GRU(std::int64_t input_dim, std::int64_t hidden_dim, DType dtype, Rng& rng)
      : Recurrent(CellKind::gru, input_dim, hidden_dim, dtype, rng) {}
  std::string type() const override { return "GRU"; }
};

// An RNN, LSTM or GRU from its config() (cell, input_dim, hidden_dim, dtype).
std::shared_ptr<Recurrent> recurrent_from_config(CellKind kind, const ModelConfig& config);

class LastStep : public Module {
 public:
  Var forward(const Var& x) override;
  std::string type() const override { return "LastStep"; }
  std::vector<LayerSpec> layer_specs() const override { return {{"last_step", {}, {}}}; }
};

}  // namespace tg
