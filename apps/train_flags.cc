#include "apps/train_flags.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string_view>

#include "apps/user_path.h"
#include "data/idx.h"
#include "data/text.h"
#include "graph/errors.h"
#include "optim/optimizer.h"

namespace tg {
namespace {

constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();

template <class... Args>
[[noreturn]] void fail_flag(fmt::format_string<Args...> format, Args&&... args) {
  throw ArgumentError(fmt::format(format, std::forward<Args>(args)...));
}

// Whole numbers: digits only (a leading '-' for negative ones), no spaces.
std::int64_t read_whole(std::string_view flag, const std::string& text, std::int64_t min,
                        std::int64_t max = kNoMax) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool read = error == std::errc() && end == text.data() + text.size() && !text.empty();
  if (read && value >= min && value <= max) return value;
  const std::string range = max != kNoMax ? fmt::format("a whole number from {} to {}", min, max)
                            : min == 1    ? std::string("a positive whole number")
                                          : fmt::format("a whole number of at least {}", min);
  fail_flag("--{} must be {}{}, got {}", flag, range,
            error == std::errc::result_out_of_range ? " (below 2^63)" : "", text);
}

enum class Range { positive, non_negative, fraction, open_fraction, guard };

// Finite numbers ("1e-3", "0.5"); `range` says which.
double read_number(std::string_view flag, const std::string& text, Range range) {
  char* end = nullptr;
  const double value = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  const bool read = !text.empty() && end == text.c_str() + text.size() && std::isfinite(value) &&
                    !std::isspace(static_cast<unsigned char>(text[0]));
  switch (range) {
    case Range::positive:
      if (read && value > 0) return value;
      fail_flag("--{} must be a positive finite number, got {}", flag, text);
    case Range::non_negative:
      if (read && value >= 0) return value;
      fail_flag("--{} must be a finite number, 0 or more, got {}", flag, text);
    case Range::fraction:
      if (read && value > 0 && value <= 1) return value;
      fail_flag("--{} must be a number above 0 and at most 1, got {}", flag, text);
    case Range::open_fraction:
      if (read && value > 0 && value < 1) return value;
      fail_flag("--{} must be a number above 0 and below 1, got {}", flag, text);
    case Range::guard:
      if (read && (value == 0 || value > 1)) return value;
      fail_flag("--{} must be 0 (no guard) or a finite number above 1, got {}", flag, text);
  }
  return value;
}

std::string read_choice(std::string_view flag, const std::string& text,
                        const std::vector<std::string>& choices) {
  for (const std::string& choice : choices) {
    if (text == choice) return text;
  }
  fail_flag("--{} must be one of {}; got {}", flag, fmt::join(choices, ", "), text);
}

bool read_switch(std::string_view flag, const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  fail_flag("--{} takes no value, got {}", flag, text);
}

// A folder typed on the command line, absolute and normalised, so that a run
// records where its data is wherever it is resumed from.
std::string absolute_folder(const std::string& text) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path path = fs::weakly_canonical(fs::absolute(from_user_folder(text)), error);
  if (error) path = fs::absolute(from_user_folder(text)).lexically_normal();
  std::string folder = path.string();
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
  return folder;
}

std::string text_of(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_array()) {
    std::string text;
    for (const Json& element : value) text += (text.empty() ? "" : ",") + text_of(element);
    return text;
  }
  // Numbers: the shortest text that reads back the same ("0.001", "1000").
  if (value.is_number_float()) return fmt::format("{}", value.get<double>());
  return json_text(value);
}

enum class OnResume { same, grow, any };

struct FlagSpec {
  const char* name;        // without "--"
  const char* value_name;  // "" for a switch
  const char* help;
  OnResume on_resume;
  void (*set)(TrainFlags&, const std::string& text);
  Json (*get)(const TrainFlags&);
  // Runs recorded before the flag existed: it had this value (as text);
  // nullptr: every recorded run has the flag.
  const char* before_recorded = nullptr;
};

