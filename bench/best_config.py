"""The configurations the PyTorch reference (and tapegrad's bench) may run in, and the choice
of the fastest correct one per workload.

A configuration is what a user may set without changing what is computed:
  - the allocator: glibc as the environment leaves it; glibc told to keep freed memory
    (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_); jemalloc or tcmalloc by
    LD_PRELOAD (Debian's libjemalloc2 and libtcmalloc-minimal4), the alternatives PyTorch's
    CPU performance guidance names;
  - oneDNN on or off (torch_reference.py --mkldnn; PyTorch only);
  - ATen's kernels: as ATen picks them, or ATEN_CPU_CAPABILITY=avx512 where the CPU has what
    ATen's AVX-512 kernels need (torch 1.13 only uses them when told; PyTorch only);
  - OpenBLAS's core: chosen once by openblas_core.choose_core (PyTorch only).

compare.py probes every configuration on each workload with a short protocol (one process
per configuration and workload), takes per workload the fastest whose results agree with the
default configuration's (pick()), then runs the full protocol on it and on the default.
Benchmarks only: tests and CI never set any of this.
"""

import itertools
import os

LIBRARY_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"]

# glibc keeps freed blocks instead of handing them back to the kernel (mmap threshold at its
# 32 MiB maximum, no trimming, a large top pad), so a step's activations are not page-faulted
# in again every step (issue 26). reference.sh sets the same.
GLIBC_KEEP = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "100000000000",
              "MALLOC_TOP_PAD_": "1000000000"}
# torch.backends.xeon.run_cpu's MALLOC_CONF for jemalloc, with freed pages never purged
# (decay -1, as PyTorch's later CPU launcher scripts set): with run_cpu's alone, or with the
# 9000000000 ms decay of Intel's older guides, jemalloc 5.3 handed the large blocks back at
# once (measured: 8,194 page faults per sbn fwd+bwd call, 12,323 per cnn_step step), the very
# cost the other allocators avoid; with -1, none.
JEMALLOC_CONF = ("oversize_threshold:1,background_thread:true,metadata_thp:auto,"
                 "dirty_decay_ms:-1,muzzy_decay_ms:-1")

# name: (what it is, for the tables; the library LD_PRELOAD needs, or None)
ALLOCATORS = {
    "glibc": ("glibc malloc as the environment leaves it", None),
    "glibc-keep": ("glibc with " + " ".join(f"{k}={v}" for k, v in GLIBC_KEEP.items()), None),
    "jemalloc": (f"jemalloc by LD_PRELOAD, MALLOC_CONF={JEMALLOC_CONF}", "libjemalloc.so.2"),
    "tcmalloc": ("tcmalloc by LD_PRELOAD", "libtcmalloc_minimal.so.4"),
}
ALLOCATOR_PACKAGES = {"jemalloc": "libjemalloc2", "tcmalloc": "libtcmalloc-minimal4"}

# What ATen 1.13 checks before it runs its AVX-512 kernels (DispatchStub.cpp), as
# /proc/cpuinfo names the flags.
ATEN_AVX512_FLAGS = {"avx512f", "avx512vl", "avx512bw", "avx512dq", "fma"}


def find_library(name, dirs=LIBRARY_DIRS):
    """The path of a shared library in the usual folders, or None."""
    for folder in dirs:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    return None


def allocator_env(name, environ, dirs=LIBRARY_DIRS):
    """The environment variables that select allocator `name` (added to `environ`'s), or
    raises ValueError naming the package to install."""
    if name not in ALLOCATORS:
        raise ValueError(f"unknown allocator '{name}' (known: {', '.join(ALLOCATORS)})")
    if name == "glibc":
        return {}
    if name == "glibc-keep":
        return dict(GLIBC_KEEP)
    library = find_library(ALLOCATORS[name][1], dirs)
    if library is None:
        raise ValueError(f"{name}: {ALLOCATORS[name][1]} not found: apt-get install "
                         f"{ALLOCATOR_PACKAGES[name]}")
    preload = ":".join(p for p in [library, environ.get("LD_PRELOAD", "")] if p)
    added = {"LD_PRELOAD": preload}
    if name == "jemalloc":
        added["MALLOC_CONF"] = JEMALLOC_CONF
    return added


def available_allocators(dirs=LIBRARY_DIRS):
    """(the allocators this machine has, {missing one: why})."""
    found, missing = [], {}
    for name in ALLOCATORS:
        try:
            allocator_env(name, {}, dirs)
            found.append(name)
        except ValueError as e:
            missing[name] = str(e)
    return found, missing


def capabilities_for(flags):
    """ATEN_CPU_CAPABILITY values to try: "auto" (ATen's own choice; AVX2 on an AVX2 CPU,
    even one with AVX-512) and "avx512" where the CPU has what those kernels need."""
    return ["auto"] + (["avx512"] if ATEN_AVX512_FLAGS <= set(flags) else [])


