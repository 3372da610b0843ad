#include "distributed/mpi_replicas.h"

#include <fmt/format.h>
#include <mpi.h>

#include <climits>
#include <cstdint>
#include <cstdlib>

#include "graph/errors.h"

namespace tg {
namespace {

void check(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw ReplicaError(fmt::format("{}: {}", call, std::string(text, length)));
}

int message_size(std::size_t bytes, const char* call) {
  if (bytes > static_cast<std::size_t>(INT_MAX)) {
    throw ReplicaError(fmt::format("{}: {} bytes per process, more than MPI's int count {}", call,
                                   bytes, INT_MAX));
  }
  return static_cast<int>(bytes);
}

class PendingAllGather : public Replicas::Pending {
 public:
  PendingAllGather(std::vector<unsigned char> bytes, int processes)
      : sent_(std::move(bytes)), received_(sent_.size() * static_cast<std::size_t>(processes)) {
    const int count = message_size(sent_.size(), "MPI_Iallgather");
    check(MPI_Iallgather(sent_.data(), count, MPI_BYTE, received_.data(), count, MPI_BYTE,
                         MPI_COMM_WORLD, &request_),
          "MPI_Iallgather");
  }
  ~PendingAllGather() override {
    if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }
  void progress() override {
    int done = 0;
    if (request_ != MPI_REQUEST_NULL) MPI_Test(&request_, &done, MPI_STATUS_IGNORE);
  }
  std::vector<unsigned char> wait() override {
    check(MPI_Wait(&request_, MPI_STATUS_IGNORE), "MPI_Wait");
    return std::move(received_);
  }

 private:
  std::vector<unsigned char> sent_, received_;
  MPI_Request request_ = MPI_REQUEST_NULL;
};

}  // namespace

bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

MpiReplicas::MpiReplicas(int* argc, char*** argv) {
  check(MPI_Init(argc, argv), "MPI_Init");
  // Errors are returned (and thrown as ReplicaError) rather than aborting
  // inside MPI; a lost process is reported by mpirun, which ends the others.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiReplicas::~MpiReplicas() { MPI_Finalize(); }

std::vector<unsigned char> MpiReplicas::all_gather(const void* bytes, std::size_t size) {
  const int count = message_size(size, "MPI_Allgather");
  std::vector<unsigned char> all(size * static_cast<std::size_t>(size_));
  check(MPI_Allgather(bytes, count, MPI_BYTE, all.data(), count, MPI_BYTE, MPI_COMM_WORLD),
        "MPI_Allgather");
  return all;
}

std::vector<unsigned char> MpiReplicas::all_to_all(const void* blocks, std::size_t block) {
  const int count = message_size(block, "MPI_Alltoall");
  std::vector<unsigned char> received(block * static_cast<std::size_t>(size_));
  check(MPI_Alltoall(blocks, count, MPI_BYTE, received.data(), count, MPI_BYTE, MPI_COMM_WORLD),
        "MPI_Alltoall");
  return received;
}

std::unique_ptr<Replicas::Pending> MpiReplicas::start_all_gather(std::vector<unsigned char> bytes) {
  return std::make_unique<PendingAllGather>(std::move(bytes), size_);
}

std::string MpiReplicas::broadcast(const std::string& bytes) {
  std::uint64_t size = bytes.size();
  check(MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
  std::string out = rank_ == 0 ? bytes : std::string(size, '\0');
  check(MPI_Bcast(out.data(), message_size(size, "MPI_Bcast"), MPI_BYTE, 0, MPI_COMM_WORLD),
        "MPI_Bcast");
  return out;
}

void MpiReplicas::abort(int status) {
  MPI_Abort(MPI_COMM_WORLD, status);
  std::_Exit(status);
}

}  // namespace tg
