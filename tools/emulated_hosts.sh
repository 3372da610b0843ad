#!/usr/bin/env bash
# Emulated hosts: K network namespaces on this machine, each with one
# bandwidth-limited link to a switch, and a command run across them with
# Open MPI's mpirun over TCP, so that the processes talk through the network
# stack (veth pairs, a bridge, tbf or htb) and not through shared memory.
#
#   tools/emulated_hosts.sh [options] -- COMMAND [ARGS...]
#   tools/emulated_hosts.sh --cleanup
#
# Layout (PREFIX defaults to tg-eh<pid of this script>):
#   PREFIX-switch        a namespace holding the bridge br0 and one veth end
#                        per host (h0, h1, ...);
#   PREFIX-host0..K-1    one namespace per host: its veth end eth0 with
#                        address SUBNET.(i+1)/24, and lo.
# Nothing is added to the namespace this script starts in: no address, no
# link, no route (the veth pairs are created inside PREFIX-switch and their
# other ends moved straight into the hosts).
# Each direction of each host link is shaped to RATE: the host's eth0
# egress (what the host sends) and the switch's hI egress (what it receives).
#
# mpirun itself runs inside PREFIX-host0 (it must reach the daemons' addresses,
# which exist only in the namespaces) and starts an orted on every other host
# through a generated launch agent (plm_rsh_agent) that plays ssh: it maps
# the host's address to its namespace and runs the daemon's command line
# there with `ip netns exec NS sh -c`. MPI traffic: pml ob1, btl tcp,self
# (no vader, no sm), TCP for MPI and for Open MPI's own bootstrap (oob)
# restricted to the emulated subnet.
#
# Every setup is torn down when the script ends: on success, on failure, on
# Ctrl-C or SIGTERM (processes left in the namespaces are ended, the
# namespaces deleted, which destroys their links). A setup whose owner was
# killed (SIGKILL, a crash) is found and removed by the next run or by
# --cleanup; setups of live runs are left alone, so runs can overlap.
#
# Bytes per host: the run's traffic on each host link (the counters of the
# host's eth0, /sys/class/net/eth0/statistics) is printed at the end and
# written to --bytes FILE. A process of the run can read its own host's
# counters itself: inside a host /sys/class/net/eth0 is that host's link.
set -euo pipefail

readonly STATE_DIR=/run/tg-emulated-hosts
readonly NAME_RE='^tg-[a-z0-9-]+$'
me=${0##*/}

usage() {
  cat <<EOF
usage: $me [options] -- COMMAND [ARGS...]
       $me --cleanup

Runs COMMAND with mpirun on K emulated hosts (network namespaces joined by
bandwidth-limited veth links through a bridge), over TCP only.

options:
  -k, --hosts K        emulated hosts, 2..250 (default 2)
  -n, --np N           MPI processes, spread over the hosts in turn (default K)
  --rate RATE          bandwidth of each host link, each direction, as tc
                       writes it: 1gbit, 10gbit, 500mbit (default 1gbit);
                       "none": not limited
  --qdisc tbf|htb      the shaper (default tbf)
  --subnet A.B.C       the hosts' /24: host i is A.B.C.(i+1) (default 10.77.0)
  --bytes FILE         write the bytes each host link carried during the run:
                       a header line, then "host address sent received"
  --prefix NAME        namespace names NAME-switch, NAME-host0.. (default
                       tg-eh<pid>; must match $NAME_RE)
  --mpirun-arg ARG     one more argument for mpirun (repeatable)
  --cleanup            remove setups left by killed runs, then exit
  -h, --help           this text

Needs root (CAP_NET_ADMIN), ip and tc (iproute2), Open MPI's mpirun.
The exit status is COMMAND's (mpirun's); 2 for a usage error; 130/143 after
SIGINT/SIGTERM.
EOF
}

die() { echo "$me: $*" >&2; exit 1; }
usage_error() { echo "$me: $*" >&2; echo "(see $me --help)" >&2; exit 2; }
log() { echo "$me: $*" >&2; }

# --- the state of a setup ---------------------------------------------------
# STATE_DIR/PREFIX.owner: "PID START WORKDIR" of the run that owns PREFIX,
# START being the owner's start time (/proc/PID/stat field 22), so a reused
# PID is not mistaken for a live owner.

start_time() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

owner_alive() {
  local file="$STATE_DIR/$1.owner" pid start _
  [[ -r "$file" ]] || return 1
  read -r pid start _ <"$file" || return 1
  [[ -n "$pid" && "$(start_time "$pid")" == "$start" ]]
}

