#include "nn/module.h"

#include <algorithm>
#include <cmath>

#include "graph/checks.h"
#include "ops/losses/l2_penalty.h"
#include "ops/losses/softmax_loss.h"
#include "ops/math/add.h"

namespace tg {
// Sets the call's batch norm sums on every module of the tree, and restores
// every module's mode and clears the sums however the call ends.
class Module::CallScope {
 public:
  CallScope(Module& root, BatchStatisticsSum* sync) {
    root.apply([&](Module& m) {
      modules_.emplace_back(&m, m.training_);
      m.batchnorm_sync_ = sync;
    });
  }
  ~CallScope() {
    for (const auto& [module, training] : modules_) {
      module->batchnorm_sync_ = nullptr;
      module->training_ = training;
    }
  }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  std::vector<std::pair<Module*, bool>> modules_;
};

Var Module::operator()(const Var& x) {
  Var out = forward(x);
  for (const auto& [id, hook] : hooks_) hook(*this, x, out);
  return out;
}

std::vector<LayerSpec> Module::layer_specs() const {
  fail(type(),
       "this module cannot describe its forward pass as layers (it defines no layer_specs)");
}

double Module::loss(const Tensor& x, const Labels& y, const LossOptions& options) {
  CallScope scope(*this, options.batchnorm_sync);
  Tape::Options tape_options;
  tape_options.detect_anomaly = options.detect_anomaly;
  tape_options.on_parameter_grad = options.on_parameter_grad;
  Tape tape(tape_options);
  // As the seed's models do (X.astype(self.dtype)), compute in the model's dtype.
  const DType t = dtype();
  const Tensor input = x.dtype() == t ? x : x.to(t);
  Var scores = (*this)(tape.constant(input));
  Var total = data_loss(scores, input, y);
  if (reg_ > 0) {
    std::vector<Parameter> weights;
    collect_regularized(weights);
    for (const Parameter& w : weights) total = total + l2_penalty(tape.param(w), reg_);
  }
  tape.backward(total);
  return total.value().item();
}

Tensor Module::scores(const Tensor& x, const LossOptions& options) {
  CallScope scope(*this, nullptr);
  eval();
  Tape::Options tape_options = Tape::inference();
  tape_options.detect_anomaly = options.detect_anomaly;
  Tape tape(tape_options);
  const DType t = dtype();
  return (*this)(tape.constant(x.dtype() == t ? x : x.to(t))).value();
}

Var Module::data_loss(const Var& scores, const Tensor&, const Labels& y) {
  return softmax_loss(scores, y);
}

Module::Predictions Module::count_correct(const Tensor& scores, const Tensor&,
                                          const Labels& y) const {
  check_rank(type(), "scores (N, classes)", scores, 2);
  check_labels(type(), y, scores.dim(0), scores.dim(1));
  Predictions predictions;
  predictions.total = scores.dim(0);
  dispatch(scores.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* s = scores.data<T>();
    const std::int64_t classes = scores.dim(1);
    for (std::int64_t i = 0; i < scores.dim(0); ++i) {
      std::int64_t best = 0;  // the first of equal highest scores
      for (std::int64_t j = 1; j < classes; ++j) {
        if (s[i * classes + j] > s[i * classes + best]) best = j;
      }
      predictions.correct += best == y[i];
    }
  });
  return predictions;
}

