// Solver <-> Checkpoint: everything a run needs to continue bit for bit.
// Entry names:
//   meta/kind, meta/model                     what wrote the file
//   param/<name>, buffer/<name>               the model now
//   best/param/<name>, best/buffer/<name>     the best model so far
//   optim/rule, optim/slot/<parameter>/<slot> the optimizer
//   solver/...                                counters, batch size, training-set size
//   rng/solver/..., rng/model/<name>/...      the Solver's generator, each of
//                                             the model's (Module::generators())
//   history/iterations (K, 4), history/epochs (E, 5)   float64 tables
//   schedule/<name>                           the schedule's state (plateau's)
// Version 1 (before the settings were recorded) had no meta/state_version
// and meta/config but solver/learning_rate; it is refused with a message, as
// is version 2 (a flat model's parameter names and one model generator,
// before the module tree), naming its version.
// The learning rate is not saved: every step takes the schedule's, from the
// step and the schedule's state.
#include <fmt/format.h>

#include <array>
#include <cstring>

#include "graph/errors.h"
#include "io/file_error.h"
#include "solver/solver.h"

namespace tg {
namespace {

constexpr const char* kKind = "tapegrad.solver";
constexpr std::int64_t kStateVersion = 3;

// The config() fields a resumed run must share with the run it continues
// (num_epochs aside: it may grow). What is left out changes no result:
// divergence_factor, which only decides whether a run stops, and what a
// Solver's user records next to them (extra_config).
constexpr std::array<const char*, 17> kSameOnResume = {
    "update_rule",    "optim_config", "learning_rate",     "lr_schedule",      "lr_decay",
    "min_lr",         "warmup_steps", "plateau_factor",    "plateau_patience", "batch_size",
    "clip_grad_norm", "num_train",    "num_train_samples", "num_val",          "num_val_samples",
    "seed",           "reg"};

// What a run recorded before a setting existed had: its default.
Json before_recorded(const std::string& key) {
  const ScheduleOptions defaults;
  if (key == "warmup_steps") return defaults.warmup_steps;
  if (key == "plateau_factor") return defaults.plateau_factor;
  if (key == "plateau_patience") return defaults.plateau_patience;
  return Json();
}

void check_same_run(const Checkpoint& c, const Json& recorded, const Json& now) {
  for (const char* key : kSameOnResume) {
    const Json was = recorded.contains(key) ? recorded.at(key) : before_recorded(key);
    if (was != now.at(key)) {
      fail_file(c.source(),
                "the run used {} {}, this one has {}: it would not continue the same run", key,
                json_text(was), json_text(now.at(key)));
    }
  }
  const std::int64_t epochs = recorded.value("num_epochs", std::int64_t{0});
  const std::int64_t wanted = now.at("num_epochs").get<std::int64_t>();
  if (wanted < epochs) {
    fail_file(c.source(),
              "the run has num_epochs {}, this one {}: a run continues with as many epochs or "
              "more, not fewer",
              epochs, wanted);
  }
  if (wanted != epochs && now.at("lr_schedule") == "cosine") {
    fail_file(c.source(),
              "the run's cosine schedule spans its num_epochs {}: continued for {} epochs it "
              "would not be the {}-epoch run (the step schedule can grow)",
              epochs, wanted, wanted);
  }
}

void put_rng(Checkpoint& c, const std::string& prefix, const Rng::State& s) {
  for (std::size_t i = 0; i < s.words.size(); ++i) {
    c.put_int(prefix + "/word" + std::to_string(i), static_cast<std::int64_t>(s.words[i]));
  }
  c.put_int(prefix + "/has_spare_normal", s.has_spare_normal ? 1 : 0);
  c.put_real(prefix + "/spare_normal", s.spare_normal);
}

Rng::State get_rng(const Checkpoint& c, const std::string& prefix) {
  Rng::State s;
  for (std::size_t i = 0; i < s.words.size(); ++i) {
    s.words[i] = static_cast<std::uint64_t>(c.get_int(prefix + "/word" + std::to_string(i)));
  }
  s.has_spare_normal = c.get_int(prefix + "/has_spare_normal") != 0;
  s.spare_normal = c.get_real(prefix + "/spare_normal");
  return s;
}

// A float64 table of `columns` values per row.
Tensor table(const std::vector<std::vector<double>>& rows, std::int64_t columns) {
  Tensor t = Tensor::zeros({static_cast<std::int64_t>(rows.size()), columns}, DType::f64);
  double* d = t.data<double>();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::int64_t j = 0; j < columns; ++j) d[i * columns + j] = rows[i][j];
  }
  return t;
}

