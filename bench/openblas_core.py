"""Which OpenBLAS kernels the PyTorch reference runs on, and a fair choice where OpenBLAS guesses.

OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its kernels from the CPU's model number.
On a virtual CPU whose model is hidden, 0.3.21 falls back to generic kernels ("Prescott":
GEMM about 30 GFLOP/s instead of 130+ on an AVX-512 Xeon), which makes every ratio to
PyTorch look twice as good as it is. Where the loaded core is such a fallback on a CPU with
AVX2 or AVX-512 (from /proc/cpuinfo's flags), the bench names the core with
OPENBLAS_CORETYPE (SKYLAKEX for avx512f, HASWELL for avx2), as shared/bench/reference.sh
does, but only after a process started with it computes a GEMM that agrees with float64
(otherwise that core is refused, and the table says so). Benchmarks only: never in tests or
CI.

Used by torch_reference.py (which probes and re-runs itself) and compare.py (which probes
once and gives the core to every PyTorch run).

compare.py goes further (choose_core): a core the environment names, or OpenBLAS's own
choice, may still not be the fastest this CPU runs (OPENBLAS_CORETYPE=Haswell on a Zen 5
with AVX-512 halves PyTorch's GEMM). It probes OpenBLAS's AVX-512 cores (SkylakeX,
Cooperlake) where the CPU has their instructions, and Haswell in place of a fallback, each in
a process of its own that checks a GEMM against float64 and times one, and gives PyTorch the
fastest core that agrees. The caller's OPENBLAS_CORETYPE is left alone in tests and CI.
"""

import ctypes
import json
import signal
import subprocess

CORETYPE = "OPENBLAS_CORETYPE"
# Set by the bench when it chose OPENBLAS_CORETYPE itself: how, for the env record and table.
CORE_NOTE = "TAPEGRAD_BENCH_OPENBLAS_CORE_NOTE"
# Set when a core was tried and refused, so a re-run does not try it again.
CORE_REFUSED = "TAPEGRAD_BENCH_OPENBLAS_CORE_REFUSED"

# OpenBLAS core names (openblas_get_corename, lower case) whose kernels use neither AVX2 nor
# AVX-512: on a CPU that has either, OpenBLAS only picks them when it does not know the CPU.
FALLBACK_CORES = {
    "generic", "katmai", "coppermine", "northwood", "prescott", "banias", "core2", "penryn",
    "dunnington", "nehalem", "atom", "opteron", "opteron_sse3", "barcelona", "bobcat",
    "sandybridge", "bulldozer", "piledriver", "steamroller", "nano",
}
# Relative error (Frobenius) of a float32 GEMM against float64 above which a core is refused.
# A correct kernel gives about 1e-7 at the size checked.
GEMM_TOLERANCE = 1e-5


def cpu_flags(cpuinfo_text=None):
    """The feature flags of the first CPU in /proc/cpuinfo (an empty set if unreadable)."""
    if cpuinfo_text is None:
        try:
            with open("/proc/cpuinfo") as cpuinfo:
                cpuinfo_text = cpuinfo.read()
        except OSError:
            return set()
    for line in cpuinfo_text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def coretype_for(flags):
    """The OPENBLAS_CORETYPE that fits these CPU flags, or None for a CPU without AVX2."""
    if "avx512f" in flags:
        return "SKYLAKEX"
    if "avx2" in flags:
        return "HASWELL"
    return None


def is_fallback(corename):
    return corename is not None and corename.strip().lower() in FALLBACK_CORES


def better_core(corename, flags, environ):
    """The core to try instead of `corename`, or None: only for a fallback core on an AVX2 or
    AVX-512 CPU, when the caller did not name one (nor chose, as compare.py does by setting
    CORE_NOTE) and it was not refused before."""
    if not is_fallback(corename) or environ.get(CORETYPE) or environ.get(CORE_NOTE):
        return None
    wanted = coretype_for(flags)
    if wanted is None or wanted == environ.get(CORE_REFUSED):
        return None
    return wanted


