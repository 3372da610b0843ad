// Module: what every layer and every model is. A module owns named
// parameters (trained), buffers (saved but not trained, like running
// statistics), random generators (dropout's), and child modules, each under a
// name; the tree's names are dotted paths ("layer1.0.conv.weight"). It is
// training or being evaluated, and train() / eval() reach every descendant,
// so a layer reads its mode from itself. forward() is the module's output
// for a batch, as tape ops; loss() and scores() build the tape.
//
//   class Block : public tg::Module {
//    public:
//     Block(std::int64_t channels, tg::Rng& rng) {
//       conv_ = register_module("conv", std::make_shared<tg::Conv2d>(channels, channels, 3,
//                                                                   tg::Conv2dOptions{}, rng));
//       bn_ = register_module("bn", std::make_shared<tg::BatchNorm2d>(channels));
//     }
//     tg::Var forward(const tg::Var& x) override { return tg::relu((*bn_)((*conv_)(x)) + x); }
//     std::string type() const override { return "Block"; }
//    private:
//     std::shared_ptr<tg::Conv2d> conv_;
//     std::shared_ptr<tg::BatchNorm2d> bn_;
//   };
//
// Most models need no class of their own: nn/containers.h composes layers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "graph/labels.h"
#include "graph/parameter.h"
#include "graph/rng.h"
#include "graph/tape.h"
#include "graph/tensor.h"
#include "nn/layer_spec.h"
#include "nn/model_config.h"
#include "ops/kernels/mode.h"
#include "ops/kernels/normalization.h"

namespace tg {

// A buffer or a generator under its dotted name.
struct NamedTensor {
  std::string name;
  Tensor* tensor;
};
struct NamedRng {
  std::string name;
  Rng* rng;
};

// Settings of one loss() or scores() call, passed to its tape.
struct LossOptions {
  // Checks every op's output (and every gradient) for NaN or infinity as the
  // tape records it, naming the first op that produced one (slower).
  bool detect_anomaly = false;
  // Tape::Options::on_parameter_grad: called as each parameter's gradient is
  // complete (the data-parallel gradient average starts there).
  std::function<void(const Parameter&)> on_parameter_grad;
  // Sync batch norm in a data-parallel run (distributed/sync_batchnorm.h):
  // every batch norm layer of the tree uses the global batch's statistics.
  // Null: each process's own batch.
  BatchStatisticsSum* batchnorm_sync = nullptr;
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  // Parameters and buffers are registered by address: a module stays put.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The module's output for a batch x (a value on a tape).
  virtual Var forward(const Var& x) = 0;
  // forward(x), then every forward hook with (this, x, output). Modules call
  // their children this way, so hooks see every layer.
  Var operator()(const Var& x);

  // The module's kind ("Linear", "ThreeLayerConvNet"): model files store the
  // tree by kinds and configurations and rebuild it with the factory
  // registered under each kind (nn/module_types.h).
  virtual std::string type() const = 0;
  // The options its factory needs (sizes, flags, dtype). Empty by default.
  virtual ModelConfig config() const { return {}; }
  // The forward pass at test time as data, for exports that run it without
  // tapegrad (params/model.json, see nn/layer_spec.h). A layer describes
  // itself; Sequential concatenates its children's. Throws ArgumentError
  // naming the module when it cannot be described (the default).
  virtual std::vector<LayerSpec> layer_specs() const;

  // The seed's loss(X, y): records forward, the data loss and the L2 penalty
  // on a fresh tape, runs backward, and returns the loss. Gradients are added
  // to each parameter's grad() (call zero_grad() between steps).
  double loss(const Tensor& x, const Labels& y, const LossOptions& options = {});
  // The seed's loss(X) without labels: the output in evaluation mode (batch
  // norm uses its running statistics, dropout is off), evaluated without
  // recording gradients. Every module's mode is the same afterwards, and no
  // buffer changes.
  Tensor scores(const Tensor& x, const LossOptions& options = {});

