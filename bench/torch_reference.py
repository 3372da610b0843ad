#!/usr/bin/env python3
"""PyTorch side of tapegrad's benchmark: the workloads of shared/bench/workloads.md.

Usage:
    python3 bench/torch_reference.py [--only cnn_step,sbn,...] [--threads 2]
                                           [--blas openblas|system]
                                           [--allocator glibc|glibc-keep|jemalloc|tcmalloc]
                                           [--mkldnn on|off] [--aten-capability auto|avx512]
                                           [--probe]   (a short fixed protocol)
                                           [--epochs 3] [--iterations-per-epoch K]
                                           [--data-dir DIR] [--case TEXT]   (train_epochs)
    python3 bench/torch_reference.py --probe-blas   (the BLAS, its GEMM check and time)

Prints one JSON line per workload (or case) with the same field names as
`bazel run //bench` ("impl": "torch" instead of "tapegrad"), so the two
compare line by line; bench/compare.py puts them side by side.

Needs Debian's python3-torch (apt-get install python3-torch). Debian's torch
runs its matrix products on libblas.so.3, which is the unblocked reference BLAS
unless OpenBLAS is installed: with --blas openblas (the default) the script
unpacks Debian's libopenblas0-openmp under ~/.cache/tapegrad-bench-blas
(apt-get download, nothing installed system-wide), puts it first on
LD_LIBRARY_PATH and starts itself again, as shared/bench/reference.sh does.
If that fails it says so on stderr and runs on the BLAS it has; the "env"
record names the BLAS actually loaded.

Where OpenBLAS runs a generic fallback core on a CPU with AVX2 or AVX-512 (a
virtual CPU whose model it does not know), the script probes a process with
OPENBLAS_CORETYPE set from the CPU's flags and, if that one's GEMM agrees with
float64, starts itself again with it (openblas_core.py; benchmarks only, never
in tests or CI). The "env" record carries the core (openblas_core), how it was
chosen (openblas_core_note) and this process's GEMM check (gemm_rel_err); a
core whose GEMM disagrees with float64 is refused (exit status 2).

Started by a Python without torch (pyenv's python3, say), it starts itself
again with Debian's /usr/bin/python3 and says so on stderr.

The allocator matters here: glibc's malloc hands large freed blocks back to the
kernel (the mmap threshold and trimming), and PyTorch caches no CPU memory, so
the next step page-faults them in again. With glibc as it comes, a quarter to a
half of sbn's fwd+bwd calls took 4,096 page faults (16 MiB) and the others none,
a bimodal time; cnn_bn_step took 7,138 or 14,305 per step, predict 12,513 per
call (2026-12-07, an AMD EPYC VM). The
default, --allocator glibc-keep, sets what shared/bench/reference.sh sets
(best_config.GLIBC_KEEP); compare.py tries every allocator and takes the
fastest. The "env" record names the allocator, oneDNN's state and ATen's CPU
capability; every timed record carries minor_faults_per_call and
sys_ms_per_call.

Exit status: 0 done, 1 a workload failed (it printed an "error" record),
2 a bad command line, no torch, or a BLAS whose GEMM is wrong.
"""

import argparse
import gc
import glob
import importlib.util
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import best_config
import openblas_core
import torch_train_epochs

WORKLOADS = ["cnn_step", "cnn_bn_step", "sbn", "conv", "mlp_step", "lstm_step", "charlm_step",
             "predict", "tiny_ops", "gemm_peak", "stream", "train_epochs"]
BLAS_CACHE = os.path.expanduser("~/.cache/tapegrad-bench-blas")
OPENBLAS_DIR = "usr/lib/x86_64-linux-gnu/openblas-openmp"
READY_MARK = "TAPEGRAD_BENCH_BLAS_READY"  # set once the process runs with the chosen BLAS
# --probe: enough calls to see a bimodal step (page faults) without a full protocol's cost.
PROBE_TIMED = 5
PROTOCOL = {"probe": False}  # set by main() from --probe