namespaces_of() {
  # `ip netns list` prints "NAME" or "NAME (id: N)".
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$1-(switch|host[0-9]+)\$" || true
}

# Ends every process in the namespace NS (TERM, then KILL after 5 s): an
# orted or rank left behind keeps a deleted namespace, and its links, alive.
end_processes_in() {
  local ns=$1 pids i
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -z "$pids" ]] && return 0
  # shellcheck disable=SC2086  # a list of PIDs
  kill -TERM $pids 2>/dev/null || true
  for i in $(seq 1 50); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -z "$pids" ]] && return 0
    sleep 0.1
  done
  log "processes still in $ns after 5 s, killing: $pids"
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  for i in $(seq 1 20); do
    [[ -z "$(ip netns pids "$ns" 2>/dev/null || true)" ]] && return 0
    sleep 0.1
  done
}

# Removes the setup PREFIX: processes, namespaces, state file, work folder.
teardown_prefix() {
  local prefix=$1 ns workdir="" _ _2
  if [[ -r "$STATE_DIR/$prefix.owner" ]]; then
    read -r _ _2 workdir <"$STATE_DIR/$prefix.owner" || true
  fi
  # host0 first (mpirun lives there: asked to stop, it stops the daemons it
  # started), the switch last.
  for ns in $(namespaces_of "$prefix" | sort); do
    end_processes_in "$ns"
  done
  for ns in $(namespaces_of "$prefix"); do
    ip netns delete "$ns" 2>/dev/null || log "could not delete namespace $ns"
  done
  [[ -n "$workdir" && -d "$workdir" && "$workdir" == */tg-emulated-hosts.* ]] && rm -rf "$workdir"
  rm -f "$STATE_DIR/$prefix.owner" "$STATE_DIR/$prefix.owner.tmp"
  return 0
}

