# Sourced by the MPI shell tests: how they start Open MPI's mpirun.
# - OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM): CI runs as root, which mpirun refuses
#   without them.
# - --oversubscribe: K processes on fewer cores (the CI machine has 2).
# - --bind-to none: oversubscribed processes bound to one core each would
#   share it; unbound, the kernel spreads them.
# - --mca btl self,vader: one machine, shared memory only (no TCP probing of
#   the network interfaces, which takes time and warns in sandboxes).
# - TMPDIR: Open MPI's session folder goes into the test's own temporary
#   folder, which Bazel's processwrapper sandbox leaves writable.
# Bazel's processwrapper-sandbox (this repository's .bazelrc) runs the test
# as an ordinary child process with the host's /tmp, /dev/shm and network,
# so mpirun works inside it with these settings and no "no-sandbox" tag.
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export TMPDIR="${TEST_TMPDIR:-/tmp}"
mpirun=(mpirun --oversubscribe --bind-to none --mca btl self,vader)
# Under --config=asan: Open MPI's own allocations kept until exit are not
# tapegrad's leaks (tests/distributed/mpi_lsan.supp names only Open MPI's libraries); the
# slow unwinder gives full stacks through Open MPI's code, which is built
# without frame pointers. Without ASan these variables change nothing.
export LSAN_OPTIONS="suppressions=$(dirname "${BASH_SOURCE[0]}")/mpi_lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0:malloc_context_size=64"