# ----------------------------------------------------------------------------- set-up

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help="workloads to run, comma-separated: " + ",".join(WORKLOADS))
    parser.add_argument("--threads", type=int, default=2, help="torch and OpenBLAS threads")
    parser.add_argument("--blas", choices=["openblas", "system"], default="openblas",
                        help="openblas: Debian's libopenblas0-openmp from ~/.cache (default)")
    parser.add_argument("--epochs", type=int, default=3, help="train_epochs: epochs to time")
    parser.add_argument("--iterations-per-epoch", type=int, default=0,
                        help="train_epochs: steps per epoch (default: a whole epoch, 859)")
    parser.add_argument("--data-dir", default="",
                        help=f"train_epochs: IDX files (default {torch_train_epochs.FASHION_MNIST})")
    parser.add_argument("--case", default="",
                        help="train_epochs: only the cases whose name contains this text")
    parser.add_argument("--probe-blas", action="store_true",
                        help="print the loaded BLAS, its core, GEMM check and GEMM time as one "
                             "record, and stop")
    parser.add_argument("--probe", action="store_true",
                        help=f"a short fixed protocol for comparing configurations: the "
                             f"workload's warm-up, then exactly {PROBE_TIMED} timed calls per "
                             "measurement (compare.py's search; the figures are rough)")
    parser.add_argument("--mkldnn", choices=["on", "off"], default="on",
                        help="torch.backends.mkldnn.enabled (off: convolutions without oneDNN)")
    parser.add_argument("--allocator", choices=list(best_config.ALLOCATORS), default="glibc-keep",
                        help="malloc: " + "; ".join(f"{k}: {v[0]}" for k, v in
                                                    best_config.ALLOCATORS.items())
                             + " (default glibc-keep, as shared/bench/reference.sh)")
    parser.add_argument("--aten-capability", choices=["auto", "avx2", "avx512"], default="auto",
                        help="ATEN_CPU_CAPABILITY (auto: as the environment leaves it; torch "
                             "1.13 picks AVX2 even on an AVX-512 CPU)")
    args = parser.parse_args(argv)
    args.only = [w for w in args.only.split(",") if w]
    for name in args.only:
        if name not in WORKLOADS:
            parser.error(f"--only: unknown workload '{name}' (known: {','.join(WORKLOADS)})")
    if args.threads < 1:
        parser.error(f"--threads: must be at least 1, got {args.threads}")
    if args.epochs < 1:
        parser.error(f"--epochs: must be at least 1, got {args.epochs}")
    if args.iterations_per_epoch < 0:
        parser.error(f"--iterations-per-epoch: must be positive, got {args.iterations_per_epoch}")
    return args


def unpacked_openblas():
    """The folder holding Debian's OpenBLAS (libblas.so.3), unpacked on first use."""
    folder = os.path.join(BLAS_CACHE, "pkg", OPENBLAS_DIR)
    if os.path.exists(os.path.join(folder, "libblas.so.3")):
        return folder
    os.makedirs(BLAS_CACHE, exist_ok=True)
    quiet = {"cwd": BLAS_CACHE, "check": True, "stdout": subprocess.DEVNULL,
             "stderr": subprocess.PIPE}
    if not glob.glob(os.path.join(BLAS_CACHE, "libopenblas0-openmp_*.deb")):
        subprocess.run(["apt-get", "download", "libopenblas0-openmp"], **quiet)
    deb = sorted(glob.glob(os.path.join(BLAS_CACHE, "libopenblas0-openmp_*.deb")))[-1]
    subprocess.run(["dpkg", "-x", deb, "pkg"], **quiet)
    return folder


def restart_with_blas(args):
    """LD_LIBRARY_PATH, LD_PRELOAD, the malloc tunables and ATEN_CPU_CAPABILITY only count at
    start-up: set them, then exec this script again."""
    env = dict(os.environ)
    env[READY_MARK] = "1"
    env["OMP_NUM_THREADS"] = str(args.threads)
    try:
        env.update(best_config.allocator_env(args.allocator, env))
    except ValueError as e:
        print(f"torch_reference: --allocator {e}", file=sys.stderr)
        sys.exit(2)
    if args.aten_capability != "auto":
        env["ATEN_CPU_CAPABILITY"] = args.aten_capability
    if args.blas == "openblas":
        try:
            folder = unpacked_openblas()
            env["LD_LIBRARY_PATH"] = ":".join(
                p for p in [folder, os.environ.get("LD_LIBRARY_PATH", "")] if p)
        except (OSError, subprocess.CalledProcessError, IndexError) as e:
            detail = getattr(e, "stderr", b"") or b""
            print(f"torch_reference: --blas openblas: could not unpack libopenblas0-openmp "
                  f"({e} {detail.decode(errors='replace').strip()}); running on the system BLAS",
                  file=sys.stderr)
    python = torch_python()
    if python != sys.executable:
        print(f"torch_reference: {sys.executable} has no torch: running on {python}",
              file=sys.stderr)
    os.execve(python, [python, os.path.abspath(__file__)] + sys.argv[1:], env)


