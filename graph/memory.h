// How the process's allocator treats freed tensor memory.
#pragma once

namespace tg {

// Asks glibc's malloc to keep freed blocks of up to 32 MiB in the process
// for reuse instead of returning them to the system (by default blocks above
// 128 KiB are mmap'ed, and the heap top is trimmed). A training step frees
// and reallocates the same large activations every iteration; returning them
// makes every step pay page faults to zero-fill them again (cnn_step:
// 28 ms -> 18 ms). It is a process-wide setting: tools call it once at the
// start of main(), and a program that trains with tapegrad should too.
// Returns false if the allocator refused a setting.
bool retain_freed_memory();

}  // namespace tg