// Every recorded flag, in --help's order.
const std::vector<FlagSpec>& flag_specs() {
  using F = TrainFlags;
  using S = const std::string&;
  static const std::vector<FlagSpec> specs = {
      {"data", "NAME", "Data set: fashion-mnist, mnist or cifar10", OnResume::same,
       [](F& f, S t) {
         f.data = read_choice("data", t, {"fashion-mnist", "mnist", "cifar10"});
       },
       [](const F& f) { return Json(f.data); }},
      {"data-dir", "DIR", "Folder with the data set's files (fashion-mnist: Debian's, by default)",
       OnResume::same, [](F& f, S t) { f.data_dir = t.empty() ? t : absolute_folder(t); },
       [](const F& f) { return Json(f.data_dir); }},
      {"model", "NAME",
       "cnn: ThreeLayerConvNet; fc: FullyConnectedNet; lstm: SequenceClassifier reading images "
       "row by row; charlm: CharRNN on --word-list",
       OnResume::same,
       [](F& f, S t) {
         f.model = read_choice("model", t, {"cnn", "fc", "lstm", "charlm"});
       },
       [](const F& f) { return Json(f.model); }},
      {"epochs", "N", "Epochs to train (charlm: 5; a resumed run may be given more)",
       OnResume::grow, [](F& f, S t) { f.epochs = read_whole("epochs", t, 1, kMaxIterations); },
       [](const F& f) { return Json(f.epochs); }},
      {"batch-size", "N", "Minibatch size", OnResume::same,
       [](F& f, S t) { f.batch_size = read_whole("batch-size", t, 1); },
       [](const F& f) { return Json(f.batch_size); }},
      {"lr", "NUMBER", "Initial learning rate (default: the optimizer's)", OnResume::same,
       [](F& f, S t) { f.lr = read_number("lr", t, Range::positive); },
       [](const F& f) { return f.lr ? Json(*f.lr) : Json(); }},
      {"lr-decay", "NUMBER", "Learning-rate factor per epoch (step schedule), in (0, 1]",
       OnResume::same, [](F& f, S t) { f.lr_decay = read_number("lr-decay", t, Range::fraction); },
       [](const F& f) { return Json(f.lr_decay); }},
      {"lr-schedule", "NAME",
       "Learning rate per step: constant; step (times --lr-decay each epoch); cosine (down to "
       "--min-lr at the last step); plateau (times --plateau-factor after --plateau-patience "
       "epochs without a better validation accuracy, down to --min-lr)",
       OnResume::same,
       [](F& f, S t) {
         f.lr_schedule = read_choice("lr-schedule", t, {"constant", "step", "cosine", "plateau"});
       },
       [](const F& f) { return Json(f.lr_schedule); }},
      {"warmup-steps", "N",
       "Linear warm-up: step s < N (from 0) takes the schedule's rate times (s + 1) / N (0: none)",
       OnResume::same,
       [](F& f, S t) { f.warmup_steps = read_whole("warmup-steps", t, 0, kMaxIterations); },
       [](const F& f) { return Json(f.warmup_steps); }, "0"},
      {"min-lr", "NUMBER", "cosine: the last learning rate; plateau: the lowest (below --lr)",
       OnResume::same, [](F& f, S t) { f.min_lr = read_number("min-lr", t, Range::non_negative); },
       [](const F& f) { return Json(f.min_lr); }, "0"},
      {"plateau-factor", "NUMBER", "plateau: the learning rate's factor at a cut, in (0, 1)",
       OnResume::same,
       [](F& f, S t) { f.plateau_factor = read_number("plateau-factor", t, Range::open_fraction); },
       [](const F& f) { return Json(f.plateau_factor); }, "0.5"},
      {"plateau-patience", "N",
       "plateau: epochs in a row without a better validation accuracy that cut the rate",
       OnResume::same, [](F& f, S t) { f.plateau_patience = read_whole("plateau-patience", t, 1); },
       [](const F& f) { return Json(f.plateau_patience); }, "2"},
      {"optimizer", "NAME",
       "Update rule: sgd, sgd_momentum, sgd_nesterov_momentum, rmsprop, adam or adamw",
       OnResume::same,
       [](F& f, S t) {
         f.optimizer = read_choice(
             "optimizer", t,
             {"sgd", "sgd_momentum", "sgd_nesterov_momentum", "rmsprop", "adam", "adamw"});
       },
       [](const F& f) { return Json(f.optimizer); }},
      {"reg", "NUMBER", "L2 regularisation strength", OnResume::same,
       [](F& f, S t) { f.reg = read_number("reg", t, Range::non_negative); },
       [](const F& f) { return Json(f.reg); }},
      {"num-train", "N", "Training images (0: all but the validation ones)", OnResume::same,
       [](F& f, S t) { f.num_train = read_whole("num-train", t, 0); },
       [](const F& f) { return Json(f.num_train); }},
      {"num-val", "N", "Validation images, taken after the training ones", OnResume::same,
       [](F& f, S t) { f.num_val = read_whole("num-val", t, 1); },
       [](const F& f) { return Json(f.num_val); }},
      {"num-test", "N", "Test images (0: the whole test set)", OnResume::same,
       [](F& f, S t) { f.num_test = read_whole("num-test", t, 0); },
       [](const F& f) { return Json(f.num_test); }},
      {"seed", "N", "Seed of initial weights, minibatches and dropout", OnResume::same,
       [](F& f, S t) {
         std::uint64_t value = 0;
         const auto [end, error] = std::from_chars(t.data(), t.data() + t.size(), value);
         if (error != std::errc() || end != t.data() + t.size() || t.empty()) {
           fail_flag("--seed must be a whole number from 0 to {}, got {}",
                     std::numeric_limits<std::uint64_t>::max(), t);
         }
         f.seed = value;
       },
       [](const F& f) { return Json(f.seed); }},
      {"no-batchnorm", "", "Without (spatial) batch norm", OnResume::same,
       [](F& f, S t) { f.no_batchnorm = read_switch("no-batchnorm", t); },
       [](const F& f) { return Json(f.no_batchnorm); }},
      {"filters", "N", "cnn: number of filters", OnResume::same,
       [](F& f, S t) { f.filters = read_whole("filters", t, 1); },
       [](const F& f) { return Json(f.filters); }},
      {"filter-size", "N", "cnn: filter size (odd)", OnResume::same,
       [](F& f, S t) {
         f.filter_size = read_whole("filter-size", t, 1, 99);
         if (f.filter_size % 2 == 0) fail_flag("--filter-size must be odd, got {}", t);
       },
       [](const F& f) { return Json(f.filter_size); }},
      {"hidden", "N", "cnn, lstm, charlm: hidden units (default: lstm 128, charlm 256)",
       OnResume::same, [](F& f, S t) { f.hidden = read_whole("hidden", t, 1); },
       [](const F& f) { return Json(f.hidden); }},
      {"hidden-dims", "N,N,...", "fc: hidden layer sizes", OnResume::same,
       [](F& f, S t) {
         f.hidden_dims.clear();
         std::size_t begin = 0;
         while (begin <= t.size()) {
           const std::size_t comma = std::min(t.find(',', begin), t.size());
           const std::string piece = t.substr(begin, comma - begin);
           std::int64_t value = 0;
           const auto [end, error] =
               std::from_chars(piece.data(), piece.data() + piece.size(), value);
           if (error != std::errc() || end != piece.data() + piece.size() || piece.empty() ||
               value < 1) {
             fail_flag("--hidden-dims must be positive whole numbers separated by commas, got {}",
                       t);
           }
           f.hidden_dims.push_back(value);
           begin = comma + 1;
         }
       },
       [](const F& f) { return Json(f.hidden_dims); }},
      {"keep-prob", "NUMBER", "fc: dropout keep probability, in (0, 1] (1: no dropout)",
       OnResume::same,
       [](F& f, S t) { f.keep_prob = read_number("keep-prob", t, Range::fraction); },
       [](const F& f) { return Json(f.keep_prob); }},
      {"divergence-factor", "NUMBER",
       "Stop when a loss is more than this many times the first one (0: never)", OnResume::any,
       [](F& f, S t) { f.divergence_factor = read_number("divergence-factor", t, Range::guard); },
       [](const F& f) { return Json(f.divergence_factor); }},
      {"threads", "N", "Threads (results do not depend on them)", OnResume::any,
       [](F& f, S t) { f.threads = read_whole("threads", t, 1, 256); },
       [](const F& f) { return Json(f.threads); }},
      {"checkpoint-every", "N", "Also checkpoint every N iterations (0: at epoch ends only)",
       OnResume::any, [](F& f, S t) { f.checkpoint_every = read_whole("checkpoint-every", t, 0); },
       [](const F& f) { return Json(f.checkpoint_every); }},
      {"detect-anomaly", "",
       "Check every op's output and gradient for NaN/inf, naming the first bad op (slower)",
       OnResume::any, [](F& f, S t) { f.detect_anomaly = read_switch("detect-anomaly", t); },
       [](const F& f) { return Json(f.detect_anomaly); }},
      {"clip-grad-norm", "NUMBER",
       "Clip the gradients to this global L2 norm before each update (0: never; charlm: 5)",
       OnResume::same,
       [](F& f, S t) { f.clip_grad_norm = read_number("clip-grad-norm", t, Range::non_negative); },
       [](const F& f) { return Json(f.clip_grad_norm); }, "0"},
      {"word-list", "FILE", "charlm: the words, one per line (default: Debian's wamerican)",
       OnResume::same, [](F& f, S t) { f.word_list = t.empty() ? t : absolute_folder(t); },
       [](const F& f) { return Json(f.word_list); }, ""},
      {"sync-batchnorm", "",
       "Under mpirun: batch norm with the global batch's statistics (default: each process's "
       "own slice, as PyTorch's DDP)",
       OnResume::same, [](F& f, S t) { f.sync_batchnorm = read_switch("sync-batchnorm", t); },
       [](const F& f) { return Json(f.sync_batchnorm); }, "false"},
  };
  return specs;
}