def torch_python():
    """This interpreter if it has torch, else Debian's (where python3-torch installs)."""
    if importlib.util.find_spec("torch") is None and os.path.exists("/usr/bin/python3"):
        return "/usr/bin/python3"
    return sys.executable


def fair_openblas_core(args, openblas):
    """How the OpenBLAS core in use was chosen. Where it is a generic fallback on an AVX2 or
    AVX-512 CPU, probes a process with OPENBLAS_CORETYPE set and, if the probe's GEMM agrees
    with float64, starts this script again with it (does not return)."""
    if openblas is None:
        return "no OpenBLAS loaded"
    core = openblas_core.corename(openblas)
    probe = [sys.executable, os.path.abspath(__file__), "--probe-blas",
             "--threads", str(args.threads)]
    added, note = openblas_core.fair_core(probe, dict(os.environ), core, openblas_core.cpu_flags())
    if added.get(openblas_core.CORETYPE):
        print(f"torch_reference: {note}: running again with it", file=sys.stderr)
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                  dict(os.environ, **added))
    if added:
        print(f"torch_reference: {note}", file=sys.stderr)
        os.environ.update(added)
    return note


def loaded_blas():
    """The BLAS library this process mapped, as a real path (None if none yet)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return None
    for key in ("libopenblas", "libblas.so"):
        for path in sorted(paths):
            if key in os.path.basename(path):
                return os.path.realpath(path)
    return None


def openblas_library():
    """A ctypes handle on the loaded OpenBLAS, or None when another BLAS runs."""
    return openblas_core.openblas(loaded_blas())


def set_threads(torch, openblas, threads):
    torch.set_num_threads(threads)
    if openblas is not None:
        openblas.openblas_set_num_threads(threads)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


# ----------------------------------------------------------------------------- protocol

def machine_cpu_seconds():
    """(busy, steal) CPU seconds of the whole machine from /proc/stat's "cpu " line."""
    with open("/proc/stat") as stat:
        for line in stat:
            if line.startswith("cpu "):
                v = [float(x) for x in line.split()[1:9]]
                tick = os.sysconf("SC_CLK_TCK")
                # user nice system idle iowait irq softirq steal
                return (v[0] + v[1] + v[2] + v[5] + v[6]) / tick, v[7] / tick
    raise RuntimeError("/proc/stat has no \"cpu \" line")


def cpu_sample():
    busy, steal = machine_cpu_seconds()
    return time.perf_counter(), busy, steal, time.process_time()


class Measurement:
    def __init__(self, seconds, other_cpu_pct, steal_pct, window_s, faults=None):
        self.seconds = seconds
        self.other_cpu_pct = other_cpu_pct
        self.steal_pct = steal_pct
        self.window_s = window_s  # /proc/stat ticks are 10 ms: short windows give rough figures
        self.faults = faults  # (minor page faults, kernel CPU seconds) over the timed calls

    def median_ms(self):
        return statistics.median(self.seconds) * 1e3

    def min_ms(self):
        return min(self.seconds) * 1e3

    def fields(self, prefix=""):
        fields = {prefix + "median_ms": round(self.median_ms(), 4),
                  prefix + "min_ms": round(self.min_ms(), 4),
                  prefix + "max_ms": round(max(self.seconds) * 1e3, 4),
                  prefix + "n": len(self.seconds)}
        if self.faults is not None:
            # Page faults per call show an allocator that hands memory back to the kernel
            # (glibc's mmap/munmap of large blocks): each call then faults its pages in again.
            minor, system_s = self.faults
            fields[prefix + "minor_faults_per_call"] = round(minor / len(self.seconds), 1)
            fields[prefix + "sys_ms_per_call"] = round(system_s * 1e3 / len(self.seconds), 3)
        return fields