def openblas(path):
    """A ctypes handle on the OpenBLAS library at `path`, or None when it is another BLAS."""
    if path is None:
        return None
    try:
        library = ctypes.CDLL(path)
        library.openblas_get_config.restype = ctypes.c_char_p
        library.openblas_get_corename.restype = ctypes.c_char_p
        library.openblas_get_num_threads.restype = ctypes.c_int
        return library
    except (OSError, AttributeError):
        return None


def corename(library):
    """OpenBLAS's name for the kernels it runs ("Haswell", "Prescott"...), or None."""
    return library.openblas_get_corename().decode() if library is not None else None


def gemm_relative_error(torch, m=129, k=131, n=127):
    """‖A·B - exact‖ / ‖exact‖ of a float32 torch.mm (the BLAS under test) against a float64
    product summed elementwise (no BLAS involved). Odd sizes reach the kernels' edge code."""
    generator = torch.Generator().manual_seed(12)
    a = torch.randn(m, k, generator=generator)
    b = torch.randn(k, n, generator=generator)
    product = torch.mm(a, b).double()
    exact = (a.double()[:, :, None] * b.double()[None, :, :]).sum(dim=1)
    return float((product - exact).norm() / exact.norm())


PROBE_WORKLOAD = "blas_probe"  # the record torch_reference.py --probe-blas prints


