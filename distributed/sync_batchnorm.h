// Sync batch norm over the processes of a data-parallel run: the sums that
// ops/layers/spatial_batchnorm.h asks for (BatchStatisticsSum), added in rank
// order over the Replicas, so every process normalises its slice with the
// global batch's statistics and gets the same bits.
#pragma once

#include <vector>

#include "distributed/replicas.h"
#include "ops/kernels/normalization.h"

namespace tg {

class ReplicaStatisticsSum final : public BatchStatisticsSum {
 public:
  explicit ReplicaStatisticsSum(Replicas& replicas) : replicas_(replicas) {}
  int slices() const override { return replicas_.size(); }
  void sum(std::vector<double>& values) override { sum_in_rank_order(replicas_, values); }

 private:
  Replicas& replicas_;
};

}  // namespace tg