// The tensor `name` copied into `target`, which must match it in shape and dtype.
void restore_tensor(const Checkpoint& c, const std::string& name, Tensor& target) {
  const Tensor& saved = c.tensor(name);
  if (saved.shape() != target.shape() || saved.dtype() != target.dtype()) {
    fail_file(c.source(), "'{}' is {} {} but the model's is {} {}", name, name_of(saved.dtype()),
              saved.shape().str(), name_of(target.dtype()), target.shape().str());
  }
  target.copy_(saved);
}

const Tensor& table_entry(const Checkpoint& c, const std::string& name, std::int64_t columns) {
  const Tensor& t = c.tensor(name);
  if (t.dtype() != DType::f64 || t.rank() != 2 || t.dim(1) != columns) {
    fail_file(c.source(), "'{}' must be a float64 table with {} columns, got {} {}", name, columns,
              name_of(t.dtype()), t.shape().str());
  }
  return t;
}

}  // namespace

Checkpoint Solver::to_checkpoint() const {
  Checkpoint c;
  c.put_string("meta/kind", kKind);
  c.put_string("meta/model", model_.type());
  c.put_int("meta/state_version", kStateVersion);
  c.put_string("meta/config", json_text(config()));
  const std::vector<Parameter> parameters = model_.parameters();  // one walk of the tree
  const std::vector<NamedTensor> buffers = model_.buffers();
  for (const Parameter& p : parameters) c.put("param/" + p.name(), p.value());
  for (const NamedTensor& b : buffers) c.put("buffer/" + b.name, *b.tensor);
  for (std::size_t i = 0; i < best_parameters_.size(); ++i) {
    c.put("best/param/" + parameters[i].name(), best_parameters_[i]);
  }
  for (std::size_t i = 0; i < best_buffers_.size(); ++i) {
    c.put("best/buffer/" + buffers[i].name, best_buffers_[i]);
  }
  const OptimizerState optim = optimizer_->state();
  c.put_string("optim/rule", optim.rule);
  for (const auto& [key, tensor] : optim.slots) c.put("optim/slot/" + key, tensor);
  c.put_int("solver/iteration", iteration_);
  c.put_int("solver/epoch", epoch_);
  c.put_int("solver/batch_size", options_.batch_size);
  c.put_int("solver/num_train", data_.X_train.dim(0));
  c.put_real("solver/best_val_acc", best_val_acc_);
  put_rng(c, "rng/solver", rng_.state());
  for (const NamedRng& g : model_.generators()) put_rng(c, "rng/model/" + g.name, g.rng->state());
  std::vector<std::vector<double>> iterations, epochs;
  for (const IterationRecord& r : history_.iterations) {
    iterations.push_back({static_cast<double>(r.iteration), r.epoch, r.loss, r.lr});
  }
  for (const EpochRecord& r : history_.epochs) {
    epochs.push_back({static_cast<double>(r.epoch), r.train_acc, r.val_acc, r.lr, r.seconds});
  }
  c.put("history/iterations", table(iterations, 4));
  c.put("history/epochs", table(epochs, 5));
  for (const auto& [name, value] : schedule_->state()) c.put_real("schedule/" + name, value);
  return c;
}

