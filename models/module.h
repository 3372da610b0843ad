// Module: what every model is. A module owns named parameters (trained),
// named buffers (state that is saved but not trained, like running
// statistics) and a random generator for its stochastic layers; it knows
// whether it is training or being evaluated; and it defines forward(), the
// class scores for a batch, as tape ops. loss() and scores() build the tape.
//
//   class TwoLayerNet : public tg::Module {
//    public:
//     TwoLayerNet(std::int64_t in, std::int64_t hidden, std::int64_t classes) {
//       tg::Rng rng(0);
//       w1_ = add_parameter("W1", tg::Tensor::randn({in, hidden}, rng, tg::DType::f32, 0, 1e-2));
//       ...
//     }
//     tg::Var forward(const tg::Var& x) override {
//       return tg::linear(tg::relu(tg::linear(x, w1_, b1_)), w2_, b2_);
//     }
//   };
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "graph/labels.h"
#include "graph/parameter.h"
#include "graph/rng.h"
#include "graph/tape.h"
#include "graph/tensor.h"
#include "models/input_spec.h"
#include "models/layer_spec.h"
#include "models/model_config.h"
#include "ops/kernels/mode.h"
#include "ops/kernels/normalization.h"

namespace tg {

// A buffer: a tensor the module owns outside its parameters.
struct NamedTensor {
  std::string name;
  Tensor* tensor;
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  // Parameters and buffers are registered by address: a module stays put.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The class scores (N, num_classes) for a batch x (a value on a tape).
  virtual Var forward(const Var& x) = 0;
  // A short name that identifies the architecture in checkpoints.
  virtual std::string name() const = 0;
  // The options its constructor needs (layer sizes, batch norm on or off,
  // dtype...): with them and a factory registered under name(), load_model
  // builds the model from a model file (models/model_file.h). Empty by default.
  virtual ModelConfig config() const { return {}; }
  // The forward pass at test time, layer by layer, for exports that run it
  // without tapegrad (params/model.json; see layer_spec.h). Empty by default.
  virtual std::vector<LayerSpec> layers() const { return {}; }

  // Model files (models/model_file.h): writes name(), config(), every
  // parameter and buffer, and how inputs are prepared, atomically.
  void save(const std::string& path, const InputSpec& input = {}) const;
  // Reads a model file of this model (the same name(), parameter and buffer
  // names and shapes) into it and returns how its inputs are prepared.
  // Throws FileError naming the file; the model is unchanged then.
  InputSpec load(const std::string& path);

  // The seed's loss(X, y): records forward, the data loss and the L2 penalty
  // on a fresh tape, runs backward, and returns the loss. Gradients are added
  // to each parameter's grad() (call zero_grad() between steps).
  double loss(const Tensor& x, const Labels& y);
  // The seed's loss(X) without labels: the class scores in test mode (batch
  // norm uses its running statistics, dropout is off), evaluated without
  // recording gradients. The module's mode() is the same afterwards.
  Tensor scores(const Tensor& x);

  // How many of a batch's predictions are right, for the Solver's accuracy.
  struct Predictions {
    std::int64_t correct = 0;
    std::int64_t total = 0;
  };
  // `scores` are scores(x). A classifier (the default) makes one prediction
  // per example, its highest score, against y; a language model one per
  // predicted step of its sequences (models/char_rnn.h).
  virtual Predictions count_correct(const Tensor& scores, const Tensor& x, const Labels& y) const;

  const std::vector<Parameter>& parameters() const { return parameters_; }
  const std::vector<NamedTensor>& buffers() const { return buffers_; }
  Parameter parameter(const std::string& name) const;  // throws if absent
  void zero_grad();

  // Training (batch statistics, dropout on) or evaluation mode.
  void train() { mode_ = Mode::train; }
  void eval() { mode_ = Mode::test; }
  Mode mode() const { return mode_; }

  // The weights the L2 penalty 0.5 * reg * sum(W^2) applies to, and reg.
  double reg() const { return reg_; }
  void set_reg(double reg);

  DType dtype() const { return dtype_; }

  // Checks every op's output (and every gradient) for NaN or infinity as
  // the tape records it, naming the first op that produced one (slower).
  void set_detect_anomaly(bool on) { detect_anomaly_ = on; }

  // Sync batch norm in a data-parallel run (distributed/sync_batchnorm.h): the
  // models' forward() passes these sums to their batch norm layers
  // (BatchNormState::sync), which then use the global batch's statistics.
  // Null (the default): each process's own batch.
  void set_batchnorm_sync(BatchStatisticsSum* sync) { batchnorm_sync_ = sync; }
  BatchStatisticsSum* batchnorm_sync() const { return batchnorm_sync_; }

  // Passed to the tape of every loss() (Tape::Options::on_parameter_grad):
  // called as each parameter's gradient is complete. Empty: nothing.
  void set_on_parameter_grad(std::function<void(const Parameter&)> hook) {
    on_parameter_grad_ = std::move(hook);
  }

  // The generator behind dropout masks (saved in checkpoints).
  Rng& rng() { return rng_; }

 protected:
  // The data loss of the scores of the batch x (in the model's dtype):
  // softmax cross-entropy against y unless overridden. A language model's
  // targets are in x itself, its inputs shifted by one step.
  virtual Var data_loss(const Var& scores, const Tensor& x, const Labels& y);

  // Registration, in the order parameters() and buffers() list them. Names
  // must be unique. Weights (regularized = true) get the L2 penalty.
  Parameter add_parameter(const std::string& name, Tensor value, bool regularized = false);
  void add_buffer(const std::string& name, Tensor& tensor);
  void set_dtype(DType dtype) { dtype_ = dtype; }
  void seed_rng(std::uint64_t seed) { rng_ = Rng(seed); }

 private:
  std::vector<Parameter> parameters_;
  std::vector<Parameter> regularized_;
  std::vector<NamedTensor> buffers_;
  Mode mode_ = Mode::train;
  double reg_ = 0.0;
  DType dtype_ = DType::f32;
  bool detect_anomaly_ = false;
  BatchStatisticsSum* batchnorm_sync_ = nullptr;
  std::function<void(const Parameter&)> on_parameter_grad_;
  Rng rng_{0};
};

}  // namespace tg