def fault_sample():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt, usage.ru_stime


def measure(call, warmup, iterations, budget_s, min_timed=3):
    """warmup untimed calls; then timed calls until `iterations`, or until the timed
    total exceeds budget_s once min_timed calls were made (with --probe: exactly PROBE_TIMED
    timed calls, so every configuration makes the same calls and its results can be
    compared). Samples other processes' CPU use and this process's page faults over the
    timed calls."""
    if PROTOCOL["probe"]:
        iterations, budget_s, min_timed = PROBE_TIMED, math.inf, PROBE_TIMED
    gc.collect()
    for _ in range(warmup):
        call()
    faults0 = fault_sample()
    wall0, busy0, steal0, own0 = cpu_sample()
    seconds = []
    while len(seconds) < max(iterations, min_timed):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
        if sum(seconds) > budget_s and len(seconds) >= min_timed:
            break
    measurement = measurement_between(seconds, (wall0, busy0, steal0, own0), cpu_sample())
    faults1 = fault_sample()
    measurement.faults = (faults1[0] - faults0[0], faults1[1] - faults0[1])
    return measurement


def measurement_between(seconds, before, after):
    """The timed calls' seconds with the contention between two cpu_sample()s."""
    wall0, busy0, steal0, own0 = before
    wall1, busy1, steal1, own1 = after
    capacity = max(wall1 - wall0, 1e-9) * (os.cpu_count() or 1)
    other = max((busy1 - busy0) - (own1 - own0), 0.0)
    return Measurement(seconds, other / capacity * 100,
                       max(steal1 - steal0, 0.0) / capacity * 100, wall1 - wall0)


def result_check(*tensors):
    """A figure of the results (the sum of their norms, in float64), so compare.py can tell
    that a configuration computed the same thing as the default one."""
    return float(f"{sum(float(t.double().norm()) for t in tensors):.7g}")


def per_second(work, ms):
    return round(work / (ms / 1e3) / 1e9, 2)


def emit(workload, fields, measurements=()):
    record = {"impl": "torch", "workload": workload, **fields}
    if PROTOCOL["probe"]:
        record["probe"] = True  # a short protocol's figures: not for the table
    if measurements:
        record["other_cpu_pct"] = round(max(m.other_cpu_pct for m in measurements), 1)
        record["steal_pct"] = round(max(m.steal_pct for m in measurements), 1)
        record["cpu_window_s"] = round(sum(m.window_s for m in measurements), 3)
    record["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(record), flush=True)


# ----------------------------------------------------------------------------- workloads

def kaiming_(torch, weight, fan_in, generator):
    """N(0, 2 / fan_in), in place, without autograd recording it."""
    with torch.no_grad():
        weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)
    return weight


def init_model(torch, model, generator):
    for module in model.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            fan_in = module.weight[0].numel()  # C*KH*KW for conv, D_in for affine
            kaiming_(torch, module.weight, fan_in, generator)
            torch.nn.init.zeros_(module.bias)
    return model


def batch(torch, generator, shape, classes=10):
    x = torch.randn(*shape, generator=generator)
    y = torch.randint(0, classes, (shape[0],), generator=generator)
    return x, y


def timed_training(torch, model, optimizer, x, y, warmup, iterations, budget_s):
    F = torch.nn.functional
    last = {}

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        last["loss"] = loss.item()

    model.train()
    return measure(step, warmup, iterations, budget_s), last["loss"]