void Solver::load_checkpoint(const Checkpoint& c) {
  if (!c.has("meta/kind") || c.get_string("meta/kind") != kKind) {
    fail_file(c.source(), "not a Solver checkpoint (meta/kind is missing or not '{}')", kKind);
  }
  if (c.get_string("meta/model") != model_.type()) {
    fail_file(c.source(), "a checkpoint of a {}, but this model is a {}",
              c.get_string("meta/model"), model_.type());
  }
  check_same_run(c, recorded_config(c), config());
  if (c.get_int("solver/num_train") != data_.X_train.dim(0)) {
    fail_file(c.source(), "the run trained on {} examples, this one has {}",
              c.get_int("solver/num_train"), data_.X_train.dim(0));
  }
  // Check and stage everything first, so a bad file leaves the solver as it was.
  std::vector<Tensor> params, buffers, best_params, best_buffers;
  const bool has_best =
      !model_.parameters().empty() && c.has("best/param/" + model_.parameters().front().name());
  for (const Parameter& p : model_.parameters()) {
    Tensor now = p.value().clone();
    restore_tensor(c, "param/" + p.name(), now);
    params.push_back(std::move(now));
    if (has_best) {
      Tensor best = p.value().clone();
      restore_tensor(c, "best/param/" + p.name(), best);
      best_params.push_back(std::move(best));
    }
  }
  for (const NamedTensor& b : model_.buffers()) {
    Tensor now = b.tensor->clone();
    restore_tensor(c, "buffer/" + b.name, now);
    buffers.push_back(std::move(now));
    if (has_best) {
      Tensor best = b.tensor->clone();
      restore_tensor(c, "best/buffer/" + b.name, best);
      best_buffers.push_back(std::move(best));
    }
  }
  OptimizerState optim{c.get_string("optim/rule"), {}};
  for (const std::string& name : c.names_with_prefix("optim/slot/")) {
    optim.slots.emplace(name.substr(std::strlen("optim/slot/")), c.tensor(name));
  }
  const Tensor& iterations = table_entry(c, "history/iterations", 4);
  const Tensor& epochs = table_entry(c, "history/epochs", 5);
  History history;
  const double* it = iterations.data<double>();
  for (std::int64_t i = 0; i < iterations.dim(0); ++i, it += 4) {
    history.iterations.push_back({static_cast<std::int64_t>(it[0]), it[1], it[2], it[3]});
  }
  const double* ep = epochs.data<double>();
  for (std::int64_t i = 0; i < epochs.dim(0); ++i, ep += 5) {
    history.epochs.push_back({static_cast<std::int64_t>(ep[0]), ep[1], ep[2], ep[3], ep[4]});
  }
  const Rng::State solver_rng = get_rng(c, "rng/solver");
  std::vector<Rng::State> model_rngs;
  for (const NamedRng& g : model_.generators())
    model_rngs.push_back(get_rng(c, "rng/model/" + g.name));
  const std::int64_t iteration = c.get_int("solver/iteration"), epoch = c.get_int("solver/epoch");
  const double best_val_acc = c.get_real("solver/best_val_acc");
  if (iteration < 0 || epoch < 0 ||
      static_cast<std::int64_t>(history.iterations.size()) != iteration) {
    fail_file(c.source(), "inconsistent counters: iteration {}, epoch {}, {} recorded losses",
              iteration, epoch, history.iterations.size());
  }
  ScheduleState schedule;
  for (const std::string& name : c.names_with_prefix("schedule/")) {
    schedule.emplace(name.substr(std::strlen("schedule/")), c.get_real(name));
  }
  try {  // the last check: it takes the state when it is good
    schedule_->load_state(schedule);
  } catch (const ArgumentError& e) {
    fail_file(c.source(), "{}", e.what());
  }

  optimizer_->load_state(optim);
  const std::vector<Parameter> model_parameters = model_.parameters();
  const std::vector<NamedTensor> model_buffers = model_.buffers();
  for (std::size_t i = 0; i < params.size(); ++i) model_parameters[i].value().copy_(params[i]);
  for (std::size_t i = 0; i < buffers.size(); ++i) model_buffers[i].tensor->copy_(buffers[i]);
  best_parameters_ = std::move(best_params);
  best_buffers_ = std::move(best_buffers);
  history_ = std::move(history);
  rng_.set_state(solver_rng);
  const std::vector<NamedRng> generators = model_.generators();
  for (std::size_t i = 0; i < generators.size(); ++i) generators[i].rng->set_state(model_rngs[i]);
  iteration_ = iteration;
  epoch_ = epoch;
  best_val_acc_ = best_val_acc;
}

void Solver::resume(const std::string& checkpoint_path) {
  load_checkpoint(Checkpoint::load(checkpoint_path));
}

Json recorded_config(const Checkpoint& c) {
  if (!c.has("meta/state_version")) {
    fail_file(c.source(),
              "a checkpoint of an earlier tapegrad (solver state version 1), which did not record "
              "the run's settings; this version continues runs of version {} only: start the run "
              "again",
              kStateVersion);
  }
  const std::int64_t version = c.get_int("meta/state_version");
  if (version != kStateVersion) {
    fail_file(c.source(), "solver state version {}, this build reads version {}{}", version,
              kStateVersion,
              version == 2 ? " (version 2 is from before the module tree renamed the models' "
                             "parameters: start the run again)"
                           : "");
  }
  Json config = Json::parse(c.get_string("meta/config"), nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) fail_file(c.source(), "meta/config is not a JSON object");
  return config;
}

}  // namespace tg