# Setups whose owner is gone (killed with SIGKILL, machine state kept).
cleanup_stale() {
  local prefix file
  for prefix in $(ip netns list 2>/dev/null | awk '{print $1}' |
                  sed -nE 's/^(tg-[a-z0-9-]+)-(switch|host[0-9]+)$/\1/p' | sort -u); do
    owner_alive "$prefix" && continue
    log "removing the stale setup $prefix (its run is gone)"
    teardown_prefix "$prefix"
  done
  for file in "$STATE_DIR"/*.owner; do
    [[ -e "$file" ]] || continue
    prefix=$(basename "$file" .owner)
    owner_alive "$prefix" || teardown_prefix "$prefix"
  done
}

# --- checks -----------------------------------------------------------------

check_tools() {
  # Debian keeps ip and tc in /usr/sbin, which a user's (or Bazel's) PATH may
  # lack.
  PATH="$PATH:/usr/sbin:/sbin"
  local tool
  for tool in ip tc; do
    command -v "$tool" >/dev/null || die "$tool not found (install iproute2)"
  done
  command -v mpirun >/dev/null || die "mpirun not found (install openmpi-bin; see tools/setup.sh)"
  ((EUID == 0)) || die "must run as root: network namespaces need CAP_NET_ADMIN (try sudo)"
  # ip netns keeps its namespaces in /run/netns; a sandbox (Bazel's
  # linux-sandbox) can leave root without it, mounted read-only.
  local dir
  for dir in /run/netns "$STATE_DIR"; do
    mkdir -p "$dir" 2>/dev/null && [[ -w "$dir" ]] && touch "$dir/.tg-write-check" 2>/dev/null ||
      die "cannot write $dir (read-only? inside a sandbox?): the namespaces need the machine's /run"
    rm -f "$dir/.tg-write-check"
  done
}

# --- setup ------------------------------------------------------------------

ns_host() { echo "$prefix-host$1"; }
address() { echo "$subnet.$(($1 + 1))"; }

# Limits DEV's egress in namespace NS to $rate.
shape() {
  local ns=$1 dev=$2 burst
  [[ "$rate" == none ]] && return 0
  case $qdisc in
    tbf)
      # burst: 1 ms at the rate (at least 64 KiB, one GSO packet), so the
      # shaper's granularity is far below a transfer's time; limit: 20 ms of
      # queue, so TCP is slowed by the shaper, not by drops.
      burst=$(( rate_bits / 8000 > 65536 ? rate_bits / 8000 : 65536 ))
      tc -n "$ns" qdisc add dev "$dev" root tbf rate "$rate" burst "$burst" \
        limit $(( burst + rate_bits / 400 )) ||
        die "tc could not add tbf on $dev in $ns (is the sch_tbf module available?)"
      ;;
    htb)
      # One class; its quantum only shares among siblings (there are none),
      # set so that htb does not warn that rate/r2q is big.
      { tc -n "$ns" qdisc add dev "$dev" root handle 1: htb default 1 &&
        tc -n "$ns" class add dev "$dev" parent 1: classid 1:1 htb rate "$rate" ceil "$rate" \
          quantum 60000; } ||
        die "tc could not add htb on $dev in $ns (is the sch_htb module available?)"
      ;;
  esac
}

# IPv6 off inside a namespace: no router solicitations on the links' counters
# and no IPv6 addresses for Open MPI to try.
no_ipv6() {
  ip netns exec "$1" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null || true
}

setup() {
  local i sw="$prefix-switch" ns
  ip netns add "$sw" || die "could not create the namespace $sw"
  no_ipv6 "$sw"
  ip -n "$sw" link set lo up
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  for ((i = 0; i < hosts; i++)); do
    ns=$(ns_host "$i")
    ip netns add "$ns" || die "could not create the namespace $ns"
    no_ipv6 "$ns"
    ip -n "$ns" link set lo up
    # Created in the switch, the host end moved into its namespace at once.
    ip -n "$sw" link add "h$i" type veth peer name eth0 netns "$ns"
    ip -n "$sw" link set "h$i" master br0
    ip -n "$sw" link set "h$i" up
    ip -n "$ns" addr add "$(address "$i")/24" dev eth0
    ip -n "$ns" link set eth0 up
    shape "$ns" eth0
    shape "$sw" "h$i"
  done
}

# The launch agent Open MPI calls as it would call ssh: AGENT HOST COMMAND...
# (the command line of an orted, meant for a remote shell).
write_agent() {
  local i
  {
    echo '#!/bin/sh'
    echo "# Generated by $me for the setup $prefix: ssh to an emulated host."
    echo 'host=$1; shift'
    echo 'case $host in'
    for ((i = 0; i < hosts; i++)); do
      echo "  $(address "$i")) ns=$(ns_host "$i") ;;"
    done
    echo "  *) echo \"$me agent: $prefix has no host \$host\" >&2; exit 255 ;;"
    echo 'esac'
    echo "PATH=\"\$PATH:/usr/sbin:/sbin\""
    echo 'exec ip netns exec "$ns" /bin/sh -c "$*"'
  } >"$workdir/agent"
  chmod +x "$workdir/agent"
}

write_hostfile() {
  local i slots=$(( (np + hosts - 1) / hosts ))
  for ((i = 0; i < hosts; i++)); do
    echo "$(address "$i") slots=$slots"
  done >"$workdir/hostfile"
}

# "SENT RECEIVED" of host I's link so far.
link_bytes() {
  ip netns exec "$(ns_host "$1")" sh -c \
    'echo $(cat /sys/class/net/eth0/statistics/tx_bytes) $(cat /sys/class/net/eth0/statistics/rx_bytes)'
}

# --- the run ----------------------------------------------------------------

teardown() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "${prefix:-}" && "${owned:-0}" == 1 ]]; then
    teardown_prefix "$prefix"
    if [[ -n "$(namespaces_of "$prefix")" ]]; then
      log "could not remove every namespace of $prefix: $(namespaces_of "$prefix" | tr '\n' ' ')"
      ((status != 0)) || status=1
    fi
  fi
  exit "$status"
}

on_signal() {
  log "$1: stopping the run and removing $prefix"
  # teardown (EXIT) asks mpirun and everything else in the namespaces to stop.
  if [[ "$1" == INT ]]; then exit 130; fi
  exit 143
}

hosts=2 np="" rate=1gbit qdisc=tbf subnet=10.77.0 bytes_file="" prefix="" cleanup_only=0
mpirun_args=()
while (($#)); do
  case $1 in
    -k|--hosts) hosts=${2-}; shift 2 || usage_error "$1 needs a value" ;;
    -n|--np) np=${2-}; shift 2 || usage_error "$1 needs a value" ;;
    --rate) rate=${2-}; shift 2 || usage_error "$1 needs a value" ;;
    --qdisc) qdisc=${2-}; shift 2 || usage_error "$1 needs a value" ;;
    --subnet) subnet=${2-}; shift 2 || usage_error "$1 needs a value" ;;
    --bytes) bytes_file=${2-}; shift 2 || usage_error "$1 needs a value" ;;
    --prefix) prefix=${2-}; shift 2 || usage_error "$1 needs a value" ;;
    --mpirun-arg) mpirun_args+=("${2-}"); shift 2 || usage_error "$1 needs a value" ;;
    --cleanup) cleanup_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) usage_error "unknown option $1 (the command goes after --)" ;;
  esac
done

if ((cleanup_only)); then
  check_tools
  cleanup_stale
  exit 0
fi
(($#)) || usage_error "no command to run (after --)"
[[ "$hosts" =~ ^[0-9]+$ ]] && ((hosts >= 2 && hosts <= 250)) ||
  usage_error "--hosts $hosts: need 2..250 hosts (one host is plain mpirun)"
np=${np:-$hosts}
[[ "$np" =~ ^[0-9]+$ ]] && ((np >= 1)) || usage_error "--np $np: need at least 1 process"
[[ "$qdisc" == tbf || "$qdisc" == htb ]] || usage_error "--qdisc $qdisc: tbf or htb"
[[ "$subnet" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || usage_error "--subnet $subnet: three numbers, as 10.77.0"
if [[ "$rate" != none ]]; then
  # tc's units (bit/s): bit, kbit, mbit, gbit; kbps.. are bytes/s.
  [[ "$rate" =~ ^([0-9]+)(bit|kbit|mbit|gbit)$ ]] ||
    usage_error "--rate $rate: a number and bit, kbit, mbit or gbit (or none)"
  case ${BASH_REMATCH[2]} in
    bit) rate_bits=${BASH_REMATCH[1]} ;;
    kbit) rate_bits=$((BASH_REMATCH[1] * 1000)) ;;
    mbit) rate_bits=$((BASH_REMATCH[1] * 1000000)) ;;
    gbit) rate_bits=$((BASH_REMATCH[1] * 1000000000)) ;;
  esac
  ((rate_bits >= 100000)) || usage_error "--rate $rate: at least 100kbit"
fi
prefix=${prefix:-tg-eh$$}
[[ "$prefix" =~ $NAME_RE ]] || usage_error "--prefix $prefix: must match $NAME_RE"
check_tools

cleanup_stale
if owner_alive "$prefix" || [[ -n "$(namespaces_of "$prefix")" ]]; then
  die "the setup $prefix is in use by a running $me (pid $(cut -d' ' -f1 "$STATE_DIR/$prefix.owner" 2>/dev/null))"
fi
workdir=$(mktemp -d "${TMPDIR:-/tmp}/tg-emulated-hosts.XXXXXX")
# The owner file comes first: a run killed during setup leaves a stale setup
# that the next run recognises.
# Written whole, then renamed: a concurrent run's cleanup never reads half of
# it (and would take this live setup for a stale one).
echo "$$ $(start_time $$) $workdir" >"$STATE_DIR/$prefix.owner.tmp"
mv "$STATE_DIR/$prefix.owner.tmp" "$STATE_DIR/$prefix.owner"
owned=1
trap teardown EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

setup
write_agent
write_hostfile
log "$hosts hosts ($prefix-host0..$((hosts - 1)), $subnet.1..$((hosts))), links $rate each way ($qdisc), $np processes"

declare -a before
for ((i = 0; i < hosts; i++)); do before[i]=$(link_bytes "$i"); done

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# shellcheck disable=SC2054  # the commas are Open MPI's lists
cmd=(ip netns exec "$(ns_host 0)" mpirun
     --hostfile "$workdir/hostfile" -np "$np" --map-by node --oversubscribe --bind-to none
     --mca plm_rsh_agent "$workdir/agent"
     --mca plm_rsh_no_tree_spawn 1
     --mca pml ob1 --mca btl tcp,self
     --mca btl_tcp_if_include "$subnet.0/24" --mca oob_tcp_if_include "$subnet.0/24"
     "${mpirun_args[@]}" -- "$@")
# In the background, so that a signal to this script runs its trap at once
# (bash runs traps only after a foreground command ends); <&0 keeps stdin
# (a background command's would be /dev/null).
"${cmd[@]}" <&0 &
mpirun_pid=$!
status=0
wait "$mpirun_pid" || status=$?

{
  echo "host address sent_bytes received_bytes"
  for ((i = 0; i < hosts; i++)); do
    read -r tx0 rx0 <<<"${before[i]}"
    read -r tx1 rx1 <<<"$(link_bytes "$i")"
    echo "host$i $(address "$i") $((tx1 - tx0)) $((rx1 - rx0))"
  done
} >"$workdir/bytes"
if [[ -n "$bytes_file" ]]; then
  cp "$workdir/bytes" "$bytes_file" || log "could not write $bytes_file"
fi
log "bytes on each host link during the run:"
column -t "$workdir/bytes" >&2 2>/dev/null || cat "$workdir/bytes" >&2
exit "$status"
