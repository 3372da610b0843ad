// Optimizer: updates parameters in place from their gradients, keeping
// per-parameter state (velocity, moments) that can be saved and restored.
// The update rules are the seed's optim.py (sgd, sgd_momentum, rmsprop,
// adam), Nesterov momentum and AdamW: see update_rules.h.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graph/parameter.h"
#include "graph/tensor.h"

namespace tg {

// The seed's optim_config. Unset learning rates take the rule's default
// (1e-2 for sgd, sgd_momentum, sgd_nesterov_momentum and rmsprop; 1e-3 for
// adam and adamw).
struct OptimConfig {
  std::optional<double> learning_rate;
  double momentum = 0.9;       // sgd_momentum, sgd_nesterov_momentum
  double decay_rate = 0.99;    // rmsprop
  double beta1 = 0.9;          // adam, adamw
  double beta2 = 0.999;        // adam, adamw
  double epsilon = 1e-8;       // rmsprop, adam, adamw
  double weight_decay = 1e-2;  // adamw (PyTorch's default)
};

// Everything an optimizer carries between steps, by name:
// "<parameter>/<slot>" -> tensor (e.g. "conv1.weight/m", "conv1.weight/v", "conv1.weight/t").
struct OptimizerState {
  std::string rule;
  std::map<std::string, Tensor> slots;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // One update of every parameter from its grad() (gradients are left as
  // they are: zero them before the next backward). Parameter names must be
  // unique: the state is kept by name. Each value is marked modified, so a
  // tape recorded before the step refuses to run backward.
  void step(const std::vector<Parameter>& parameters);

  double learning_rate() const { return learning_rate_; }
  void set_learning_rate(double learning_rate);
  const std::string& rule() const { return rule_; }

  OptimizerState state() const;
  // Restores a state saved by state(); throws ArgumentError for another rule.
  void load_state(const OptimizerState& state);

 protected:
  Optimizer(std::string rule, double learning_rate);
  // The per-parameter slot named `slot`, created as zeros like p on first use.
  Tensor& slot(const Parameter& p, const std::string& slot);
  // A per-parameter float64 scalar (a step count), 0 on first use.
  double& counter(const Parameter& p, const std::string& slot);
  virtual void update(const Parameter& p) = 0;

 private:
  Tensor& find_or_create(const std::string& key, const Shape& shape, DType dtype);

  std::string rule_;
  double learning_rate_;
  std::map<std::string, Tensor> slots_;
};

// "sgd", "sgd_momentum", "sgd_nesterov_momentum", "rmsprop", "adam" or
// "adamw"; throws ArgumentError naming the
// option for an unknown rule or a setting out of range.
// Defined in update_rules.cc.
std::unique_ptr<Optimizer> make_optimizer(std::string_view rule, const OptimConfig& config = {});

}  // namespace tg
