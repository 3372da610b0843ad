// Types shared by the normalization layers (batch, spatial batch, layer and
// group norm): each normalises x over some set of elements to zero mean and
// unit variance, x_hat = (x - mean) / sqrt(var + eps), then applies a
// per-channel affine map gamma * x_hat + beta.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/op.h"
#include "graph/tensor.h"

namespace tg {

// Sync batch norm's view of a data-parallel run (distributed/ implements it
// over the processes): the global batch is split into slices() equal slices,
// one per process, and sum() adds per-channel values over the slices in a
// fixed order, so that every process gets the same bits.
class BatchStatisticsSum {
 public:
  virtual ~BatchStatisticsSum() = default;
  virtual int slices() const = 0;
  // values[i] becomes the sum of values[i] over the slices (collective: every
  // process calls it with as many values, in the same order).
  virtual void sum(std::vector<double>& values) = 0;
};

struct NormCache {
  Tensor x;      // the input as the kernel saw it: (N, C, H, W), or (N, D, 1, 1)
  Tensor gamma;  // (C)
  // One entry per normalised set (per channel for batch norm, per (n, group)
  // for group norm): the mean and 1 / sqrt(var + eps) that were used.
  std::vector<double> mean;
  std::vector<double> inv_std;
  bool batch_statistics = true;        // false: batch norm in test mode (constants)
  BatchStatisticsSum* sync = nullptr;  // sync batch norm (ops/layers/spatial_batchnorm.h)
};

struct NormForward {
  Tensor out;
  NormCache cache;
};

struct NormGrads {
  Tensor dx;
  Tensor dgamma;
  Tensor dbeta;
};

// Throws ArgumentError naming `op` unless gamma and beta are vectors of
// `channels` elements of x's dtype.
void check_norm_parameters(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                           std::int64_t channels);

// A normalization kernel's backward.
using NormBackward = NormGrads (*)(const Tensor& dout, const NormCache& cache);

// The backward of a normalization of (N, D) that ran its (N, C, H, W) kernel
// on the (N, D, 1, 1) view (batch norm, layer norm): checks dout against x,
// and reshapes dout in and dx out around the kernel's `backward`.
NormGrads backward_on_feature_view(const char* op, const Tensor& dout, const NormCache& cache,
                                   NormBackward backward);

// Records a normalization op (inputs x, gamma, beta) whose backward closure
// calls `backward` and hands dx, dgamma and dbeta to the inputs.
Var finish_norm(Op& op, NormForward result, NormBackward backward);

}  // namespace tg
