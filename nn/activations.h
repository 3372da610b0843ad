// Elementwise activations as modules (no parameters): ReLU, LeakyReLU
// (slope 0.01), GELU (exact or tanh-approximated), Tanh, Sigmoid.
#pragma once

#include "nn/module.h"
#include "ops/math/gelu.h"

namespace tg {

class ReLU : public Module {
 public:
  Var forward(const Var& x) override;
  std::string type() const override { return "ReLU"; }
  std::vector<LayerSpec> layer_specs() const override { return {{"relu", {}, {}}}; }
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double slope = 0.01);
  static std::shared_ptr<LeakyReLU> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "LeakyReLU"; }
  ModelConfig config() const override;
  std::vector<LayerSpec> layer_specs() const override {
    return {{"leaky_relu", {}, {{"slope", slope_}}}};
  }

 private:
  double slope_;
};

class GELU : public Module {
 public:
  explicit GELU(GeluApproximation approximate = GeluApproximation::none)
      : approximate_(approximate) {}
  static std::shared_ptr<GELU> from_config(const ModelConfig& config);
  Var forward(const Var& x) override;
  std::string type() const override { return "GELU"; }
  ModelConfig config() const override;
  // "approximate": 0 exact, 1 tanh.
  std::vector<LayerSpec> layer_specs() const override;

 private:
  GeluApproximation approximate_;
};

class Tanh : public Module {
 public:
  Var forward(const Var& x) override;
  std::string type() const override { return "Tanh"; }
  std::vector<LayerSpec> layer_specs() const override { return {{"tanh", {}, {}}}; }
};

class Sigmoid : public Module {
 public:
  Var forward(const Var& x) override;
  std::string type() const override { return "Sigmoid"; }
  std::vector<LayerSpec> layer_specs() const override { return {{"sigmoid", {}, {}}}; }
};

}  // namespace tg
