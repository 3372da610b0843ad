#!/usr/bin/env python3
"""tapegrad against PyTorch on the workloads of shared/bench/workloads.md, in one sitting.

Usage (from anywhere in the work tree):
    python3 bench/compare.py [--only cnn_step,sbn,...] [--threads 2] [--runs 3]
                                   [--log FILE.jsonl] [--out FILE.md] [--bench PATH]
                                   [--epochs 3] [--iterations-per-epoch K] [--search on|off]

It builds //bench (unless --bench names a binary), then for each workload runs
tapegrad's bench and bench/torch_reference.py, each in a process of its own
(so peak RSS is per workload), `--runs` times, alternating which side goes first so
both share the machine's drift. It prints a Markdown table: each cell is the best
(lowest) of the runs' medians, since on a shared machine other work only ever adds
time; the ratio is tapegrad / PyTorch (time, or MiB for RSS), and the target is the
one set for tapegrad. "other CPU %" is the CPU share other processes took during
the timed loops of the run shown (tapegrad / PyTorch, % of all cores); above 10 (⚠)
the number is disturbed; "short" means the loops lasted under 0.2 s, too short for
/proc/stat's 10 ms ticks to say. Every JSON line both sides printed goes to --log,
with the configuration it ran in. A side that fails gives an error cell, not a crash.

The roofline columns read each time against the machine: the workload's FLOPs and
minimum bytes (from tapegrad's records; bench/work.h says how they are counted),
the limit max(FLOPs / GEMM peak, bytes / stream bandwidth), with the peak and the
bandwidth the best medians of gemm_peak and stream (either side) in the same run, and
each side's time as a multiple of that limit. Run gemm_peak and stream to get them.

Each side runs on its best path (best_config.py): before the runs, PyTorch's OpenBLAS
core is chosen (openblas_core.choose_core: the core as given and the AVX-512 cores the CPU
has, each probed for a GEMM that agrees with float64, the fastest taken), then every
configuration (allocator: glibc, glibc-keep, jemalloc, tcmalloc; for PyTorch also oneDNN
on/off and ATEN_CPU_CAPABILITY=avx512 where the CPU has it) is probed on every workload
but the ceilings, denormals and train_epochs, with a short protocol (the workload's
warm-up, then 5 timed calls; one process per configuration and workload). Per workload
and side the fastest configuration whose results agree with the default's is run with the
full protocol, and so is the default configuration: each cell is the faster of the two,
the configuration column names it, and the default's figure stands beside it. gemm_peak
and stream run PyTorch on the chosen core, otherwise as default; train_epochs takes
cnn_bn_step's choice (the same layers). --search off runs the default configurations alone.

train_epochs (whole epochs of the main job's training, a few minutes a side) runs
once per side and configuration whatever --runs says; its rows give images/s per epoch,
the time ratio of the last epoch, the last epoch's rate over the second's (target:
within 10%) and the subnormal values left in Adam's state, in both float modes
(subnormals flushed: tapegrad's default, torch.set_flush_denormal(True); kept:
tg::set_flush_denormals(false), PyTorch's default).

The PyTorch side runs on the first of this Python and Debian's /usr/bin/python3
that can import torch (pyenv's python3 often cannot).

Exit status: 0 table printed (targets met or not), 2 bad command line.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys

import best_config
import openblas_core

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = ["cnn_step", "cnn_bn_step", "mlp_step", "lstm_step", "charlm_step", "predict", "sbn",
             "conv", "tiny_ops", "gemm_peak", "stream", "denormals", "train_epochs"]
TAPEGRAD_ONLY = {"denormals"}  # a choice inside tapegrad; PyTorch has no such run
ONCE = {"train_epochs"}  # long enough that one run per side is the protocol
TORCH_PYTHONS = ["/usr/bin/python3"]  # tried after this interpreter
TIMEOUT_S = 20 * 60  # per process; a whole side of one workload takes well under a minute
SHORT_WINDOW_S = 0.2
# Probed for the fastest configuration. Not probed: the ceilings (gemm_peak, stream: they
# measure the machine), denormals (tapegrad only, one thread, no allocation in its loop) and
# train_epochs (minutes a run; it takes cnn_bn_step's choice).
PROBED = ["cnn_step", "cnn_bn_step", "mlp_step", "lstm_step", "charlm_step", "predict", "sbn",
          "conv", "tiny_ops"]
CHOICE_FROM = {"train_epochs": "cnn_bn_step"}
CEILINGS = {"gemm_peak", "stream"}
PROBE_CALLS = 5  # tapegrad's --max-calls for a probe, as torch_reference.py --probe times


class Row:
    """One line of the table: a number read from the records of one workload (and case)."""

    def __init__(self, label, workload, field, unit, case=None, rate=None, ratio_max=None,
                 absolute_max=None, work=None):
        self.label, self.workload, self.field, self.unit = label, workload, field, unit
        self.case = case
        self.rate = rate  # (field, unit) of a derived figure shown next to the time
        self.ratio_max = ratio_max  # target on tapegrad / PyTorch
        self.absolute_max = absolute_max  # target on tapegrad's own number
        # The prefix of the record's flops, bytes and median_ms the roofline reads ("fwd_"
        # for a forward row); None: no roofline (per-op overhead, memory use).
        if work is None and field.endswith("median_ms"):
            work = field[:-len("median_ms")]
        self.work = work

    def target(self):
        if self.ratio_max is not None:
            return f"ratio ≤ {self.ratio_max:g}"
        if self.absolute_max is not None:
            return f"≤ {self.absolute_max:g} {self.unit}"
        return "—"


CONV1, CONV2 = "conv1_64x3x32x32_f32k7p3", "conv2_64x64x16x16_f64k3p1"
ROWS = [
    Row("cnn_step (ms/step)", "cnn_step", "median_ms", "ms", rate=("images_per_s", "img/s"),
        ratio_max=0.6),
    Row("cnn_bn_step (ms/step)", "cnn_bn_step", "median_ms", "ms",
        rate=("images_per_s", "img/s"), ratio_max=0.5),
    Row("mlp_step (ms/step)", "mlp_step", "median_ms", "ms", rate=("samples_per_s", "samples/s"),
        ratio_max=0.6),
    Row("lstm_step (ms/step)", "lstm_step", "median_ms", "ms",
        rate=("sequences_per_s", "seq/s"), ratio_max=1.0),
    Row("charlm_step (ms/step)", "charlm_step", "median_ms", "ms",
        rate=("symbols_per_s", "symbols/s"), ratio_max=1.0),
    Row("predict, batch 256 (ms)", "predict", "median_ms", "ms", rate=("images_per_s", "img/s")),
    Row("sbn fwd+bwd (ms)", "sbn", "median_ms", "ms", rate=("GBps", "GB/s"), ratio_max=0.45),
    Row("sbn fwd (ms)", "sbn", "fwd_median_ms", "ms", rate=("fwd_GBps", "GB/s")),
    Row("conv1 3→32 7x7 fwd+bwd (ms)", "conv", "median_ms", "ms", case=CONV1,
        rate=("GFLOPps", "GFLOP/s"), ratio_max=0.6),
    Row("conv1 fwd (ms)", "conv", "fwd_median_ms", "ms", case=CONV1,
        rate=("fwd_GFLOPps", "GFLOP/s"), ratio_max=1.1),
    Row("conv2 64→64 3x3 fwd+bwd (ms)", "conv", "median_ms", "ms", case=CONV2,
        rate=("GFLOPps", "GFLOP/s"), ratio_max=1.0),
    Row("conv2 fwd (ms)", "conv", "fwd_median_ms", "ms", case=CONV2,
        rate=("fwd_GFLOPps", "GFLOP/s"), ratio_max=1.1),
    Row("tiny_ops fwd+bwd (µs/op)", "tiny_ops", "us_per_op", "µs", absolute_max=0.25),
    Row("tiny_ops fwd, recording (µs/op)", "tiny_ops", "fwd_record_us_per_op", "µs"),
    Row("tiny_ops fwd, no grad (µs/op)", "tiny_ops", "fwd_nograd_us_per_op", "µs"),
    Row("peak RSS, cnn_step process (MiB)", "cnn_step", "peak_rss_mib", "MiB",
        absolute_max=100),
    Row("peak RSS, cnn_bn_step process (MiB)", "cnn_bn_step", "peak_rss_mib", "MiB"),
    Row("peak RSS, mlp_step process (MiB)", "mlp_step", "peak_rss_mib", "MiB"),
    Row("peak RSS, lstm_step process (MiB)", "lstm_step", "peak_rss_mib", "MiB"),
    Row("peak RSS, predict process (MiB)", "predict", "peak_rss_mib", "MiB"),
    Row("gemm n=2048, 1 thread (ms)", "gemm_peak", "median_ms", "ms", case="n=2048 t=1",
        rate=("GFLOPps", "GFLOP/s")),
    Row("gemm n=2048, 2 threads (ms)", "gemm_peak", "median_ms", "ms", case="n=2048 t=2",
        rate=("GFLOPps", "GFLOP/s")),
    Row("gemm n=2048, Eigen alone, 1 thread (ms)", "gemm_peak", "median_ms", "ms",
        case="eigen n=2048 threads=1", rate=("GFLOPps", "GFLOP/s")),
    Row("stream copy, 256 MiB (ms)", "stream", "median_ms", "ms", case="copy c=a",
        rate=("GBps", "GB/s")),
    Row("stream triad, 256 MiB (ms)", "stream", "median_ms", "ms", case="triad a=b+s*c",
        rate=("GBps", "GB/s")),
    # Subnormals kept out of Adam's state by FTZ/DAZ (tapegrad's choice), by a flush
    # written into the update rule, or not at all (bench/denormals.cc).
    Row("Adam, dead units, FTZ/DAZ flags (ns/element-step)", "denormals",
        "ns_per_element_step", "ns", case="mxcsr",
        rate=("subnormal_moments_at_end", "subnormal moments left"), work=""),
    Row("Adam, dead units, flush in the rule (ns/element-step)", "denormals",
        "ns_per_element_step", "ns", case="flush_in_rule",
        rate=("subnormal_moments_at_end", "subnormal moments left"), work=""),
    Row("Adam, dead units, subnormals kept (ns/element-step)", "denormals",
        "ns_per_element_step", "ns", case="keep",
        rate=("subnormal_moments_at_end", "subnormal moments left"), work=""),
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help="workloads, comma-separated: " + ",".join(WORKLOADS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="processes per side and workload")
    parser.add_argument("--log", help="where every JSON line goes (default: /tmp/...)")
    parser.add_argument("--out", help="also write the table to this file")
    parser.add_argument("--bench", help="a built bench binary (default: bazel build //bench)")
    parser.add_argument("--epochs", type=int, default=3, help="train_epochs: epochs per side")
    parser.add_argument("--iterations-per-epoch", type=int, default=0,
                        help="train_epochs: steps per epoch (default: a whole epoch, 859)")
    parser.add_argument("--search", choices=["on", "off"], default="on",
                        help="on: probe each side's configurations and run the fastest correct "
                             "one next to the default (see above); off: the defaults alone")
    args = parser.parse_args(argv)
    args.only = [w for w in args.only.split(",") if w]
    for name in args.only:
        if name not in WORKLOADS:
            parser.error(f"--only: unknown workload '{name}' (known: {','.join(WORKLOADS)})")
    if args.threads < 1:
        parser.error(f"--threads: must be at least 1, got {args.threads}")
    if args.runs < 1:
        parser.error(f"--runs: must be at least 1, got {args.runs}")
    if args.epochs < 1:
        parser.error(f"--epochs: must be at least 1, got {args.epochs}")
    if args.iterations_per_epoch < 0:
        parser.error(f"--iterations-per-epoch: must be positive, got {args.iterations_per_epoch}")
    return args


def say(text):
    print(f"compare: {text}", file=sys.stderr, flush=True)


def build_bench():
    """The path of the built binary, or an error message."""
    say("bazel build //bench")
    done = subprocess.run(["bazel", "build", "//bench"], cwd=ROOT, capture_output=True,
                          text=True)
    if done.returncode != 0:
        return None, "bazel build //bench failed: " + last_line(done.stderr)
    return os.path.join(ROOT, "bazel-bin", "bench", "bench"), None


def last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def torch_python():
    """The first of this interpreter and Debian's that can import torch, or None."""
    for python in dict.fromkeys([sys.executable] + TORCH_PYTHONS):
        try:
            if subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0:
                return python
        except OSError:
            continue
    return None


