// Spatial batch normalization (the seed's spatial_batchnorm_forward/backward):
// x (N, C, H, W), statistics per channel over N, H and W, i.e. batch norm of
// the (N*H*W, C) matrix, computed in place on NCHW without transposing.
// Batch norm of (N, D) is this op on the (N, D, 1, 1) view (ops/layers/batchnorm.h).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"
#include "ops/kernels/mode.h"
#include "ops/kernels/normalization.h"

namespace tg {

// The seed's bn_param: mode, eps, momentum and the running statistics, which
// training-mode calls update: running = momentum * running + (1 - momentum) * batch
// (biased batch variance). Undefined running tensors start as mean 0 and
// variance 1 (PyTorch's choice; the seed's starts the variance at 0, which
// makes a test-mode call before any training divide by sqrt(eps)); the
// shipped models register their buffers the same way.
struct BatchNormState {
  Mode mode = Mode::train;
  double eps = 1e-5;
  double momentum = 0.9;
  Tensor running_mean;  // (C)
  Tensor running_var;   // (C)
  // Sync batch norm in a data-parallel run: when set, training-mode calls
  // sum the per-channel sums of the statistics (forward) and of their
  // gradients (backward) over the processes in rank order, so every process
  // normalises its slice with the statistics of the global batch. dgamma and
  // dbeta stay this process's (the gradient averaging over processes adds
  // them up), as in PyTorch's SyncBatchNorm. Null: this process's batch.
  BatchStatisticsSum* sync = nullptr;
};

// Throws ArgumentError naming `op` unless eps > 0, momentum is in [0, 1] and
// the running statistics are undefined or of shape (channels) and this dtype.
void check_batchnorm_state(const char* op, const BatchNormState& state, std::int64_t channels,
                           DType dtype);
// Throws ArgumentError naming `op` when training (batch statistics) with
// fewer than 2 values per channel: one value normalises to 0 whatever it is,
// so nothing would be learnt (PyTorch: "Expected more than 1 value per
// channel when training").
void check_batch_statistics(const char* op, const BatchNormState& state, const Tensor& x,
                            std::int64_t values_per_channel);

NormForward spatial_batchnorm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                      BatchNormState& state);
NormGrads spatial_batchnorm_backward(const Tensor& dout, const NormCache& cache);

// Tape op.
Var spatial_batchnorm(const Var& x, const Var& gamma, const Var& beta, BatchNormState& state);

}  // namespace tg
