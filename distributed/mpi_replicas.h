// Replicas (graph/replicas.h) over Open MPI's C API: the processes that
// `mpirun -np K` (or Slurm's `srun`) started, MPI_COMM_WORLD. mpi.h stays in
// the .cc file: code including this header does not see MPI.
#pragma once

#include "distributed/replicas.h"

namespace tg {

// True when this process was started by mpirun or srun (Open MPI's or PMIx's
// environment variables are set); then a program creates MpiReplicas.
// Without them a program never initialises MPI and runs as it always did.
bool launched_by_mpi();

class MpiReplicas : public Replicas {
 public:
  // MPI_Init. One per process, for the whole process's life.
  MpiReplicas(int* argc, char*** argv);
  ~MpiReplicas() override;  // MPI_Finalize
  MpiReplicas(const MpiReplicas&) = delete;
  MpiReplicas& operator=(const MpiReplicas&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  // MPI_Allgather of bytes. Throws ReplicaError for more than 2^31 - 1 bytes.
  std::vector<unsigned char> all_gather(const void* bytes, std::size_t size) override;
  // MPI_Alltoall of bytes. Throws ReplicaError for blocks of 2^31 bytes or more.
  std::vector<unsigned char> all_to_all(const void* blocks, std::size_t block) override;
  // MPI_Iallgather; the handle's progress() is MPI_Test, wait() MPI_Wait.
  std::unique_ptr<Pending> start_all_gather(std::vector<unsigned char> bytes) override;
  // MPI_Bcast of the size, then of the bytes.
  std::string broadcast(const std::string& bytes) override;
  // MPI_Abort: ends every process of the run with `status` (after an error
  // on one process, so that the others do not wait for it forever).
  [[noreturn]] void abort(int status);

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace tg