def log_json(log, record):
    log.write(json.dumps(record) + "\n")
    log.flush()


class Runner:
    """One side in one configuration: the command, its environment and the label."""

    def __init__(self, side, config, command, environ, label):
        self.side, self.config, self.command, self.environ = side, config, command, environ
        self.label = label


def torch_core(python, threads, environ, flags, log):
    """PyTorch's OpenBLAS core (openblas_core.choose_core): (the environment of the default
    configuration: the core as given; that of the others: the chosen core; its name; whether
    it differs from the core as given; the note for the table)."""
    probe = [python, os.path.join(HERE, "torch_reference.py"), "--probe-blas",
             "--threads", str(threads)]
    say("choosing PyTorch's OpenBLAS core (torch_reference.py --probe-blas, one per core)")
    added, core, note, trials = openblas_core.choose_core(probe, environ, flags)
    log_json(log, {"side": "compare", "workload": "openblas_core", "chosen": core,
                   "added": added, "note": note, "trials": trials})
    say(f"OpenBLAS core: {note}")
    given = trials[0]["core"]
    # The default configuration keeps the core as given: CORE_NOTE stops torch_reference.py
    # from replacing a fallback core on its own.
    as_given = f"{given} as given ({openblas_core.how_chosen(given, environ, flags)})"
    default_env = dict(environ, **{openblas_core.CORE_NOTE: as_given})
    chosen_env = dict(environ, **added) if added else default_env
    return default_env, chosen_env, core, bool(added), note


