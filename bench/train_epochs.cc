#include "bench/train_epochs.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>

#include "bench/workloads.h"
#include "data/idx.h"
#include "data/preprocess.h"
#include "graph/errors.h"
#include "graph/float_env.h"
#include "graph/labels.h"
#include "graph/rng.h"
#include "models/three_layer_convnet.h"
#include "optim/update_rules.h"
#include "bench/work.h"
#include "bench/workloads.h"

namespace tg::bench {

std::int64_t count_subnormal_floats(const Tensor& t) {
  if (t.dtype() != DType::f32) return 0;
  constexpr std::uint32_t kExponent = 0x7f800000u, kFraction = 0x007fffffu;
  const float* values = t.data<float>();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, values + i, sizeof bits);
    count += (bits & kExponent) == 0 && (bits & kFraction) != 0;
  }
  return count;
}

SubnormalCount count_subnormals(const OptimizerState& state) {
  SubnormalCount count;
  for (const auto& [name, slot] : state.slots) {
    if (slot.dtype() != DType::f32) continue;
    const std::int64_t subnormal = count_subnormal_floats(slot);
    count.values += slot.numel();
    count.subnormal += subnormal;
    count.by_slot.emplace_back(name, subnormal);
  }
  return count;
}

void add_epoch_rates(Record& record, std::int64_t batch, std::int64_t iterations_per_epoch,
                     const std::vector<double>& epoch_seconds) {
  std::vector<double> seconds, rates;
  for (const double s : epoch_seconds) {
    seconds.push_back(round_to(s, 3));
    rates.push_back(round_to(static_cast<double>(batch * iterations_per_epoch) / s, 1));
  }
  record.set("epoch_s", seconds).set("epoch_images_per_s", rates);
  if (epoch_seconds.size() >= 2) {
    // Rates from the unrounded times: last / second = second's time / last's.
    record.set("last_over_second", round_to(epoch_seconds[1] / epoch_seconds.back(), 4));
  }
}

namespace {

constexpr std::int64_t kBatch = 64;
constexpr double kLearningRate = 1e-3;
constexpr double kLrDecay = 0.8;            // per epoch, tools/train's default
constexpr std::int64_t kValidation = 5000;  // held out, as tools/train does
constexpr double kPixelScale = 1.0 / 255.0;
constexpr std::uint64_t kSeed = 0;  // tools/train's default --seed

struct Case {
  const char* name;
  bool flush_denormals;
};
constexpr Case kCases[] = {{"flush_denormals", true}, {"keep_denormals", false}};

// Sets the flushing for one case and restores the setting it found, also on
// an exception.
class FlushSetting {
 public:
  explicit FlushSetting(bool on) : before_(flush_denormals()) { set_flush_denormals(on); }
  ~FlushSetting() { set_flush_denormals(before_); }
  FlushSetting(const FlushSetting&) = delete;
  FlushSetting& operator=(const FlushSetting&) = delete;

 private:
  bool before_;
};

ThreeLayerConvNetOptions main_job_model(const Dataset& train) {
  const Shape& image = train.images.shape();
  ThreeLayerConvNetOptions options;
  options.input_dim = {image[1], image[2], image[3]};
  options.num_filters = 32;
  options.filter_size = 7;
  options.hidden_dim = 100;
  options.num_classes = train.num_classes;
  options.init = {WeightInit::Kind::kaiming, 0.0};
  options.spatial_batchnorm = true;
  options.seed = kSeed;
  return options;
}

void run_case(const BenchContext& context, const Case& which, const Dataset& train,
              std::int64_t iterations_per_epoch) {
  const FlushSetting flushing(which.flush_denormals);
  ThreeLayerConvNet model(main_job_model(train));
  model.train();
  Adam adam(kLearningRate);
  Rng rng(kSeed);
  const std::int64_t n = train.size();

  Record record("train_epochs");
  record.set("case", which.name)
      .set("flush_denormals", which.flush_denormals)
      .set("data", context.data_dir.empty() ? std::string(kFashionMnistFolder) : context.data_dir)
      .set("train_images", n)
      .set("N", kBatch)
      .set("epochs", context.epochs)
      .set("iterations_per_epoch", iterations_per_epoch);
  std::vector<double> epoch_seconds;
  std::vector<std::int64_t> subnormals;
  SubnormalCount last;
  double loss = 0;
  for (int epoch = 0; epoch < context.epochs; ++epoch) {
    // The Solver's step schedule: lr0 * decay^floor(epoch).
    adam.set_learning_rate(kLearningRate * std::pow(kLrDecay, epoch));
    const CpuSample before = sample_cpu();
    for (std::int64_t i = 0; i < iterations_per_epoch; ++i) {
      const std::vector<std::int64_t> rows = rng.choice(n, kBatch);
      Labels labels(rows.size());
      for (std::size_t r = 0; r < rows.size(); ++r) labels[r] = train.labels[rows[r]];
      model.zero_grad();
      loss = model.loss(take_rows(train.images, rows), labels);
      adam.step(model.parameters());
    }
    const CpuSample after = sample_cpu();
    const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    Measurement epoch_run;
    epoch_run.contention = contention_between(before, after, cpus);
    record.add_contention(epoch_run);
    epoch_seconds.push_back(after.wall_s - before.wall_s);
    last = count_subnormals(adam.state());  // outside the timed steps
    subnormals.push_back(last.subnormal);
  }
  add_epoch_rates(record, kBatch, iterations_per_epoch, epoch_seconds);
  Json by_slot = Json::object();
  for (const auto& [slot, count] : last.by_slot) by_slot[slot] = count;
  record.set("adam_state_values", last.values)
      .set("adam_subnormals", subnormals)
      .set("adam_subnormals_by_slot", by_slot)
      .set("lr_last", adam.learning_rate())
      .set("final_loss", round_to(loss, 5));
  const ThreeLayerConvNetOptions o = main_job_model(train);
  const Work step = convnet_step_work(
      {kBatch, double(o.input_dim[0]), double(o.input_dim[1]), double(o.input_dim[2]),
       double(o.num_filters), double(o.filter_size), double(o.hidden_dim),
       double(o.num_classes), o.spatial_batchnorm});
  record.set("flops_per_step", static_cast<std::int64_t>(step.flops))
      .set("bytes_per_step", static_cast<std::int64_t>(step.bytes));
  context.emit(record);
}

// tools/train's training split, preprocessed; the data as loaded is freed on return.
Dataset training_split(const BenchContext& context) {
  const TrainAndTest raw = load_idx_folder(
      context.data_dir.empty() ? std::string(kFashionMnistFolder) : context.data_dir);
  PreprocessOptions pre;
  pre.num_validation = kValidation;
  pre.num_training = raw.train.size() - kValidation;
  pre.num_test = 1;  // unused: no evaluation
  pre.scale = kPixelScale;
  return preprocess(raw, pre).train;
}

}  // namespace

void run_train_epochs(const BenchContext& context) {
  if (context.epochs < 1) throw ArgumentError("train_epochs: needs epochs >= 1");
  const Dataset train = training_split(context);
  // A whole epoch is what the Solver counts: training images / batch (859).
  std::int64_t iterations = context.iterations_per_epoch > 0
                                ? context.iterations_per_epoch
                                : std::max<std::int64_t>(train.size() / kBatch, 1);
  if (context.max_calls > 0) iterations = std::min<std::int64_t>(iterations, context.max_calls);
  for (const Case& which : kCases) {
    if (context.wants_case(which.name)) run_case(context, which, train, iterations);
  }
}

}  // namespace tg::bench
