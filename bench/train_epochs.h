// train_epochs: the steady state of the main job. tools/train's default model
// (ThreeLayerConvNet with spatial batch norm, Kaiming init), Adam at lr 1e-3
// decayed by 0.8 per epoch, batch 64 sampled with replacement as the Solver
// does, on the real Fashion-MNIST training images (preprocessed as tools/train
// does: 5000 held out, mean image subtracted, scale 1/255), for whole epochs.
// Each epoch's training steps are timed as one unit (no evaluation), and after
// each epoch the subnormal floats in Adam's state are counted: a gradient that
// is exactly zero (a dead feature) drives its moments through the subnormal
// range, where Intel cores compute tens of times slower.
//
// Two cases: "flush_denormals" (tapegrad's default, graph/float_env.h) and
// "keep_denormals" (set_flush_denormals(false) for the case, then restored).
// The pieces below the workload are apart so they can be tested.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/harness.h"
#include "graph/tensor.h"
#include "optim/optimizer.h"

namespace tg::bench {

// Float32 values of t that are subnormal (exponent bits 0, fraction not 0),
// read from the bits so that DAZ, which makes a subnormal compare as zero,
// does not hide them. Other dtypes have none counted.
std::int64_t count_subnormal_floats(const Tensor& t);

// The float32 slots of an optimizer's state (Adam's "m" and "v"; not the
// float64 step counters "t"): how many values, how many subnormal, and the
// subnormal count of each slot ("fc2.weight/m" -> ...).
struct SubnormalCount {
  std::int64_t values = 0;
  std::int64_t subnormal = 0;
  std::vector<std::pair<std::string, std::int64_t>> by_slot;  // in the state's order
};
SubnormalCount count_subnormals(const OptimizerState& state);

// The per-epoch fields of a train_epochs record from each epoch's seconds:
// epoch_s, epoch_images_per_s (batch * iterations / seconds) and, from two
// epochs on, last_over_second (the last epoch's rate / the second's: the
// steady state's drift, 1.0 when flat).
void add_epoch_rates(Record& record, std::int64_t batch, std::int64_t iterations_per_epoch,
                     const std::vector<double>& epoch_seconds);

}  // namespace tg::bench
