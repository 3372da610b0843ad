#include "graph/float_env.h"

#include <atomic>

#if defined(__SSE__)
#include <immintrin.h>
#endif

namespace tg {
namespace {

std::atomic<bool> g_flush_denormals{true};

#if defined(__SSE__)
constexpr unsigned kFlushBits = 0x8040;  // FTZ (bit 15) | DAZ (bit 6) of MXCSR
#endif

}  // namespace

void set_flush_denormals(bool on) {
  g_flush_denormals.store(on, std::memory_order_relaxed);
  enter_compute();
}

bool flush_denormals() { return g_flush_denormals.load(std::memory_order_relaxed); }

void enter_compute() {
#if defined(__SSE__)
  const unsigned now = _mm_getcsr();
  const unsigned wanted = flush_denormals() ? (now | kFlushBits) : (now & ~kFlushBits);
  if (wanted != now) _mm_setcsr(wanted);
#endif
}

bool thread_flushes_denormals() {
#if defined(__SSE__)
  return (_mm_getcsr() & kFlushBits) == kFlushBits;
#else
  return false;
#endif
}

}  // namespace tg
