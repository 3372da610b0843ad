// The flags of tools/train. One table (train_flags.cc) says for each flag
// its help, how its text is read (errors in plain words: "--lr must be a
// positive finite number, got 0"), how a run records it (history.json and
// the checkpoint) and what a resumed run may do with it: keep it (most),
// grow it (--epochs) or change it (--threads, --checkpoint-every,
// --detect-anomaly, --divergence-factor: they change no trained number).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "optim/schedule.h"
#include "report/json.h"

namespace tg {

// The settings of a run, as a run records them.
struct TrainFlags {
  std::string data = "fashion-mnist";
  std::string data_dir;  // absolute once finished (the default folder for fashion-mnist)
  std::string model = "cnn";
  std::int64_t epochs = 10;
  std::int64_t batch_size = 64;
  std::optional<double> lr;  // once finished: the optimizer's default when not given
  double lr_decay = 0.8;
  std::string lr_schedule = "step";  // constant, step, cosine or plateau
  // The schedules' other settings (optim/schedule.h), with its defaults.
  std::int64_t warmup_steps = ScheduleOptions{}.warmup_steps;
  double min_lr = ScheduleOptions{}.min_lr;
  double plateau_factor = ScheduleOptions{}.plateau_factor;
  std::int64_t plateau_patience = ScheduleOptions{}.plateau_patience;
  std::string optimizer = "adam";
  double reg = 0.0;
  std::int64_t num_train = 0;  // 0: all the training images but the validation ones
  std::int64_t num_val = 5000;
  std::int64_t num_test = 0;  // 0: the whole test set
  std::uint64_t seed = 0;
  bool no_batchnorm = false;
  std::int64_t filters = 32;
  std::int64_t filter_size = 7;
  std::int64_t hidden = 100;
  std::vector<std::int64_t> hidden_dims = {256, 256};
  double keep_prob = 1.0;
  double divergence_factor = 100.0;
  std::int64_t threads = 2;
  std::int64_t checkpoint_every = 0;
  bool detect_anomaly = false;
  double clip_grad_norm = 0.0;  // 0: no clipping
  std::string word_list;        // charlm: absolute once finished (Debian's wamerican by default)
  // Data-parallel runs (mpirun): batch norm with the global batch's
  // statistics (the processes sum their per-channel sums); without it each
  // process normalises with its own slice's, as PyTorch's DDP does.
  bool sync_batchnorm = false;
};

// The defaults of a new run of `model` (cnn, fc, lstm or charlm): TrainFlags{}
// but for lstm --hidden 128 and for charlm --hidden 256, --clip-grad-norm 5
// and --epochs 5.
TrainFlags default_flags(const std::string& model);

// The most iterations a run may have (epochs x iterations per epoch): far
// beyond any real run, and a history that still fits in memory.
inline constexpr std::int64_t kMaxIterations = 100'000'000;

// The command line: every flag of TrainFlags, and --out, --resume and
// --overwrite, which choose the run folder.
class TrainCommandLine {
 public:
  // Adds the options to `app`; parse with app.parse().
  explicit TrainCommandLine(CLI::App& app);

  const std::string& out() const { return out_; }
  const std::string& resume() const { return resume_; }
  bool overwrite() const { return overwrite_; }

  // A new run's flags: the defaults of the --model given (default_flags)
  // with the flags given read into them.
  TrainFlags new_run() const;
  // `base` (the defaults, or a run's recorded flags) with the flags given
  // on the command line read into it. Throws ArgumentError naming the flag
  // for a value it cannot take.
  TrainFlags apply_to(TrainFlags base) const;
  // A resumed run's flags: the recorded ones with the flags given applied.
  // Throws ArgumentError naming the flag and both values when a given flag
  // would change the run (--epochs may grow, but not with the cosine
  // schedule, which spans the run's epochs).
  TrainFlags continue_run(const TrainFlags& recorded) const;

 private:
  CLI::App& app_;
  std::map<std::string, std::string> texts_;  // by flag name, without "--"
  std::map<std::string, bool> switches_;
  std::string out_, resume_;
  bool overwrite_ = false;
};

// Fills in what the other flags imply (the optimizer's default learning
// rate, the data folder made absolute, or the default one) and checks the
// flags together. Throws ArgumentError naming the flag.
void finish_flags(TrainFlags& flags);

// The flags as a run records them: {"data": "fashion-mnist", "epochs": 10, ...}
// (the flag names without "--"), and back. flags_from_json throws
// ArgumentError naming a flag that is missing or cannot be read; flags
// added since runs were first recorded (--clip-grad-norm, --word-list,
// --sync-batchnorm, --warmup-steps, --min-lr, --plateau-factor,
// --plateau-patience) take their default when missing.
Json flags_to_json(const TrainFlags& flags);
TrainFlags flags_from_json(const Json& json);

}  // namespace tg