class Config:
    """One configuration of a side: allocator, oneDNN, ATen capability, and whether it runs
    on the OpenBLAS core openblas_core.choose_core picked (else: the core as given)."""

    def __init__(self, allocator="glibc", mkldnn="on", capability="auto", chosen_core=False):
        self.allocator, self.mkldnn, self.capability = allocator, mkldnn, capability
        self.chosen_core = chosen_core

    def key(self):
        return (self.allocator, self.mkldnn, self.capability, self.chosen_core)

    def __eq__(self, other):
        return isinstance(other, Config) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def is_default(self):
        return self == Config()

    def label(self, core_name=None):
        """Short, for a table cell: what differs from the default ("default" if nothing)."""
        parts = []
        if self.allocator != "glibc":
            parts.append(self.allocator)
        if self.mkldnn != "on":
            parts.append("oneDNN off")
        if self.capability != "auto":
            parts.append(f"ATen {self.capability}")
        if self.chosen_core:
            parts.append(f"OpenBLAS {core_name or 'chosen core'}")
        return ", ".join(parts) or "default"

    def torch_arguments(self):
        return ["--allocator", self.allocator, "--mkldnn", self.mkldnn,
                "--aten-capability", self.capability]

    def as_json(self, core_name=None):
        return {"allocator": self.allocator, "mkldnn": self.mkldnn,
                "aten_capability": self.capability, "chosen_core": self.chosen_core,
                "label": self.label(core_name)}


def torch_configs(allocators, capabilities, core_changed):
    """Every combination for PyTorch, the default first. Every one but the default runs on
    the chosen OpenBLAS core (when it differs from the core as given): the core is chosen by
    its own probe, so it adds one configuration, not a dimension."""
    configs = [Config()]
    for allocator, mkldnn, capability in itertools.product(allocators, ["on", "off"],
                                                           capabilities):
        config = Config(allocator, mkldnn, capability, chosen_core=core_changed)
        if config not in configs:
            configs.append(config)
    return configs


# The workloads whose PyTorch side runs convolutions, the only ops torch 1.13 sends to oneDNN
# for float32 CPU tensors: elsewhere oneDNN off runs the same kernels, so it is not probed.
ONEDNN_WORKLOADS = {"cnn_step", "cnn_bn_step", "predict", "conv", "train_epochs"}


def relevant(config, workload):
    """Whether a configuration can change this workload (oneDNN off only for convolutions)."""
    return config.mkldnn == "on" or workload in ONEDNN_WORKLOADS


def tapegrad_configs(allocators):
    """tapegrad's side: the allocator only (oneDNN and OpenBLAS are not choices there)."""
    return [Config(allocator) for allocator in allocators]


# Fields that say what a workload computed (a loss after the fixed steps of a probe, a
# score, a norm of the gradients), compared between configurations.
CHECK_FIELDS = ("final_loss", "first_score", "check")
# Relative difference to the default configuration's results above which a configuration is
# taken to compute something else. Other kernels (oneDNN off, AVX-512) round differently:
# after a probe's few Adam steps losses differ by about 1e-6; a wrong kernel by far more.
CHECK_TOLERANCE = 1e-4
TIME_FIELDS = ("median_ms", "fwd_median_ms")


def score(records):
    """A workload's figure for ranking configurations: the sum of its timed medians over its
    records (both conv cases, sbn's fwd+bwd and fwd...); None without one."""
    values = [r[f] for r in records for f in TIME_FIELDS if isinstance(r.get(f), (int, float))]
    return sum(values) if values else None


def checks(records):
    """{(case, field): value} of what the records computed."""
    return {(r.get("case", ""), f): r[f] for r in records for f in CHECK_FIELDS
            if isinstance(r.get(f), (int, float))}


def disagreement(these, reference, tolerance=CHECK_TOLERANCE):
    """Why these results differ from the reference's, or None when they agree (fields only
    one side has are not compared)."""
    for key in sorted(set(these) & set(reference)):
        a, b = these[key], reference[key]
        if abs(a - b) > tolerance * max(abs(b), 1e-30):
            case, field = key
            return (f"{field}{' of ' + case if case else ''} {a:g} against the default's {b:g} "
                    f"(relative tolerance {tolerance:g})")
    return None


def pick(probes, configs):
    """The configuration to run a workload on, from its probes.

    probes: {config: (records, error or None)} for one workload; configs: the order they
    were tried, the default first. Returns (chosen config, {config: verdict}), where a verdict
    is {"score": s} or {"score": s, "refused": why}. The chosen one is the lowest score
    among those that ran and agree with the default's results (ties: the earlier one); the
    default when nothing else qualifies."""
    default = configs[0]
    reference = checks(probes[default][0]) if probes.get(default) and not probes[default][1] \
        else None
    verdicts, best = {}, None
    for config in configs:
        if config not in probes:
            continue
        records, error = probes[config]
        value = score(records)
        verdict = {"score": None if value is None else round(value, 4)}
        if error or value is None:
            verdict["refused"] = error or "no timing"
        elif config != default:
            if reference is None:
                verdict["refused"] = "the default configuration's probe failed: nothing to " \
                                     "check the results against"
            else:
                why = disagreement(checks(records), reference)
                if why:
                    verdict["refused"] = why
        verdicts[config] = verdict
        if "refused" not in verdict and (best is None or value < score(probes[best][0])):
            best = config
    return best or default, verdicts