def make_runners(bench, python, args, base_env, core, allocators, capabilities):
    """{side: [Runner per configuration, the default first]}, each side's configurations as
    best_config lists them (only the defaults with --search off)."""
    runners = {"tapegrad": [], "torch": []}
    if args.search == "off":
        allocators, capabilities = ["glibc"], ["auto"]
    if bench:
        for config in best_config.tapegrad_configs(allocators):
            environ = dict(base_env, **best_config.allocator_env(config.allocator, base_env))
            runners["tapegrad"].append(Runner("tapegrad", config, [bench], environ,
                                              config.label()))
    if python:
        default_env, chosen_env, name, changed = core
        configs = best_config.torch_configs(allocators, capabilities, changed)
        if args.search == "off":  # the defaults, on the chosen core (checked against float64)
            configs = [best_config.Config(chosen_core=changed)]
        for config in configs:
            command = [python, os.path.join(HERE, "torch_reference.py")] + \
                config.torch_arguments()
            environ = chosen_env if config.chosen_core else default_env
            runners["torch"].append(Runner("torch", config, command, environ, config.label(name)))
    return runners


def allocator_in_effect(config, env_record):
    """Why the process did not run on the configuration's allocator (None when it did), from
    the "malloc"/"allocator" its env record reports."""
    got = env_record.get("allocator") or env_record.get("malloc")
    if got is None:
        return None
    wanted = "glibc" if config.allocator.startswith("glibc") else config.allocator
    kept = config.allocator != "glibc-keep" or "MALLOC_MMAP_THRESHOLD_" in got
    return None if got.startswith(wanted) and kept else \
        f"asked for {config.allocator}, ran on {got}"