// "this run's --lr 0.001", or for a switch "this run, started without --no-batchnorm".
std::string recorded_setting(const FlagSpec& spec, const Json& value) {
  if (*spec.value_name == '\0') {
    return fmt::format("this run, started {} --{}", value.get<bool>() ? "with" : "without",
                       spec.name);
  }
  return fmt::format("this run's --{} {}", spec.name, text_of(value));
}

// "--lr 0.01", or for a switch "--no-batchnorm".
std::string given_setting(const FlagSpec& spec, const Json& value) {
  if (*spec.value_name == '\0') return fmt::format("--{}", spec.name);
  return fmt::format("--{} {}", spec.name, text_of(value));
}

// A folder flag given an empty value (an unset shell variable) names no
// folder: refused rather than read as the flag not given.
CLI::Validator non_empty_folder() {
  return CLI::Validator(
      [](const std::string& value) {
        return value.empty() ? std::string("must name a folder, got an empty string")
                             : std::string();
      },
      "FOLDER");
}

}  // namespace

TrainCommandLine::TrainCommandLine(CLI::App& app) : app_(app) {
  const TrainFlags defaults;
  for (const FlagSpec& spec : flag_specs()) {
    const std::string option = std::string("--") + spec.name;
    if (*spec.value_name == '\0') {
      app.add_flag(option, switches_[spec.name], spec.help);
      continue;
    }
    const Json value = spec.get(defaults);
    app.add_option(option, texts_[spec.name], spec.help)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)  // the last one given counts
        ->type_name(spec.value_name)
        ->default_str(value.is_null() ? "" : text_of(value));
  }
  app.add_option("--out", out_, "Run folder of a new run (default: runs/<data>-<model>-<time>)")
      ->type_name("DIR")
      ->check(non_empty_folder());
  app.add_flag("--overwrite", overwrite_,
               "Train into --out even if it holds a run, removing that run's files first");
  app.add_option("--resume", resume_,
                 "Continue the run in this folder with its recorded flags (more --epochs may be "
                 "given; --threads, --checkpoint-every, --detect-anomaly and --divergence-factor "
                 "may change)")
      ->type_name("RUN_FOLDER")
      ->check(non_empty_folder());
}