def run_convnet_step(torch, name, spatial_batchnorm):
    nn = torch.nn
    generator = torch.Generator().manual_seed(1)
    layers = [nn.Conv2d(3, 32, 7, stride=1, padding=3)]
    if spatial_batchnorm:
        layers.append(nn.BatchNorm2d(32, eps=1e-5, momentum=0.1))
    layers += [nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(32 * 16 * 16, 100),
               nn.ReLU(), nn.Linear(100, 10)]
    model = init_model(torch, nn.Sequential(*layers), generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    n = 64
    x, y = batch(torch, generator, (n, 3, 32, 32))  # x needs no gradient
    m, loss = timed_training(torch, model, optimizer, x, y, 3, 20, 15.0)
    emit(name, {"N": n, "warmup": 3, **m.fields(),
                "images_per_s": round(n / (m.median_ms() / 1e3), 1),
                "input_grad": False, "final_loss": round(loss, 5)}, [m])


def run_mlp_step(torch):
    nn = torch.nn
    generator = torch.Generator().manual_seed(1)
    layers, width = [], 3072
    for _ in range(4):
        layers += [nn.Linear(width, 100), nn.BatchNorm1d(100, eps=1e-5, momentum=0.1), nn.ReLU(),
                   nn.Dropout(p=0.5)]
        width = 100
    layers.append(nn.Linear(100, 10))
    model = init_model(torch, nn.Sequential(*layers), generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    n = 200
    x, y = batch(torch, generator, (n, 3072))
    m, loss = timed_training(torch, model, optimizer, x, y, 5, 50, 8.0)
    emit("mlp_step", {"N": n, "warmup": 5, **m.fields(),
                      "samples_per_s": round(n / (m.median_ms() / 1e3), 1),
                      "input_grad": False, "final_loss": round(loss, 5)}, [m])


def run_lstm_step(torch):
    """tapegrad's SequenceClassifier on one batch (tools/train --model lstm): x (64, 28, 28) as 28
    steps of 28 features through nn.LSTM(28, 128, batch_first=True) from a zero state, the last
    step's output through nn.Linear(128, 10), cross-entropy; Adam. PyTorch's default init."""
    nn = torch.nn
    generator = torch.Generator().manual_seed(1)

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, batch_first=True)
            self.out = nn.Linear(128, 10)

        def forward(self, x):
            h, _ = self.lstm(x)
            return self.out(h[:, -1])

    model = Classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    n = 64
    x, y = batch(torch, generator, (n, 28, 28))  # x needs no gradient
    m, loss = timed_training(torch, model, optimizer, x, y, 3, 20, 10.0)
    emit("lstm_step", {"N": n, "T": 28, "D": 28, "H": 128, "warmup": 3, **m.fields(),
                       "sequences_per_s": round(n / (m.median_ms() / 1e3), 1),
                       "input_grad": False, "final_loss": round(loss, 5)}, [m])


def run_charlm_step(torch):
    """tapegrad's CharRNN on one batch: 64 sequences of 17 symbols in [1, 71), nn.Embedding(71, 64),
    nn.LSTM(64, 256, batch_first=True) over the first 16, nn.Linear(256, 71) at every step, the
    cross-entropy of every next symbol summed and divided by N; Adam."""
    nn, F = torch.nn, torch.nn.functional
    generator = torch.Generator().manual_seed(1)
    symbols, embed, hidden, n, steps = 71, 64, 256, 64, 16

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(symbols, embed)
            self.lstm = nn.LSTM(embed, hidden, batch_first=True)
            self.out = nn.Linear(hidden, symbols)

        def forward(self, x):
            h, _ = self.lstm(self.embed(x))
            return self.out(h)

    model = CharLM().train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    x = torch.randint(1, symbols, (n, steps + 1), generator=generator)
    inputs, targets = x[:, :steps], x[:, 1:]
    last = {}

    def step():
        optimizer.zero_grad(set_to_none=True)
        scores = model(inputs)
        loss = F.cross_entropy(scores.reshape(-1, symbols), targets.reshape(-1),
                               reduction="sum") / n
        loss.backward()
        optimizer.step()
        last["loss"] = loss.item()

    m = measure(step, 3, 20, 10.0)
    emit("charlm_step", {"N": n, "T": steps, "V": symbols, "D": embed, "H": hidden, "warmup": 3,
                         **m.fields(),
                         "symbols_per_s": round(n * steps / (m.median_ms() / 1e3), 1),
                         "final_loss": round(last["loss"], 5)}, [m])


def run_predict(torch):
    """tools/train's default model (Fashion-MNIST's 1x28x28 images) in evaluation mode under
    torch.inference_mode(), as tools/predict runs tapegrad's."""
    nn = torch.nn
    generator = torch.Generator().manual_seed(1)
    layers = [nn.Conv2d(1, 32, 7, stride=1, padding=3), nn.BatchNorm2d(32, eps=1e-5, momentum=0.1),
              nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(32 * 14 * 14, 100), nn.ReLU(),
              nn.Linear(100, 10)]
    model = init_model(torch, nn.Sequential(*layers), generator).eval()
    n = 256
    x = torch.randn(n, 1, 28, 28, generator=generator)
    last = {}

    def forward():
        with torch.inference_mode():
            last["first_score"] = model(x)[0, 0].item()

    m = measure(forward, 3, 20, 10.0)
    emit("predict", {"N": n, "warmup": 3, **m.fields(),
                     "images_per_s": round(n / (m.median_ms() / 1e3), 1),
                     "first_score": round(last["first_score"], 5)}, [m])


def run_sbn(torch):
    F = torch.nn.functional
    generator = torch.Generator().manual_seed(2)
    shape = (64, 64, 32, 32)
    x = torch.randn(*shape, generator=generator).requires_grad_()
    dout = torch.randn(*shape, generator=generator)
    gamma = torch.ones(shape[1], requires_grad=True)
    beta = torch.zeros(shape[1], requires_grad=True)
    running_mean, running_var = torch.zeros(shape[1]), torch.ones(shape[1])

    def forward():
        return F.batch_norm(x, running_mean, running_var, gamma, beta, training=True,
                            momentum=0.1, eps=1e-5)

    def gradients():
        return torch.autograd.grad(forward(), [x, gamma, beta], dout)

    def forward_backward():
        gradients()

    fwd = measure(forward, 3, 30, 8.0)
    both = measure(forward_backward, 3, 30, 8.0)
    tensor_bytes = x.numel() * x.element_size()
    emit("sbn", {"shape": list(shape), "warmup": 3, **both.fields(),
                 "check": result_check(gradients()[0]),  # outside the timed calls
                 "GBps": per_second(5 * tensor_bytes, both.median_ms()),
                 "bytes_fwdbwd": 5 * tensor_bytes, **fwd.fields("fwd_"),
                 "fwd_GBps": per_second(2 * tensor_bytes, fwd.median_ms())}, [fwd, both])


CONV_CASES = [
    # name, x shape, filters, kernel, stride, pad
    ("conv1_64x3x32x32_f32k7p3", (64, 3, 32, 32), 32, 7, 1, 3),
    ("conv2_64x64x16x16_f64k3p1", (64, 64, 16, 16), 64, 3, 1, 1),
]


def run_conv(torch):
    F = torch.nn.functional
    for name, shape, filters, kernel, stride, pad in CONV_CASES:
        generator = torch.Generator().manual_seed(2)
        n, c, h, w = shape
        oh = (h + 2 * pad - kernel) // stride + 1
        ow = (w + 2 * pad - kernel) // stride + 1
        flop = 2 * n * filters * c * kernel * kernel * oh * ow
        x = torch.randn(*shape, generator=generator).requires_grad_()
        weight = kaiming_(torch, torch.empty(filters, c, kernel, kernel), c * kernel * kernel,
                          generator).requires_grad_()
        bias = torch.zeros(filters, requires_grad=True)
        dout = torch.randn(n, filters, oh, ow, generator=generator)

        def forward():
            return F.conv2d(x, weight, bias, stride=stride, padding=pad)

        def gradients():
            return torch.autograd.grad(forward(), [x, weight, bias], dout)

        def forward_backward():
            gradients()

        fwd = measure(forward, 3, 20, 6.0)
        both = measure(forward_backward, 3, 20, 6.0)
        emit("conv", {"case": name, "fwd_flop": flop, "warmup": 3, **both.fields(),
                      "check": result_check(*gradients()[:2]),  # outside the timed calls
                      "GFLOPps": per_second(3 * flop, both.median_ms()), **fwd.fields("fwd_"),
                      "fwd_GFLOPps": per_second(flop, fwd.median_ms())}, [fwd, both])


def run_tiny_ops(torch):
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(1, 16, generator=generator).requires_grad_()
    c = torch.rand(1, 16, generator=generator) * 0.9 + 0.1
    repeats, ops = 500, 1000

    def chain():
        h = x
        for _ in range(repeats):
            h = torch.relu(h)
            h = h + c
        return h

    def forward_backward():
        s = chain().sum()
        x.grad = None
        s.backward()

    def forward_no_grad():
        with torch.no_grad():
            chain()

    both = measure(forward_backward, 3, 30, 6.0)
    recorded = measure(chain, 3, 30, 4.0)
    no_grad = measure(forward_no_grad, 3, 30, 4.0)
    emit("tiny_ops", {"ops": ops, "shape": [1, 16], "warmup": 3, **both.fields(),
                      "us_per_op": round(both.median_ms() * 1e3 / ops, 3),
                      "fwd_record_us_per_op": round(recorded.median_ms() * 1e3 / ops, 3),
                      "fwd_nograd_us_per_op": round(no_grad.median_ms() * 1e3 / ops, 3)},
         [both, recorded, no_grad])


def run_gemm_peak(torch, openblas, threads):
    for n in (1024, 2048):
        generator = torch.Generator().manual_seed(4)
        a = torch.randn(n, n, generator=generator)
        b = torch.randn(n, n, generator=generator)
        out = torch.zeros(n, n)
        flop = 2 * n ** 3
        for t in (1, 2):
            set_threads(torch, openblas, t)
            m = measure(lambda: torch.mm(a, b, out=out), 1, 10, 3.0)
            emit("gemm_peak", {"case": f"n={n} t={t}", "api": "torch.mm", "size": n, "threads": t,
                               "warmup": 1, **m.fields(),
                               "GFLOPps": per_second(flop, m.median_ms()),
                               "GFLOPps_best": per_second(flop, m.min_ms())}, [m])
    set_threads(torch, openblas, threads)


def run_stream(torch, threads):
    n = 64 * 2 ** 20  # 256 MiB of float32 per array, pages touched by the fills
    a, b, c = torch.full((n,), 1.0), torch.full((n,), 2.0), torch.full((n,), 0.5)
    array_bytes = n * 4
    cases = [("copy c=a", f"torch copy_, {threads} threads", 2, lambda: c.copy_(a)),
             ("triad a=b+s*c", f"torch.add alpha=3 (one pass), {threads} threads", 3,
              lambda: torch.add(b, c, alpha=3.0, out=a))]
    for name, code, arrays, call in cases:
        m = measure(call, 2, 10, 4.0)
        emit("stream", {"case": name, "code": code, "threads": threads,
                        "array_MiB": array_bytes >> 20,
                        "stream_bytes": arrays * array_bytes, "warmup": 2, **m.fields(),
                        "GBps": per_second(arrays * array_bytes, m.median_ms()),
                        "GBps_best": per_second(arrays * array_bytes, m.min_ms())}, [m])


def run_train_epochs(torch, args):
    def emit_epochs(fields, windows):
        emit("train_epochs", fields,
             [measurement_between([after[0] - before[0]], before, after)
              for before, after in windows])

    torch_train_epochs.run_train_epochs(torch, args.epochs, args.iterations_per_epoch,
                                        args.data_dir, args.case, cpu_sample, emit_epochs)


# ----------------------------------------------------------------------------- main

def blas_fields(torch, openblas):
    """The BLAS loaded, its OpenBLAS core and a GEMM checked against float64."""
    fields = {"blas_loaded": loaded_blas(), "openblas_core": openblas_core.corename(openblas),
              "openblas_coretype": os.environ.get(openblas_core.CORETYPE),
              "gemm_rel_err": float(f"{openblas_core.gemm_relative_error(torch):.3g}")}
    if openblas is not None:
        fields["openblas_config"] = openblas.openblas_get_config().decode()
        fields["openblas_threads"] = openblas.openblas_get_num_threads()
    return fields


def gemm_ms(torch, n=1024, calls=5):
    """The best of a few n x n float32 products: how fast the BLAS core is (--probe-blas)."""
    generator = torch.Generator().manual_seed(4)
    a, b = torch.randn(n, n, generator=generator), torch.randn(n, n, generator=generator)
    out = torch.empty(n, n)
    torch.mm(a, b, out=out)  # the BLAS's threads and buffers start here
    best = math.inf
    for _ in range(calls):
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return round(best * 1e3, 3)


def cpu_capability(torch):
    """The ATen kernels in use ("AVX2", "AVX512", "DEFAULT"...): torch 1.13 has no
    torch.backends.cpu.get_cpu_capability() (2.0 has), but its build summary says it."""
    getter = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", None)
    if getter is not None:
        return getter()
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return None


def allocator():
    """The malloc this process runs on: a preloaded jemalloc or tcmalloc, else glibc's, with
    the glibc tunables set in the environment."""
    try:
        with open("/proc/self/maps") as maps:
            mapped = {os.path.basename(line.split()[-1]) for line in maps if "/" in line}
    except OSError:
        mapped = set()
    for name in ("jemalloc", "tcmalloc"):
        if any(name in path for path in mapped):
            return name
    tunables = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("MALLOC_"))
    return "glibc" + (f" ({' '.join(tunables)})" if tunables else "")


