// A training run's history as the Solver records it: the loss of every
// iteration and the accuracies measured at the end of every epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace tg {

struct IterationRecord {
  std::int64_t iteration = 0;  // counted from 1 over the whole run
  double epoch = 0;            // fractional: iteration / iterations_per_epoch
  double loss = 0;             // the minibatch loss; NaN or inf when training diverged
  double lr = 0;               // the learning rate used for this step
};

struct EpochRecord {
  std::int64_t epoch = 0;  // counted from 1
  double train_acc = 0;    // on a sample of the training set, in [0, 1]
  double val_acc = 0;      // on the whole validation set, in [0, 1]
  double lr = 0;           // the learning rate during this epoch
  double seconds = 0;      // wall-clock time this epoch took, evaluation included
};

struct History {
  std::vector<IterationRecord> iterations;
  std::vector<EpochRecord> epochs;
};

// The epoch with the highest validation accuracy (the first of equals; NaN
// accuracies never win), or nothing when there is none.
std::optional<EpochRecord> best_epoch(const History& history);

}  // namespace tg
