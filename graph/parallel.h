// Splitting a loop over the OpenMP threads (two on this machine).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <exception>

#include "graph/float_env.h"

namespace tg {

// Calls body(begin, end) on contiguous pieces of [0, n), one per thread, when
// n is above `grain` (smaller loops run on the calling thread: starting
// threads costs about a microsecond).
//
// Every thread that runs a piece flushes subnormals to zero first
// (graph/float_env.h).
//
// An exception thrown by body on any thread reaches the caller as itself
// (the first one caught, when several threads throw) once every thread has
// finished its piece; it never escapes the parallel region, which would end
// the process.
template <class Body>
void parallel_for(std::int64_t n, std::int64_t grain, Body&& body) {
  enter_compute();
  if (n <= grain || omp_get_max_threads() == 1 || omp_in_parallel()) {
    if (n > 0) body(std::int64_t{0}, n);
    return;
  }
  std::exception_ptr error;
#pragma omp parallel
  {
    enter_compute();
    const std::int64_t threads = omp_get_num_threads();
    const std::int64_t piece = (n + threads - 1) / threads;
    const std::int64_t begin = omp_get_thread_num() * piece;
    const std::int64_t end = std::min(n, begin + piece);
    try {
      if (begin < end) body(begin, end);
    } catch (...) {
#pragma omp critical(tg_parallel_for_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

// Runs enter_compute on the calling thread and on every thread of the OpenMP
// pool a parallel region started here would use (libgomp gives a region the
// same pool threads each time): for a library whose own OpenMP regions
// compute on those threads (oneDNN), where a thread that never ran a
// parallel_for would keep whatever FTZ/DAZ flags it had.
inline void enter_compute_on_all_threads() {
  enter_compute();
  if (omp_get_max_threads() == 1 || omp_in_parallel()) return;
#pragma omp parallel
  enter_compute();
}

// The grain (iterations per thread worth starting threads for) of a loop
// whose iterations each touch `elements_per_iteration` elements: threads pay
// off from about 32K elements each (a thread start and join costs ~1-2 us; under
// contention much more).
inline std::int64_t grain_for(std::int64_t elements_per_iteration) {
  constexpr std::int64_t kElementsPerThread = 1 << 15;
  return std::max<std::int64_t>(
      1, kElementsPerThread / std::max<std::int64_t>(elements_per_iteration, 1));
}

}  // namespace tg
