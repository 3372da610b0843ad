#include "ops/kernels/matrix_product.h"

#include <fmt/format.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include "graph/errors.h"

namespace tg {

namespace {

// Sets this thread's OpenMP thread count to one for its lifetime: the count
// oneDNN reads (omp_get_max_threads) outside a parallel region. The count is
// the calling task's own setting, so other threads are not affected.
class OneOpenMpThread {
 public:
  OneOpenMpThread() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OneOpenMpThread() { omp_set_num_threads(saved_); }
  OneOpenMpThread(const OneOpenMpThread&) = delete;
  OneOpenMpThread& operator=(const OneOpenMpThread&) = delete;

 private:
  int saved_;
};

}  // namespace

void sgemm_one_thread(std::int64_t m, std::int64_t n, std::int64_t k, SgemmMatrix a, SgemmMatrix b,
                      float* c, std::int64_t ldc, bool accumulate) {
  dnnl_status_t status;
  {
    OneOpenMpThread one_thread;
    status = dnnl_sgemm(a.transposed ? 'T' : 'N', b.transposed ? 'T' : 'N', m, n, k, 1.0f, a.data,
                        a.stride, b.data, b.stride, accumulate ? 1.0f : 0.0f, c, ldc);
  }
  if (status != dnnl_success) {
    throw Error(fmt::format("sgemm ({}x{} times {}x{}): oneDNN failed with status {}", m, k, k, n,
                            static_cast<int>(status)));
  }
}

}  // namespace tg
