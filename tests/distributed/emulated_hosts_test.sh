#!/usr/bin/env bash
# tools/emulated_hosts.sh with small sizes (needs root: network namespaces):
# - a tiny data-parallel training (tests/distributed/data_parallel_main, float32, the
#   overlapped bucketed averaging) on K = 2 emulated hosts over TCP gives
#   byte-identical parameters to the same K = 2 run over shared memory;
# - its gradients crossed the veth links: each host link carried at least
#   the bytes the averaging must move (the counters the script reports);
# - nothing is left behind: no namespace of the setup, no link or address
#   added to this namespace, no state file, no work folder; also after a
#   run whose rank fails, after SIGINT to the script's process group (as
#   Ctrl-C), and after SIGKILL of the script (the next run's cleanup).
#   usage: emulated_hosts_test.sh DATA_PARALLEL_MAIN MPI_ENV_SH EMULATED_HOSTS_SH
set -uo pipefail
main="$PWD/$1"
source "$2"
hosts_sh="$PWD/$3"
work="${TEST_TMPDIR:-/tmp}/emulated_hosts_test"
rm -rf "$work" && mkdir -p "$work"
PATH="$PATH:/usr/sbin:/sbin"
fail() { echo "FAIL: $*"; exit 1; }
((EUID == 0)) || fail "needs root (network namespaces); CI runs as root"

steps=20
# The model's parameters (tests/distributed/data_parallel_main.cc): W1 36, b1 4, gamma1 4,
# beta1 4, W2 1024, b2 16, W3 48, b3 3; float32.
gradient_bytes=$(((36 + 4 + 4 + 4 + 1024 + 16 + 48 + 3) * 4))
prefix="tg-ehtest$$"

# What this namespace has, its links and addresses (by name, not counters),
# and the script's work folders in TMPDIR.
root_state() {
  ip -o link show | awk -F': ' '{print $2}'
  ip -o addr show | awk '{print $2, $3, $4}'
  compgen -G "$TMPDIR/tg-emulated-hosts.*" || true
}
root_state >"$work/root-before.txt"

# Fails unless every trace of the setup $1 is gone.
nothing_left() {
  local what=$1 setup=$2
  if ip netns list | awk '{print $1}' | grep -q "^$setup-"; then
    ip netns list; fail "$what: namespaces of $setup are left"
  fi
  [[ ! -e "/run/tg-emulated-hosts/$setup.owner" ]] || fail "$what: the state file of $setup is left"
  root_state >"$work/root-after.txt"
  cmp -s "$work/root-before.txt" "$work/root-after.txt" ||
    { diff "$work/root-before.txt" "$work/root-after.txt"; fail "$what: links, addresses or work folders are left"; }
}

# The same K = 2 run over shared memory, then over the emulated hosts.
"${mpirun[@]}" -np 2 "$main" f32 local "$steps" "$work/shm.txt" >"$work/shm.log" 2>&1 ||
  { cat "$work/shm.log"; fail "the run over shared memory failed"; }
"$hosts_sh" --hosts 2 --rate 1gbit --prefix "$prefix" --bytes "$work/bytes.txt" \
  -- "$main" f32 local "$steps" "$work/tcp.txt" >"$work/tcp.log" 2>&1 ||
  { cat "$work/tcp.log"; fail "the run on 2 emulated hosts failed"; }
cat "$work/tcp.log"
cmp -s "$work/shm.txt" "$work/tcp.txt" || fail "2 emulated hosts over TCP and shared memory give other bits"
nothing_left "after the run" "$prefix"

# With K = 2 every step each process sends its gradients' bytes to the
# other and receives the other's (one all-gather per bucket), so each link
# carried at least steps x gradient_bytes each way.
least=$((steps * gradient_bytes))
[[ $(wc -l <"$work/bytes.txt") == 3 ]] || { cat "$work/bytes.txt"; fail "bytes: not 2 hosts"; }
while read -r host address sent received; do
  echo "$host ($address): sent $sent, received $received bytes (at least $least each)"
  ((sent >= least && received >= least)) || fail "$host's link carried too few bytes: is it TCP?"
done < <(tail -n +2 "$work/bytes.txt")

# A rank that fails: the script fails too, and cleans up.
"$hosts_sh" --prefix "$prefix-f" -- sh -c \
  '[ "$OMPI_COMM_WORLD_RANK" = 1 ] && exit 3; exec "$0" "$@"' "$main" f32 local "$steps" \
  "$work/failed.txt" >"$work/failed.log" 2>&1 && { cat "$work/failed.log"; fail "a failed rank went unnoticed"; }
nothing_left "after a failed rank" "$prefix-f"

# Starts the script (its own process group, as a terminal's foreground job)
# on a run that lasts, and returns when its hosts exist; sets $launcher.
start_long_run() {
  set -m
  "$hosts_sh" --prefix "$1" -- sleep 60 >"$work/$1.log" 2>&1 &
  launcher=$!
  set +m
  local _
  for _ in $(seq 1 300); do
    ip netns pids "$1-host1" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  cat "$work/$1.log"; fail "$1: the run did not start"
}

# Ctrl-C: SIGINT to the whole process group.
start_long_run "$prefix-i"
kill -INT -- "-$launcher"
wait "$launcher"
status=$?
((status == 130)) || { cat "$work/$prefix-i.log"; fail "after SIGINT the script exited with $status, not 130"; }
nothing_left "after SIGINT" "$prefix-i"

# SIGKILL: the setup stays until the next run (or --cleanup) removes it,
# with the processes left in it.
start_long_run "$prefix-k"
kill -KILL "$launcher"
wait "$launcher" 2>/dev/null  # (bash would report the kill)
ip netns list | grep -q "^$prefix-k-host0" || fail "after SIGKILL the setup is already gone?"
"$hosts_sh" --cleanup >"$work/cleanup.log" 2>&1 || { cat "$work/cleanup.log"; fail "--cleanup failed"; }
grep -q "removing the stale setup $prefix-k" "$work/cleanup.log" ||
  { cat "$work/cleanup.log"; fail "--cleanup did not name the stale setup"; }
nothing_left "after SIGKILL and --cleanup" "$prefix-k"
echo "PASS"