def probe(command, environ, timeout_s=300):
    """Runs `command` (torch_reference.py --probe-blas) with `environ`: (its record, None), or
    (None, why) when it crashed (an illegal instruction, for a core the CPU lacks) or printed
    no record."""
    try:
        done = subprocess.run(command, env=environ, capture_output=True, text=True,
                              timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    records = []
    for line in done.stdout.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    record = next((r for r in records if r.get("workload") == PROBE_WORKLOAD), None)
    if done.returncode != 0 or record is None:
        stderr = [line for line in done.stderr.splitlines() if line.strip()]
        status = f"exit status {done.returncode}"
        if done.returncode < 0:  # SIGILL: kernels for instructions this CPU lacks
            status += f" ({signal.Signals(-done.returncode).name})"
        return None, f"{status}: {stderr[-1][:160] if stderr else 'no output'}"
    return record, None


def how_chosen(core, environ, flags):
    """How the core in use came about, when the bench changed nothing (for the tables)."""
    if environ.get(CORE_NOTE):
        return environ[CORE_NOTE]
    if environ.get(CORETYPE):
        return f"OPENBLAS_CORETYPE={environ[CORETYPE]} from the caller"
    if is_fallback(core) and coretype_for(flags) is None:
        return "OpenBLAS's choice; the CPU has no AVX2"
    return "OpenBLAS's choice from the CPU model"


def fair_core(command, environ, core, flags):
    """Where `core` is a fallback that better_core() would replace: probes `command` with
    OPENBLAS_CORETYPE set and returns (the variables to add to the environment, a note saying
    what was chosen and why). The core is refused unless the probe ran non-fallback kernels
    whose GEMM agrees with float64. Nothing to add (and how the core came about) otherwise."""
    wanted = better_core(core, flags, environ)
    if wanted is None:
        return {}, how_chosen(core, environ, flags)
    flag = "avx512f" if wanted == "SKYLAKEX" else "avx2"
    record, why = probe(command, dict(environ, **{CORETYPE: wanted}))
    if record is not None:
        error = record.get("gemm_rel_err")
        got = record.get("openblas_core")
        if is_fallback(got) or got is None:
            why = f"OpenBLAS still ran {got}"
        elif error is None or not error <= GEMM_TOLERANCE:
            why = f"its GEMM differs from float64 by {error} (relative), above {GEMM_TOLERANCE:g}"
        else:
            note = (f"OPENBLAS_CORETYPE={wanted} set from the CPU's {flag} flag (OpenBLAS alone "
                    f"chose {core}); its GEMM agrees with float64 to {error:.1e}")
            return {CORETYPE: wanted, CORE_NOTE: note}, note
    note = (f"{core}, OpenBLAS's generic fallback, kept: {wanted} was refused ({why}); the "
            f"PyTorch reference runs slower than this CPU allows")
    return {CORE_REFUSED: wanted, CORE_NOTE: note}, note


# OpenBLAS's AVX-512 kernels and the CPU flags they need (as /proc/cpuinfo names them):
# SkylakeX's (OpenBLAS checks AVX-512 F, CD, BW, DQ and VL) and Cooperlake's, which add
# bfloat16 (Zen 4 and Zen 5 have it; OpenBLAS 0.3.21 picks Cooperlake there itself).
AVX512_CORES = [
    ("SKYLAKEX", {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}),
    ("COOPERLAKE", {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"}),
]


def same_core(coretype, corename):
    """Whether OPENBLAS_CORETYPE `coretype` names the core OpenBLAS reported as `corename`."""
    return corename is not None and coretype.lower() == corename.strip().lower()


def candidate_cores(corename, flags):
    """The OPENBLAS_CORETYPE values worth probing besides the core in use: the AVX-512 cores
    the CPU has the instructions for, and Haswell's where the core in use is a fallback on an
    AVX2 CPU."""
    wanted = [core for core, needs in AVX512_CORES if needs <= set(flags)]
    if is_fallback(corename) and "avx2" in flags:
        wanted.append("HASWELL")
    return [core for core in wanted if not same_core(core, corename)]


def refusal(record, why, coretype=None):
    """Why a probe's core cannot be used (None when it can): it crashed (an illegal
    instruction, for a core the CPU lacks), ran a fallback, ran another core than asked for,
    or computed a GEMM that differs from float64."""
    if record is None:
        return why
    got = record.get("openblas_core")
    error = record.get("gemm_rel_err")
    if got is None:
        return "no OpenBLAS core reported"
    if is_fallback(got):
        return f"OpenBLAS ran {got}, a generic fallback"
    if coretype is not None and not same_core(coretype, got):
        return f"OpenBLAS ran {got} instead"
    if error is None or not error <= GEMM_TOLERANCE:
        return f"its GEMM differs from float64 by {error} (relative), above {GEMM_TOLERANCE:g}"
    return None


def choose_core(command, environ, flags, probe_with=None):
    """The fastest OpenBLAS core that computes correctly, among the core as `environ` gives it
    and candidate_cores(). Each is probed with `command` (torch_reference.py --probe-blas: the
    core, a GEMM checked against float64 and gemm_ms, the best of a few 1024^2 products).

    Returns (variables to add to the environment: {} to keep the core as given, the core's
    name, a note for the tables, the trials: one dict per core probed)."""
    probe_with = probe_with or probe
    given, why = probe_with(command, environ)
    trials = [{"coretype": None, "core": (given or {}).get("openblas_core"),
               "gemm_ms": (given or {}).get("gemm_ms"),
               "gemm_rel_err": (given or {}).get("gemm_rel_err"), "refused": refusal(given, why)}]
    given_core = trials[0]["core"]
    for coretype in candidate_cores(given_core, flags):
        record, why = probe_with(command, dict(environ, **{CORETYPE: coretype}))
        trials.append({"coretype": coretype, "core": (record or {}).get("openblas_core"),
                       "gemm_ms": (record or {}).get("gemm_ms"),
                       "gemm_rel_err": (record or {}).get("gemm_rel_err"),
                       "refused": refusal(record, why, coretype)})
    usable = [t for t in trials if t["refused"] is None and t["gemm_ms"] is not None]
    as_given = (f"OPENBLAS_CORETYPE={environ[CORETYPE]} from the caller" if environ.get(CORETYPE)
                else "OpenBLAS's choice from the CPU model")
    timings = "; ".join(
        f"{t['coretype'] or given_core or '?'}: "
        + (f"GEMM 1024² {t['gemm_ms']:.3g} ms" if t["refused"] is None else f"refused ({t['refused']})")
        for t in trials)
    if not usable:
        return {}, given_core, f"{given_core} ({as_given}); no core passed the check: {timings}", \
            trials
    best = min(usable, key=lambda t: t["gemm_ms"])  # the core as given wins a tie
    if best["coretype"] is None:
        note = f"{given_core} ({as_given}), the fastest correct core probed ({timings})"
        return {}, given_core, note, trials
    note = (f"OPENBLAS_CORETYPE={best['coretype']} chosen: the fastest core whose GEMM agrees "
            f"with float64 ({best['gemm_rel_err']:.1e}); as given {given_core} ({as_given}); "
            f"{timings}")
    return {CORETYPE: best["coretype"], CORE_NOTE: note}, best["core"], note, trials
