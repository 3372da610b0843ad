#!/usr/bin/env python3
"""tapegrad against PyTorch on the workloads of shared/bench/workloads.md, in one sitting.

Usage (from anywhere in the work tree):
    python3 bench/compare.py [--only cnn_step,sbn,...] [--threads 2] [--runs 3]
                                   [--log FILE.jsonl] [--out FILE.md] [--bench PATH]
                                   [--epochs 3] [--iterations-per-epoch K]

It builds //bench (unless --bench names a binary), then for each workload runs
tapegrad's bench and bench/torch_reference.py, each in a process of its own
(so peak RSS is per workload), `--runs` times, alternating which side goes first so
both share the machine's drift. It prints a Markdown table: each cell is the best
(lowest) of the runs' medians, since on a shared machine other work only ever adds
time; the ratio is tapegrad / PyTorch (time, or MiB for RSS), and the target is the
one set for tapegrad. The last column is the CPU share other processes took during
the timed loops of the run shown (tapegrad / PyTorch, % of all cores); above 10 (⚠)
the number is disturbed; "short" means the loops lasted under 0.2 s, too short for
/proc/stat's 10 ms ticks to say. Every JSON line both sides printed goes to --log.
A side that fails gives an error cell, not a crash.

train_epochs (whole epochs of the main job's training, a few minutes a side) runs
once per side whatever --runs says; its rows give images/s per epoch, the time
ratio of the last epoch, the last epoch's rate over the second's (target: within
10%) and the subnormal values left in Adam's state, in both float modes
(subnormals flushed: tapegrad's default, torch.set_flush_denormal(True); kept:
tg::set_flush_denormals(false), PyTorch's default).

The PyTorch side runs on the first of this Python and Debian's /usr/bin/python3
that can import torch (pyenv's python3 often cannot). Before anything runs, a probe
(torch_reference.py --probe-blas) reads the OpenBLAS core PyTorch gets; where it is
a generic fallback on a CPU with AVX2 or AVX-512, every PyTorch run gets
OPENBLAS_CORETYPE from the CPU's flags, once a probe with it computed a GEMM that
agrees with float64 (openblas_core.py). The table's header names the core and how
it was chosen.

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


class Row:
    """One line of the table: a number read from the records of one workload (and case)."""

    def __init__(self, label, workload, field, unit, case=None, rate=None, ratio_max=None,
                 absolute_max=None):
        self.label, self.workload, self.field, self.unit = label, workload, field, unit
        self.case = case
        self.rate = rate  # (field, unit) of a derived figure shown next to the time
        self.ratio_max = ratio_max  # target on tapegrad / PyTorch
        self.absolute_max = absolute_max  # target on tapegrad's own number

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
        rate=("subnormal_moments_at_end", "subnormal moments left")),
    Row("Adam, dead units, flush in the rule (ns/element-step)", "denormals",
        "ns_per_element_step", "ns", case="flush_in_rule",
        rate=("subnormal_moments_at_end", "subnormal moments left")),
    Row("Adam, dead units, subnormals kept (ns/element-step)", "denormals",
        "ns_per_element_step", "ns", case="keep",
        rate=("subnormal_moments_at_end", "subnormal moments left")),
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


def fair_torch_environment(python, threads):
    """The environment every PyTorch run gets, and the OpenBLAS core note for the table:
    OPENBLAS_CORETYPE added where OpenBLAS alone would run a generic fallback on this CPU."""
    environ = dict(os.environ, OMP_NUM_THREADS=str(threads))
    probe = [python, os.path.join(HERE, "torch_reference.py"), "--probe-blas",
             "--threads", str(threads)]
    say("reading the OpenBLAS core PyTorch gets (torch_reference.py --probe-blas)")
    record, why = openblas_core.probe(probe, environ)
    if record is None:
        return environ, f"unknown (the probe failed: {why})"
    core = record.get("openblas_core")
    if core is None:
        return environ, f"none: PyTorch runs on {os.path.basename(record.get('blas_loaded') or '?')}"
    added, note = openblas_core.fair_core(probe, environ, core, openblas_core.cpu_flags())
    say(f"OpenBLAS core: {core}; {note}")
    return dict(environ, **added), note


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


def run_side(command, side, workload, args, environ, log):
    """The records one process printed (the "env" and "done" ones dropped), or an error."""
    say(f"{side}: {workload}")
    try:
        done = subprocess.run(command + side_arguments(workload, args), cwd=ROOT,
                              capture_output=True, text=True,
                              timeout=timeout_for(workload, args), env=environ)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [], f"{side} {workload}: {e}"
    records = []
    for line in done.stdout.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        log.write(json.dumps({"side": side, **record}) + "\n")
        records.append(record)
    log.flush()
    errors = [r["error"] for r in records if "error" in r]
    if errors:
        return records, f"{side} {workload}: {errors[0]}"
    if done.returncode != 0:
        return records, f"{side} {workload}: exit {done.returncode}: {last_line(done.stderr)}"
    return records, None


def best_record(records, row):
    """Of the runs' records for this row, the one with the lowest value, or None."""
    matching = [r for r in records if r.get("workload") == row.workload and row.field in r
                and (row.case is None or r.get("case") == row.case)]
    return min(matching, key=lambda r: r[row.field]) if matching else None


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