  // How many of a batch's predictions are right, for the Solver's accuracy.
  struct Predictions {
    std::int64_t correct = 0;
    std::int64_t total = 0;
  };
  // `scores` are scores(x). A classifier (the default) makes one prediction
  // per example, its highest score, against y; a language model one per
  // predicted step of its sequences (models/char_rnn.h).
  virtual Predictions count_correct(const Tensor& scores, const Tensor& x, const Labels& y) const;

  // The tree, depth first in registration order (a module's own entries
  // before its children's), under dotted names.
  std::vector<Parameter> parameters() const;
  std::vector<std::pair<std::string, Parameter>> named_parameters() const;
  std::vector<NamedTensor> buffers() const;
  std::vector<NamedRng> generators() const;
  // The direct children, and every module of the tree with its path (the
  // root first, as "").
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }
  std::vector<std::pair<std::string, Module*>> named_modules();
  // A parameter, or a module, by dotted path; throws ArgumentError naming
  // the path when there is none.
  Parameter parameter(const std::string& name) const;
  Module& module(const std::string& path);
  // This module's own prefix in its tree ("layer1.0."; "" for a root).
  const std::string& prefix() const { return prefix_; }

  // Calls fn on this module and every descendant, parents first.
  void apply(const std::function<void(Module&)>& fn);
  void zero_grad();

  // Training (batch statistics, dropout on) or evaluation, for the whole tree.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  Mode mode() const { return training_ ? Mode::train : Mode::test; }

  // A callback with a module's input and output, after each call through
  // operator() (feature visualisation, activation statistics). Returns an
  // id for remove_forward_hook.
  using ForwardHook = std::function<void(Module&, const Var& input, const Var& output)>;
  int add_forward_hook(ForwardHook hook);
  void remove_forward_hook(int id);

  // The L2 penalty 0.5 * reg * sum(W^2) over the tree's weights (the
  // parameters registered as regularized), added by loss() of this module.
  double reg() const { return reg_; }
  void set_reg(double reg);

  // The dtype of the first parameter (float32 for a module without any):
  // loss() and scores() convert their input to it, as the seed's models do.
  DType dtype() const;

 protected:
  // The data loss of the scores of the batch x (in the model's dtype):
  // softmax cross-entropy against y unless overridden. A language model's
  // targets are in x itself, its inputs shifted by one step.
  virtual Var data_loss(const Var& scores, const Tensor& x, const Labels& y);

  // Registration, in the order the tree lists them. Names are unique within
  // a module, not empty and without a dot (ArgumentError otherwise). Weights
  // (regularized = true) get the L2 penalty. A child belongs to one parent.
  Parameter register_parameter(const std::string& name, Tensor value, bool regularized = false);
  void register_buffer(const std::string& name, Tensor& tensor);
  void register_generator(const std::string& name, Rng& rng);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> child) {
    add_child(name, child);
    return child;
  }
  void add_child(const std::string& name, std::shared_ptr<Module> child);

  // The sync batch norm sums of the loss() call running now (LossOptions),
  // for batch norm layers; null outside one.
  BatchStatisticsSum* batchnorm_sync() const { return batchnorm_sync_; }

 private:
  class CallScope;  // module.cc: what loss() and scores() set for one call
  struct OwnParameter {
    std::string name;  // within this module
    Parameter parameter;
    bool regularized;
  };
  void check_new_name(const std::string& name) const;
  void set_prefix(const std::string& prefix);
  void collect_regularized(std::vector<Parameter>& out) const;

  std::string prefix_;
  std::vector<OwnParameter> parameters_;
  std::vector<std::pair<std::string, Tensor*>> buffers_;
  std::vector<std::pair<std::string, Rng*>> generators_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  std::vector<std::pair<int, ForwardHook>> hooks_;
  int next_hook_id_ = 0;
  bool training_ = true;
  bool has_parent_ = false;
  double reg_ = 0.0;
  BatchStatisticsSum* batchnorm_sync_ = nullptr;
};

}  // namespace tg
