// Replicas: the processes of a data-parallel run, as the code below
// distributed/ sees them. Every process holds the same model and trains on its
// slice of each global batch; through this interface the Solver averages the
// gradients and sync batch norm sums its statistics. The implementation over
// Open MPI is distributed/mpi_replicas.h; a single-process run has none
// (a null Replicas*), and nothing here is then called.
//
// Reproducibility: every sum over processes below adds the processes' values
// in rank order (process 0's first), whatever the transport did, so the same
// inputs give the same bits on every process and in every run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph/parameter.h"
#include "graph/tensor.h"

namespace tg {

class Replicas {
 public:
  virtual ~Replicas() = default;
  virtual int rank() const = 0;  // 0 .. size() - 1
  virtual int size() const = 0;
  // Every process passes `size` bytes (the same size on every process);
  // returns the size() blocks one after another in rank order. Collective:
  // every process must call it, in the same order as the others.
  virtual std::vector<unsigned char> all_gather(const void* bytes, std::size_t size) = 0;
  // Every process passes size() blocks of `block` bytes one after another;
  // block r goes to rank r. Returns the blocks this process received, in
  // rank order (the sender's). Collective.
  virtual std::vector<unsigned char> all_to_all(const void* blocks, std::size_t block) = 0;
  // all_gather started without waiting (MPI_Iallgather): wait() returns what
  // all_gather would have. Collective like all_gather (every process starts
  // the same exchanges in the same order). This default exchanges at once.
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual std::vector<unsigned char> wait() = 0;
    // Lets the transport move data (MPI_Test): call it now and then.
    virtual void progress() {}
  };
  virtual std::unique_ptr<Pending> start_all_gather(std::vector<unsigned char> bytes);
  // Process 0's `bytes` on every process (the others' argument is ignored).
  virtual std::string broadcast(const std::string& bytes) = 0;
};

// values[i] becomes the sum of values[i] over the processes, added in rank
// order. Every process passes as many values.
void sum_in_rank_order(Replicas& replicas, std::vector<double>& values);

// The mean of each tensor's copies on the processes (float32 or float64, the
// same shapes everywhere): summed in rank order in double, divided by the
// number of processes, rounded once to the tensor's dtype. New tensors.
// As a ring all-reduce moves data: the values are cut into size() chunks,
// each process receives its chunk from every process (all_to_all), sums it
// in rank order, and the summed chunks are gathered (all_gather); each
// process sends and receives about 2 (K - 1) / K times the tensors' bytes.
std::vector<Tensor> average_in_rank_order(Replicas& replicas, const std::vector<Tensor>& tensors);

// Averaging the gradients while backward runs, as PyTorch's DDP does: the
// parameters go into buckets of about `bucket_bytes`, last parameter first
// (the order in which backward completes them). When every parameter of a
// bucket has its gradient (ready(), called from Tape's on_parameter_grad),
// the bucket's exchange starts without waiting (start_all_gather); finish()
// starts the buckets that are left (parameters that got no gradient), waits
// for each and sets every gradient to the mean over the processes, summed in
// rank order in double and rounded once: the same bits as
// average_in_rank_order. One step at a time: construct, ready()..., finish().
class OverlappedAverage {
 public:
  OverlappedAverage(Replicas& replicas, const std::vector<Parameter>& parameters,
                    std::size_t bucket_bytes);
  void ready(const Parameter& parameter);
  void finish();

 private:
  void start(std::size_t bucket);
  Replicas& replicas_;
  std::vector<Parameter> parameters_;
  std::vector<std::vector<std::size_t>> buckets_;  // indices into parameters_
  std::vector<std::size_t> bucket_of_;             // by parameter index
  std::vector<std::size_t> missing_;               // gradients a bucket still waits for
  std::vector<std::unique_ptr<Replicas::Pending>> pending_;
};

// Every process's tensors get process 0's values (written in place; their
// versions are bumped). The same shapes and dtypes on every process.
void copy_from_first(Replicas& replicas, const std::vector<Tensor>& tensors);

// The ranks whose `value` differs from process 0's (empty when all agree).
std::vector<int> ranks_differing_from_first(Replicas& replicas, std::uint64_t value);

// FNV-1a (64 bits) of the tensors' bytes: equal tensors, equal checksums.
std::uint64_t checksum(const std::vector<Tensor>& tensors);

}  // namespace tg