def train_epochs_lines(sides):
    """The table's train_epochs rows, per float mode: images/s per epoch (the ratio is the
    last epoch's time, tapegrad / PyTorch), last / second epoch, subnormals in Adam's state."""
    lines = []
    for case, label in TRAIN_EPOCHS_CASES:
        found = {name: next((r for r in side["records"] if r.get("workload") == "train_epochs"
                             and r.get("case") == case and "epoch_images_per_s" in r), None)
                 for name, side in sides.items()}

        def text(name, show):
            record = found[name]
            if record is None:
                errors = sides[name]["errors"]
                return ("error: " + errors[0][:80]) if errors else "—"
            return show(record)

        def rates(record):
            return " / ".join(number(v) for v in record["epoch_images_per_s"])

        def drift(record):
            return f"{record['last_over_second']:.3f}" if "last_over_second" in record else "—"

        def subnormals(record):
            return (" / ".join(f"{v:,}" for v in record["adam_subnormals"])
                    + f" of {record['adam_state_values']:,}")

        ours, theirs = found["tapegrad"], found["torch"]
        ratio = (f"{theirs['epoch_images_per_s'][-1] / ours['epoch_images_per_s'][-1]:.2f} "
                 "(last epoch)" if ours and theirs else "—")
        met = "—"
        if ours is not None and "last_over_second" in ours:
            met = "met" if abs(ours["last_over_second"] - 1) <= STEADY_WITHIN else "missed"
        noise = " / ".join(other_cpu_text(found[name]) for name in ("tapegrad", "torch"))
        lines += [
            f"| train_epochs, {label}: images/s per epoch | {text('tapegrad', rates)} | "
            f"{text('torch', rates)} | {ratio} | — | — | {noise} |",
            f"| train_epochs, {label}: last / second epoch | "
            f"{text('tapegrad', drift)} | {text('torch', drift)} | — | "
            f"within {STEADY_WITHIN:.0%} | {met} | — |",
            f"| train_epochs, {label}: subnormals in Adam's state per epoch | "
            f"{text('tapegrad', subnormals)} | {text('torch', subnormals)} | — | — | — | n/a |",
        ]
    return lines


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
    torch_env = next((r for r in env_records if r.get("impl") == "torch"), None)
    if torch_env is None:
        return f"PyTorch: no env record; OpenBLAS core: {core_note}"
    blas = os.path.basename(torch_env.get("blas_loaded") or "no BLAS found")
    cores = sorted({str(r.get("openblas_core")) for r in env_records if r.get("impl") == "torch"})
    return (f"PyTorch {torch_env.get('torch')} ({torch_env.get('python_path', '?')}) on {blas}, "
            f"OpenBLAS core {' / '.join(cores)} ({core_note}), "
            f"oneDNN {'on' if torch_env.get('mkldnn') else 'off'}")


def table(args, results, env_records, core_note, command):
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    once = f" ({', '.join(w for w in args.only if w in ONCE)}: one run)" if ONCE & set(args.only) else ""
    lines = [
        f"Measured {now} on {platform.machine()}, {cpu_model()} ({os.cpu_count()} cores), "
        f"{args.threads} thread{'' if args.threads == 1 else 's'}, tapegrad {git_commit()}, "
        f"{env_summary(env_records, core_note)}; best of {args.runs} run(s) per side{once}; "
        f"command: `{command}`",
        "",
        "| workload | tapegrad | PyTorch | ratio | target | met? | other CPU % (tg / torch) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        if row.workload not in results:
            continue
        side = results[row.workload]
        best = {name: best_record(side[name]["records"], row) for name in side}
        ours, ours_text = cell(best["tapegrad"], side["tapegrad"]["errors"], row)
        theirs, theirs_text = cell(best["torch"], side["torch"]["errors"], row)
        ratio = f"{ours / theirs:.2f}" if ours is not None and theirs else "—"
        # Contention changes times, not the peak RSS.
        noise = (["n/a", "n/a"] if row.field == "peak_rss_mib"
                 else [other_cpu_text(best[name]) for name in ("tapegrad", "torch")])
        lines.append(f"| {row.label} | {ours_text} | {theirs_text} | {ratio} | {row.target()} | "
                     f"{verdict(row, ours, theirs)} | {' / '.join(noise)} |")
    if "train_epochs" in results:
        lines += train_epochs_lines(results["train_epochs"])
    if "train_epochs" in results:
        lines += ["", train_epochs_note(results["train_epochs"])]
    errors = [e for w in results.values() for s in w.values() for e in s["errors"]]
    if errors:
        lines += ["", "Errors:"] + [f"- {e}" for e in errors]
    return "\n".join(lines) + "\n"


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
    sides = {"tapegrad": [bench] if bench else None,
             "torch": [python, os.path.join(HERE, "torch_reference.py")] if python else None}
    environs = {"tapegrad": dict(os.environ, OMP_NUM_THREADS=str(args.threads))}
    core_note = "unknown (no PyTorch)"
    if python:
        say(f"PyTorch side on {python}"
            + ("" if python == sys.executable else f" ({sys.executable} has no torch)"))
        environs["torch"], core_note = fair_torch_environment(python, args.threads)
    results, env_records = {}, []
    with open(log_path, "w") as log:
        for index, workload in enumerate(args.only):
            results[workload] = {name: {"records": [], "errors": []} for name in sides}
            for run in range(1 if workload in ONCE else args.runs):
                order = ["tapegrad", "torch"] if (index + run) % 2 == 0 else ["torch", "tapegrad"]
                for name in order:
                    got = results[workload][name]
                    if name == "torch" and workload in TAPEGRAD_ONLY:
                        continue
                    if sides[name] is None:
                        if errors[name] not in got["errors"]:
                            got["errors"].append(errors[name])
                        continue
                    records, error = run_side(sides[name], name, workload, args,
                                              environs[name], log)
                    env_records += [r for r in records if r.get("workload") == "env"]
                    got["records"] += [r for r in records if r.get("workload") not in ("env", "done")]
                    if error:
                        got["errors"].append(error)
    text = table(args, results, env_records, core_note, command)
    print(text, end="")
    print(f"\n(every JSON line: {log_path})")
    if args.out:
        with open(args.out, "w") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