TrainFlags default_flags(const std::string& model) {
  TrainFlags flags;
  flags.model = model;
  if (model == "lstm") flags.hidden = 128;
  if (model == "charlm") {
    flags.hidden = 256;
    flags.clip_grad_norm = 5;
    flags.epochs = 5;
  }
  return flags;
}

TrainFlags TrainCommandLine::new_run() const {
  TrainFlags model;
  if (app_.count("--model") != 0) model.model = texts_.at("model");
  apply_to(model);  // an unknown --model is refused here, naming the flag
  return apply_to(default_flags(model.model));
}

TrainFlags TrainCommandLine::apply_to(TrainFlags flags) const {
  for (const FlagSpec& spec : flag_specs()) {
    const std::string option = std::string("--") + spec.name;
    if (app_.count(option) == 0) continue;
    spec.set(flags, *spec.value_name == '\0' ? "true" : texts_.at(spec.name));
  }
  return flags;
}

TrainFlags TrainCommandLine::continue_run(const TrainFlags& recorded) const {
  const TrainFlags flags = apply_to(recorded);
  for (const FlagSpec& spec : flag_specs()) {
    if (app_.count(std::string("--") + spec.name) == 0 || spec.on_resume == OnResume::any) continue;
    const Json was = spec.get(recorded), now = spec.get(flags);
    if (spec.on_resume == OnResume::grow) {
      if (flags.epochs < recorded.epochs) {
        fail_flag(
            "--epochs {} is fewer than this run's --epochs {}: a run continues with as many "
            "epochs or more",
            flags.epochs, recorded.epochs);
      }
      if (flags.epochs != recorded.epochs && flags.lr_schedule == "cosine") {
        fail_flag(
            "--epochs: this run's cosine schedule spans its {} epochs; continued for {} it "
            "would not be a {}-epoch run (only the step schedule can grow)",
            recorded.epochs, flags.epochs, flags.epochs);
      }
    } else if (was != now) {
      fail_flag(
          "{} differs from {}: a resumed run keeps the settings it started with (leave --{} "
          "out to continue it, or start a new run)",
          given_setting(spec, now), recorded_setting(spec, was), spec.name);
    }
  }
  return flags;
}

