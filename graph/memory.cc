#include "graph/memory.h"

#include <malloc.h>

namespace tg {

bool retain_freed_memory() {
  // 32 MiB is the largest mmap threshold glibc accepts on 64-bit systems.
  const bool threshold = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool trim = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return threshold && trim;
}

}  // namespace tg