std::vector<Parameter> Module::parameters() const {
  std::vector<Parameter> out;
  for (const OwnParameter& p : parameters_) out.push_back(p.parameter);
  for (const auto& [name, child] : children_) {
    for (Parameter& p : child->parameters()) out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::pair<std::string, Parameter>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Parameter>> out;
  for (const Parameter& p : parameters()) out.emplace_back(p.name(), p);
  return out;
}

std::vector<NamedTensor> Module::buffers() const {
  std::vector<NamedTensor> out;
  for (const auto& [name, tensor] : buffers_) out.push_back({prefix_ + name, tensor});
  for (const auto& [name, child] : children_) {
    for (NamedTensor& b : child->buffers()) out.push_back(std::move(b));
  }
  return out;
}

std::vector<NamedRng> Module::generators() const {
  std::vector<NamedRng> out;
  for (const auto& [name, rng] : generators_) out.push_back({prefix_ + name, rng});
  for (const auto& [name, child] : children_) {
    for (NamedRng& g : child->generators()) out.push_back(std::move(g));
  }
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  const std::size_t skip = prefix_.size();
  apply([&](Module& m) {
    std::string path = m.prefix_.substr(skip);
    if (!path.empty()) path.pop_back();  // the trailing dot
    out.emplace_back(std::move(path), &m);
  });
  return out;
}

Parameter Module::parameter(const std::string& name) const {
  for (const Parameter& p : parameters()) {
    if (p.name() == prefix_ + name) return p;
  }
  fail(type(), "no parameter named '{}'", name);
}

Module& Module::module(const std::string& path) {
  for (const auto& [name, m] : named_modules()) {
    if (name == path) return *m;
  }
  fail(type(), "no module at '{}'", path);
}

void Module::apply(const std::function<void(Module&)>& fn) {
  fn(*this);
  for (const auto& [name, child] : children_) child->apply(fn);
}

void Module::zero_grad() {
  for (const Parameter& p : parameters()) p.zero_grad();
}

void Module::train(bool on) {
  apply([on](Module& m) { m.training_ = on; });
}

int Module::add_forward_hook(ForwardHook hook) {
  if (!hook) fail(type(), "the forward hook is empty");
  hooks_.emplace_back(next_hook_id_, std::move(hook));
  return next_hook_id_++;
}

void Module::remove_forward_hook(int id) {
  const auto it = std::find_if(hooks_.begin(), hooks_.end(),
                               [id](const auto& entry) { return entry.first == id; });
  if (it == hooks_.end()) fail(type(), "no forward hook with id {}", id);
  hooks_.erase(it);
}

void Module::set_reg(double reg) {
  if (!(reg >= 0) || !std::isfinite(reg)) {
    fail(type(), "reg must be a finite number >= 0, got {}", reg);
  }
  reg_ = reg;
}

DType Module::dtype() const {
  if (!parameters_.empty()) return parameters_.front().parameter.value().dtype();
  for (const auto& [name, child] : children_) {
    if (!child->parameters().empty()) return child->dtype();
  }
  return DType::f32;
}

void Module::check_new_name(const std::string& name) const {
  if (name.empty()) fail(type(), "a parameter, buffer or child needs a name");
  if (name.find('.') != std::string::npos) {
    fail(type(), "'{}': names cannot contain a dot (dots separate the tree's levels)", name);
  }
  const auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(),
                       [&](const auto& entry) { return entry.first == name; });
  };
  const bool parameter_taken = std::any_of(parameters_.begin(), parameters_.end(),
                                           [&](const OwnParameter& p) { return p.name == name; });
  if (parameter_taken || taken(buffers_) || taken(generators_) || taken(children_)) {
    fail(type(), "'{}' is registered twice in this module", name);
  }
}

Parameter Module::register_parameter(const std::string& name, Tensor value, bool regularized) {
  check_new_name(name);
  Parameter p(prefix_ + name, std::move(value));
  parameters_.push_back({name, p, regularized});
  return p;
}

void Module::register_buffer(const std::string& name, Tensor& tensor) {
  check_new_name(name);
  buffers_.emplace_back(name, &tensor);
}

void Module::register_generator(const std::string& name, Rng& rng) {
  check_new_name(name);
  generators_.emplace_back(name, &rng);
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> child) {
  if (!child) fail(type(), "child '{}' is null", name);
  check_new_name(name);
  if (child->has_parent_) {
    fail(type(), "child '{}' ({}) already belongs to another module", name, child->type());
  }
  bool is_ancestor_or_self = child.get() == this;
  child->apply([&](Module& m) { is_ancestor_or_self = is_ancestor_or_self || &m == this; });
  if (is_ancestor_or_self) fail(type(), "child '{}' would make the tree a cycle", name);
  child->has_parent_ = true;
  child->set_prefix(prefix_ + name + ".");
  child->train(training_);
  children_.emplace_back(name, std::move(child));
}

void Module::set_prefix(const std::string& prefix) {
  prefix_ = prefix;
  for (OwnParameter& p : parameters_) p.parameter.set_name(prefix_ + p.name);
  for (const auto& [name, child] : children_) child->set_prefix(prefix_ + name + ".");
}

void Module::collect_regularized(std::vector<Parameter>& out) const {
  for (const OwnParameter& p : parameters_) {
    if (p.regularized) out.push_back(p.parameter);
  }
  for (const auto& [name, child] : children_) child->collect_regularized(out);
}

}  // namespace tg