void finish_flags(TrainFlags& flags) {
  if (!flags.lr) flags.lr = make_optimizer(flags.optimizer)->learning_rate();
  if ((flags.lr_schedule == "cosine" || flags.lr_schedule == "plateau") &&
      !(flags.min_lr < *flags.lr)) {
    fail_flag("--min-lr {} must be below --lr {}: the {} schedule falls to it", flags.min_lr,
              *flags.lr, flags.lr_schedule);
  }
  if (flags.model == "charlm" && flags.data != "fashion-mnist") {
    fail_flag("--data {} with --model charlm: the language model reads --word-list, not images",
              flags.data);
  }
  if (flags.data_dir.empty()) {
    if (flags.data == "cifar10") {
      fail_flag(
          "--data cifar10 needs --data-dir: the folder with data_batch_1.bin ... "
          "test_batch.bin (CIFAR-10 binary version)");
    }
    if (flags.data == "mnist") {
      fail_flag(
          "--data mnist needs --data-dir: the folder with train-images-idx3-ubyte(.gz) and "
          "the three other IDX files");
    }
    flags.data_dir = absolute_folder(std::string(kFashionMnistFolder));
  }
  if (flags.word_list.empty()) flags.word_list = kWordListPath;
  if (flags.model == "fc" && !flags.no_batchnorm && flags.batch_size == 1) {
    fail_flag(
        "--batch-size 1 with batch norm: batch statistics need more than one example per "
        "batch (one example always normalises to 0 and nothing is learnt); give "
        "--batch-size 2 or more, or --no-batchnorm");
  }
}

Json flags_to_json(const TrainFlags& flags) {
  Json json = Json::object();
  for (const FlagSpec& spec : flag_specs()) json[spec.name] = spec.get(flags);
  return json;
}

TrainFlags flags_from_json(const Json& json) {
  TrainFlags flags;
  for (const FlagSpec& spec : flag_specs()) {
    const bool recorded = json.is_object() && json.contains(spec.name);
    if (!recorded && spec.before_recorded != nullptr) {
      spec.set(flags, spec.before_recorded);
      continue;
    }
    if (!recorded) fail_flag("the run's recorded flags lack --{}", spec.name);
    spec.set(flags, text_of(json.at(spec.name)));
  }
  return flags;
}

}  // namespace tg