def environment(torch, blas, core_note, threads):
    emit("env", {"threads": threads, "torch": torch.__version__,
                 "torch_num_threads": torch.get_num_threads(), "nproc": os.cpu_count(),
                 "cpu_model": cpu_model(), "python": sys.version.split()[0],
                 "python_path": sys.executable, "mkldnn": torch.backends.mkldnn.enabled,
                 "cpu_capability": cpu_capability(torch),
                 "aten_cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY"),
                 "allocator": allocator(), "probe": PROTOCOL["probe"],
                 **blas, "openblas_core_note": core_note})


def main(argv):
    args = parse_args(argv)
    if os.environ.get(READY_MARK) != "1":
        restart_with_blas(args)
    try:
        import torch
    except ImportError:
        print("torch_reference: no torch in this Python "
              f"({sys.executable}): apt-get install python3-torch", file=sys.stderr)
        return 2
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # loads the BLAS, so it can be found
    openblas = openblas_library()
    set_threads(torch, openblas, args.threads)
    if args.probe_blas:
        emit(openblas_core.PROBE_WORKLOAD, {**blas_fields(torch, openblas),
                                            "gemm_ms": gemm_ms(torch),
                                            "cpu_capability": cpu_capability(torch)})
        return 0
    PROTOCOL["probe"] = args.probe
    torch.backends.mkldnn.enabled = args.mkldnn == "on"
    core_note = fair_openblas_core(args, openblas)
    blas = blas_fields(torch, openblas)
    torch.manual_seed(0)
    environment(torch, blas, core_note, args.threads)
    if not blas["gemm_rel_err"] <= openblas_core.GEMM_TOLERANCE:
        print(f"torch_reference: the BLAS ({blas['blas_loaded']}, core {blas['openblas_core']}) "
              f"computes a float32 GEMM {blas['gemm_rel_err']} (relative) away from float64, "
              f"above {openblas_core.GEMM_TOLERANCE:g}: refusing to measure on it (unset "
              f"{openblas_core.CORETYPE} if you set it)", file=sys.stderr)
        return 2
    runs = {
        "cnn_step": lambda: run_convnet_step(torch, "cnn_step", False),
        "cnn_bn_step": lambda: run_convnet_step(torch, "cnn_bn_step", True),
        "sbn": lambda: run_sbn(torch),
        "conv": lambda: run_conv(torch),
        "mlp_step": lambda: run_mlp_step(torch),
        "lstm_step": lambda: run_lstm_step(torch),
        "charlm_step": lambda: run_charlm_step(torch),
        "predict": lambda: run_predict(torch),
        "tiny_ops": lambda: run_tiny_ops(torch),
        "gemm_peak": lambda: run_gemm_peak(torch, openblas, args.threads),
        "stream": lambda: run_stream(torch, args.threads),
        "train_epochs": lambda: run_train_epochs(torch, args),
    }
    status, start = 0, time.perf_counter()
    for name in args.only:
        try:
            runs[name]()
        except Exception as e:  # one failing workload must not hide the others
            emit(name, {"error": f"{type(e).__name__}: {e}"})
            status = 1
    emit("done", {"total_s": round(time.perf_counter() - start, 1)})
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