def side_arguments(workload, args):
    extra = ["--only", workload, "--threads", str(args.threads)]
    if workload == "train_epochs":
        extra += ["--epochs", str(args.epochs)]
        if args.iterations_per_epoch:
            extra += ["--iterations-per-epoch", str(args.iterations_per_epoch)]
    return extra


def timeout_for(workload, args):
    """A process's time limit: whole epochs take longer than the rest (3 take ~5 min)."""
    return TIMEOUT_S * max(1, args.epochs // 3 + 1) if workload == "train_epochs" else TIMEOUT_S


def run_side(runner, workload, args, log, phase):
    """The records one process printed (the "env" and "done" ones dropped), the env record,
    and an error or None. phase "probe": the short protocol."""
    say(f"{runner.side} ({runner.label}){' probe' if phase == 'probe' else ''}: {workload}")
    extra = []
    if phase == "probe":
        extra = ["--probe"] if runner.side == "torch" else ["--max-calls", str(PROBE_CALLS)]
    try:
        done = subprocess.run(runner.command + side_arguments(workload, args) + extra, cwd=ROOT,
                              capture_output=True, text=True,
                              timeout=timeout_for(workload, args), env=runner.environ)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [], None, f"{runner.side} {workload} ({runner.label}): {e}"
    records, env_record = [], None
    for line in done.stdout.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        log.write(json.dumps({"side": runner.side, "phase": phase, "config": runner.label,
                              **record}) + "\n")
        if record.get("workload") == "env":
            env_record = record
        elif record.get("workload") != "done":
            records.append(record)
    log.flush()
    where = f"{runner.side} {workload} ({runner.label})"
    errors = [r["error"] for r in records if "error" in r]
    if errors:
        return records, env_record, f"{where}: {errors[0]}"
    if done.returncode != 0:
        return records, env_record, f"{where}: exit {done.returncode}: {last_line(done.stderr)}"
    wrong = allocator_in_effect(runner.config, env_record or {})
    if wrong:
        return [], env_record, f"{where}: {wrong}"
    return records, env_record, None


def search(workloads, runners, args, log):
    """probes[workload][side] = {config: (records, error)}: every configuration of each side
    on each probed workload, with the short protocol, the configurations of one workload one
    after the other (so they share the machine's drift)."""
    probes = {}
    for workload in workloads:
        if workload not in PROBED or len(runners["tapegrad"]) + len(runners["torch"]) <= 2:
            continue
        probes[workload] = {}
        for side, side_runners in runners.items():
            probes[workload][side] = {}
            for runner in side_runners:
                if not best_config.relevant(runner.config, workload):
                    continue
                records, _, error = run_side(runner, workload, args, log, "probe")
                probes[workload][side][runner.config] = (records, error)
    return probes


def choose(workloads, probes, runners, log):
    """chosen[workload][side] = (the runner to use, {config: verdict} or None, how chosen)."""
    chosen = {}
    for workload in workloads:
        chosen[workload] = {}
        for side, side_runners in runners.items():
            if not side_runners:
                continue
            by_config = {r.config: r for r in side_runners}
            default = side_runners[0]
            if workload in probes:
                config, verdicts = best_config.pick(probes[workload][side],
                                                    [r.config for r in side_runners])
                pick = (by_config[config], verdicts, "the fastest correct probe")
            elif CHOICE_FROM.get(workload) in chosen and side in chosen[CHOICE_FROM[workload]]:
                source = CHOICE_FROM[workload]
                pick = (chosen[source][side][0], None, f"{source}'s choice")
            elif workload in CEILINGS and side == "torch":
                core_only = next((r for r in side_runners if r.config == best_config.Config(
                    chosen_core=True)), default)
                pick = (core_only, None, "the chosen OpenBLAS core, otherwise the default")
            else:
                pick = (default, None, "not probed: the default")
            chosen[workload][side] = pick
            runner, verdicts, how = pick
            log_json(log, {"side": "compare", "workload": "choice", "for": workload,
                           "of": side, "config": runner.config.as_json(), "label": runner.label,
                           "how": how, "verdicts": None if verdicts is None else [
                               {"label": by_config[c].label, **v} for c, v in verdicts.items()]})
    return chosen


def matching(records, row):
    return [r for r in records if r.get("workload") == row.workload and row.field in r
            and (row.case is None or r.get("case") == row.case)]


def best_record(records, row, config=None):
    """Of the runs' records for this row (in any configuration, or in `config`'s label), the
    one with the lowest value, or None. Peak RSS is read in the configuration the workload
    ran fastest in, not in whichever allocator holds the least."""
    if row.field == "peak_rss_mib" and config is None:
        fastest = best_record(records, Row("", row.workload, "median_ms", "ms"))
        config = fastest["_config"] if fastest else None
    found = [r for r in matching(records, row) if config is None or r["_config"] == config]
    return min(found, key=lambda r: r[row.field]) if found else None


def other_cpu_text(record):
    """other_cpu_pct of the record; "short" when its timed loops lasted under
    SHORT_WINDOW_S (/proc/stat counts 10 ms ticks: the figure would be noise)."""
    if record is None or "other_cpu_pct" not in record:
        return "—"
    if record.get("cpu_window_s", SHORT_WINDOW_S) < SHORT_WINDOW_S:
        return "short"
    pct = record["other_cpu_pct"]
    return f"{pct:.0f}{' ⚠' if pct > 10 else ''}"


def number(value):
    if isinstance(value, int):
        return f"{value:,}"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def cell(record, errors, row):
    if record is None:
        return None, ("error: " + errors[0][:80]) if errors else "—"
    value = record[row.field]
    text = number(value)
    if row.rate and row.rate[0] in record:
        text += f" ({number(record[row.rate[0]])} {row.rate[1]})"
    return value, text


def verdict(row, ours, theirs):
    if row.absolute_max is not None:
        return "—" if ours is None else ("met" if ours <= row.absolute_max else "missed")
    if row.ratio_max is not None:
        if ours is None or not theirs:
            return "n/a"
        return "met" if ours / theirs <= row.ratio_max else "missed"
    return "—"


TRAIN_EPOCHS_CASES = [("flush_denormals", "flushed"), ("keep_denormals", "kept")]
STEADY_WITHIN = 0.10  # target: the last epoch's rate within 10% of the second's


def train_epochs_note(sides):
    """What the train_epochs rows measured, for under the table."""
    record = next((r for side in sides.values() for r in side["records"]
                   if r.get("workload") == "train_epochs" and "epochs" in r), {})
    return (f"train_epochs: {record.get('epochs', '?')} epochs of "
            f"{record.get('iterations_per_epoch', '?')} steps (batch 64, Adam, Fashion-MNIST's "
            f"{record.get('train_images', '?')} training images), one run per side; the ratio is "
            "the last epoch's time, tapegrad / PyTorch. \"flushed\": tapegrad's default (FTZ and "
            "DAZ on every computing thread) and torch.set_flush_denormal(True) (which sets the "
            "calling thread only); \"kept\": tg::set_flush_denormals(false) and PyTorch's "
            "default. Subnormals are counted in Adam's m and v after each epoch.")


def fastest_epochs(records, case):
    """The train_epochs record of this case whose last epoch ran fastest (any configuration)."""
    found = [r for r in records if r.get("workload") == "train_epochs" and r.get("case") == case
             and r.get("epoch_images_per_s")]
    return max(found, key=lambda r: r["epoch_images_per_s"][-1]) if found else None


def train_epochs_lines(sides, limits, threads):
    """The table's train_epochs rows, per float mode: images/s per epoch (the ratio is the
    last epoch's time, tapegrad / PyTorch; the roofline is per step of the last epoch), last /
    second epoch, subnormals in Adam's state."""
    lines = []
    for case, label in TRAIN_EPOCHS_CASES:
        found = {name: fastest_epochs(side["records"], case) for name, side in sides.items()}
        found.setdefault("torch", None)

        def text(name, show):
            record = found[name]
            if record is None:
                errors = sides.get(name, {}).get("errors")
                return ("error: " + errors[0][:80]) if errors else "—"
            return show(record)

        def rates(record):
            return " / ".join(number(v) for v in record["epoch_images_per_s"])

        def drift(record):
            return f"{record['last_over_second']:.3f}" if "last_over_second" in record else "—"

        def subnormals(record):
            return (" / ".join(f"{v:,}" for v in record["adam_subnormals"])
                    + f" of {record['adam_state_values']:,}")

        def default_rates(name):
            side = sides.get(name)
            if side is None or found[name] is None or found[name]["_config"] == side["default"]:
                return "="
            default = [r for r in side["records"] if r.get("case") == case
                       and r["_config"] == side["default"] and r.get("epoch_images_per_s")]
            return rates(default[0]) if default else "—"

        ours, theirs = found["tapegrad"], found["torch"]
        ratio = (f"{theirs['epoch_images_per_s'][-1] / ours['epoch_images_per_s'][-1]:.2f} "
                 "(last epoch)" if ours and theirs else "—")
        met = "—"
        if ours is not None and "last_over_second" in ours:
            met = "met" if abs(ours["last_over_second"] - 1) <= STEADY_WITHIN else "missed"
        noise = " / ".join(other_cpu_text(found[name]) for name in ("tapegrad", "torch"))
        configs = "; ".join(found[n]["_config"] if found[n] else "—" for n in ("tapegrad", "torch"))
        defaults = "; ".join(default_rates(n) for n in ("tapegrad", "torch"))  # rates hold "/"
        # Roofline per step of the last epoch: the step's work from tapegrad's record.
        work = limit_text = multiples = "—"
        if ours and "flops_per_step" in ours:
            flops, nbytes = ours["flops_per_step"], ours["bytes_per_step"]
            work = work_text(flops, nbytes) + " per step"
            limit = limit_ms(flops, nbytes, limits, threads)
            if limit:
                limit_text = f"{limit[0]:.3g} ms per step ({limit[1]})"
                multiples = " / ".join(
                    f"{ours['N'] * 1e3 / found[n]['epoch_images_per_s'][-1] / limit[0]:.2f}"
                    if found[n] else "—" for n in ("tapegrad", "torch"))
        lines += [
            f"| train_epochs, {label}: images/s per epoch | {text('tapegrad', rates)} | "
            f"{text('torch', rates)} | {ratio} | — | — | {configs} | {defaults} | {work} | "
            f"{limit_text} | {multiples} | {noise} |",
            f"| train_epochs, {label}: last / second epoch | "
            f"{text('tapegrad', drift)} | {text('torch', drift)} | — | "
            f"within {STEADY_WITHIN:.0%} | {met} | {configs} | — | — | — | — | — |",
            f"| train_epochs, {label}: subnormals in Adam's state per epoch | "
            f"{text('tapegrad', subnormals)} | {text('torch', subnormals)} | — | — | — | "
            f"{configs} | — | — | — | — | n/a |",
        ]
    return lines


# ----------------------------------------------------------------------------- roofline

def machine_limits(results):
    """The machine's limits measured in this run, from every full-protocol record of either
    side and configuration: {"peak": {threads: (GFLOP/s, what)}, "stream": {threads: (GB/s,
    what)}}, each the best median (GFLOPps, GBps) at that thread count."""
    limits = {"peak": {}, "stream": {}}
    for workload, kind, field, unit in (("gemm_peak", "peak", "GFLOPps", "GFLOP/s"),
                                        ("stream", "stream", "GBps", "GB/s")):
        for side in results.get(workload, {}).values():
            for r in side["records"]:
                threads, value = r.get("threads"), r.get(field)
                if threads is None or not isinstance(value, (int, float)):
                    continue
                if threads not in limits[kind] or value > limits[kind][threads][0]:
                    what = f"{r.get('impl')} {r.get('case')}"
                    limits[kind][threads] = (value, f"{value:.4g} {unit}, {what}")
    return limits


def limit_ms(flops, nbytes, limits, threads):
    """(max(flops / peak, bytes / bandwidth) in ms, which bound it is), or None when this run
    measured neither bound at that thread count. With one of them missing, the other alone
    is still a lower bound, and the text says which is missing."""
    peak = limits["peak"].get(threads)
    stream = limits["stream"].get(threads)
    bounds = []
    if flops and peak is not None:
        bounds.append((flops / (peak[0] * 1e6), "compute"))
    if nbytes and stream is not None:
        bounds.append((nbytes / (stream[0] * 1e6), "memory"))
    if not bounds:
        return None
    limit, kind = max(bounds)
    if flops and peak is None:
        kind += f"; no {threads}-thread gemm_peak"
    if nbytes and stream is None:
        kind += f"; no {threads}-thread stream"
    return limit, kind


def work_text(flops, nbytes):
    return f"{flops / 1e9:.3g} GFLOP / {nbytes / 1e6:.3g} MB"


def roofline_cells(row, ours, theirs, limits, default_threads):
    """(work, limit, × limit) cells of a row: the work from tapegrad's record (the same work
    on both sides), each side's time over the limit."""
    if row.work is None or ours is None or f"{row.work}bytes" not in ours:
        return "—", "—", "—"
    flops, nbytes = ours[f"{row.work}flops"], ours[f"{row.work}bytes"]
    threads = ours.get("threads", default_threads)
    limit = limit_ms(flops, nbytes, limits, threads)
    if limit is None:
        return work_text(flops, nbytes), f"— (no {threads}-thread gemm_peak/stream)", "—"
    field = f"{row.work}median_ms"
    multiples = " / ".join(f"{r[field] / limit[0]:.2f}" if r and field in r else "—"
                           for r in (ours, theirs))
    return work_text(flops, nbytes), f"{number(limit[0])} ({limit[1]})", multiples


ROOFLINE_NOTE = (
    "Roofline: limit = max(FLOPs / GEMM peak, bytes / stream bandwidth), × limit = the time "
    "over it (tapegrad / PyTorch; below 1, the data stayed in cache and moved faster than "
    "stream bandwidth). FLOPs: 2 per multiply-add of the products (convolutions, affine "
    "layers, the LSTM's gate products, GEMM), standard algorithms; elementwise arithmetic is "
    "not counted (a few operations per float, far below the machine's balance). Bytes, a lower "
    "bound (bench/work.h): each tensor once per call that needs it (a kernel reads its "
    "inputs and writes its outputs; sbn's forward and backward each read x); a training step "
    "reads the batch in the forward and the backward, every parameter in both, writes its "
    "gradient, adds the optimizer's passes (Adam 7, SGD with momentum 5 parameter-sized "
    "tensors) and writes then reads the input of every layer with parameters after the "
    "first; inference reads the batch and the parameters and writes the scores. No roofline "
    "for tiny_ops (per-op overhead) and peak RSS.")


def limits_note(limits):
    parts = []
    for threads in sorted(set(limits["peak"]) | set(limits["stream"])):
        peak = limits["peak"].get(threads, (None, "not measured"))[1]
        stream = limits["stream"].get(threads, (None, "not measured"))[1]
        parts.append(f"{threads} thread{'' if threads == 1 else 's'}: GEMM peak {peak}; "
                     f"stream {stream}")
    if not parts:
        return "Limits: none measured (add gemm_peak,stream to --only for the roofline)."
    return ("Limits of this run (the best median of either side): " + "; ".join(parts) + ".")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit():
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return (done.stdout.strip() or "unknown") + ("+changes" if dirty else "")


def env_summary(env_records, core_note):
    torch_env = next((r for r in env_records if r.get("impl") == "torch"
                      and r.get("_config") == "default"), None) or next(
        (r for r in env_records if r.get("impl") == "torch"), None)
    if torch_env is None:
        return f"PyTorch: no env record; OpenBLAS core: {core_note}"
    blas = os.path.basename(torch_env.get("blas_loaded") or "no BLAS found")
    cores = sorted({str(r.get("openblas_core")) for r in env_records if r.get("impl") == "torch"})
    capabilities = sorted({str(r.get("cpu_capability")) for r in env_records
                           if r.get("impl") == "torch"})
    return (f"PyTorch {torch_env.get('torch')} ({torch_env.get('python_path', '?')}) on {blas}, "
            f"ATen CPU capability {torch_env.get('cpu_capability')} by default "
            f"({' / '.join(capabilities)} run), OpenBLAS core {' / '.join(cores)} run "
            f"({core_note})")


def side_cells(side, row):
    """(best record, its value, its text, the default configuration's text) of one side."""
    if side is None:
        return None, None, "—", "—"
    best = best_record(side["records"], row)
    value, text = cell(best, side["errors"], row)
    if best is None or best["_config"] == side["default"]:
        return best, value, text, "="
    default = best_record(side["records"], row, side["default"])
    return best, value, text, number(default[row.field]) if default else "—"


def table(args, results, env_records, core_note, command, probes, chosen, missing_allocators):
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    once = f" ({', '.join(w for w in args.only if w in ONCE)}: one run)" if ONCE & set(args.only) else ""
    limits = machine_limits(results)
    lines = [
        f"Measured {now} on {platform.machine()}, {cpu_model()} ({os.cpu_count()} cores), "
        f"{args.threads} thread{'' if args.threads == 1 else 's'}, tapegrad {git_commit()}, "
        f"{env_summary(env_records, core_note)}; best of {args.runs} run(s) per side and "
        f"configuration{once}; command: `{command}`",
        "",
        "| workload | tapegrad | PyTorch | ratio | target | met? | configuration (tg; PyTorch) "
        "| default configuration (tg / PyTorch) | work | limit (ms) | × limit (tg / PyTorch) "
        "| other CPU % (tg / torch) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        if row.workload not in results:
            continue
        sides = results[row.workload]
        ours_record, ours, ours_text, ours_default = side_cells(sides.get("tapegrad"), row)
        theirs_record, theirs, theirs_text, theirs_default = side_cells(sides.get("torch"), row)
        ratio = f"{ours / theirs:.2f}" if ours is not None and theirs else "—"
        # Contention changes times, not the peak RSS.
        noise = (["n/a", "n/a"] if row.field == "peak_rss_mib"
                 else [other_cpu_text(r) for r in (ours_record, theirs_record)])
        configs = "; ".join(r["_config"] if r else "—" for r in (ours_record, theirs_record))
        work, limit, multiples = roofline_cells(row, ours_record, theirs_record, limits,
                                                args.threads)
        lines.append(f"| {row.label} | {ours_text} | {theirs_text} | {ratio} | {row.target()} | "
                     f"{verdict(row, ours, theirs)} | {configs} | {ours_default} / "
                     f"{theirs_default} | {work} | {limit} | {multiples} | {' / '.join(noise)} |")
    if "train_epochs" in results:
        lines += train_epochs_lines(results["train_epochs"], limits, args.threads)
    lines += ["", limits_note(limits) + " " + ROOFLINE_NOTE]
    lines += ["", configuration_note(args, core_note, missing_allocators, chosen)]
    if "train_epochs" in results:
        lines += ["", train_epochs_note(results["train_epochs"])]
    if probes:
        lines += [""] + search_table(probes, chosen)
    errors = [e for w in results.values() for s in w.values() for e in s["errors"]]
    if errors:
        lines += ["", "Errors:"] + [f"- {e}" for e in errors]
    return "\n".join(lines) + "\n"


def configuration_note(args, core_note, missing_allocators, chosen):
    if args.search == "off":
        return ("Configurations: --search off: both sides ran their default configuration "
                f"(glibc malloc as the environment leaves it; PyTorch: oneDNN on, ATen's own "
                f"CPU capability, on the chosen OpenBLAS core: {core_note}).")
    missing = "".join(f"; {name} not probed ({why})" for name, why in missing_allocators.items())
    inherited = "".join(f"; {w}: {how}" for w, sides in chosen.items() for side, (_, verdicts, how)
                        in sides.items() if verdicts is None and side == "torch"
                        and how != "not probed: the default")
    return (
        "Configurations (bench/best_config.py): \"default\" is glibc's malloc as the "
        "environment leaves it and, for PyTorch, oneDNN on, ATen's own CPU capability and the "
        "OpenBLAS core as given; the others combine an allocator (glibc-keep: glibc with "
        f"{' '.join(f'{k}={v}' for k, v in best_config.GLIBC_KEEP.items())}; jemalloc: "
        f"LD_PRELOAD with MALLOC_CONF={best_config.JEMALLOC_CONF}; tcmalloc: LD_PRELOAD), "
        "oneDNN on or off and, where the CPU has AVX-512, ATEN_CPU_CAPABILITY=avx512, on the "
        "chosen OpenBLAS core. Chosen per workload and side: every configuration was probed "
        f"(the workload's warm-up, then {PROBE_CALLS} timed calls, one process each; the table "
        "below), the fastest whose results (losses after the probe's steps, scores, gradient "
        f"norms) agree with the default's within {best_config.CHECK_TOLERANCE:g} relative was "
        "run with the full protocol next to the default, and each cell is the faster of the "
        "two (\"=\": the default was the faster or the same)" + inherited + missing + ".")


def search_table(probes, chosen):
    """Each configuration's probe of each workload: the sum of the workload's medians (ms;
    PyTorch's with its page faults per call), ★ where chosen, ✗ where refused."""
    workloads = list(probes)
    lines = [f"Configuration probes (sum of each workload's medians over {PROBE_CALLS} calls, "
             "ms; PyTorch: minor page faults per call; ★ chosen, ✗ refused: the JSON log "
             "says why):", "",
             "| configuration | " + " | ".join(workloads) + " |",
             "|---|" + "---|" * len(workloads)]
    for side, name in (("tapegrad", "tapegrad"), ("torch", "PyTorch")):
        configs = list(dict.fromkeys(c for w in workloads for c in probes[w].get(side, {})))
        for config in configs:
            cells = []
            for workload in workloads:
                if config not in probes[workload].get(side, {}):
                    cells.append("—")  # not probed: it cannot change this workload
                    continue
                records, error = probes[workload][side][config]
                value = best_config.score(records)
                runner, verdicts, _ = chosen[workload][side]
                verdict = (verdicts or {}).get(config, {})
                text = "✗ failed" if value is None else number(value)
                faults = [r["minor_faults_per_call"] for r in records
                          if "minor_faults_per_call" in r]
                if faults and value is not None:
                    text += f" ({sum(faults):,.0f} pf)"
                if value is not None and "refused" in verdict:
                    text += " ✗"
                if runner.config == config:
                    text += " ★"
                cells.append(text)
            lines.append(f"| {name}: {config_label(side, config, chosen)} | " + " | ".join(cells)
                         + " |")
    return lines


def config_label(side, config, chosen):
    for sides in chosen.values():
        runner = sides.get(side, (None,))[0]
        if runner is not None and runner.config == config:
            return runner.label
    return config.label()


def main(argv):
    args = parse_args(argv)
    command = "python3 " + os.path.relpath(os.path.abspath(__file__), ROOT) + "".join(
        " " + shlex.quote(a) for a in argv)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_path = args.log or f"/tmp/tapegrad-compare-{stamp}.jsonl"

    bench, build_error = (args.bench, None) if args.bench else build_bench()
    python = torch_python()
    errors = {"tapegrad": build_error,
              "torch": None if python else "no Python here imports torch: apt-get install "
                                           "python3-torch"}
    flags = openblas_core.cpu_flags()
    allocators, missing_allocators = best_config.available_allocators()
    base_env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    core_note = "unknown (no PyTorch)"
    with open(log_path, "w") as log:
        core = None
        if python:
            say(f"PyTorch side on {python}"
                + ("" if python == sys.executable else f" ({sys.executable} has no torch)"))
            default_env, chosen_env, name, changed, core_note = torch_core(
                python, args.threads, base_env, flags, log)
            core = (default_env, chosen_env, name, changed)
        runners = make_runners(bench, python, args, base_env, core, allocators,
                               best_config.capabilities_for(flags))
        probes = search(args.only, runners, args, log)
        chosen = choose(args.only, probes, runners, log)
        results, env_records = {}, []
        for index, workload in enumerate(args.only):
            results[workload] = {}
            slots = []
            for name in ("tapegrad", "torch"):
                if name == "torch" and workload in TAPEGRAD_ONLY:
                    continue
                got = results[workload][name] = {"records": [], "errors": [], "default": None}
                if not runners[name]:
                    got["errors"].append(errors[name])
                    continue
                got["default"] = runners[name][0].label
                pick = chosen[workload][name][0]
                slots += [(name, r) for r in dict.fromkeys([pick, runners[name][0]])]
            for run in range(1 if workload in ONCE else args.runs):
                shift = (index + run) % max(len(slots), 1)
                for name, runner in slots[shift:] + slots[:shift]:
                    got = results[workload][name]
                    records, env_record, error = run_side(runner, workload, args, log, "run")
                    if env_record is not None:
                        env_records.append(dict(env_record, _config=runner.label))
                    got["records"] += [dict(r, _config=runner.label) for r in records]
                    if error:
                        got["errors"].append(error)
    text = table(args, results, env_records, core_note, command, probes, chosen,
                 missing_allocators)
    print(text, end="")
    print(f"\n(every JSON line: {log_path})")
    if args.out:
        with open(args.out, "w") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
