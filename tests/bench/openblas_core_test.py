#!/usr/bin/env python3
"""bench/openblas_core.py's and best_config.py's decisions, without OpenBLAS or torch:
which cores count as generic fallbacks, which core a CPU's flags call for, when the bench
leaves the choice alone, how a probe's answer is accepted or refused, which OpenBLAS core,
allocator, oneDNN and ATen setting the benchmark's reference is run with. The probes here are
stand-in Python commands (or functions) that print or return a record; nothing loads
OpenBLAS or torch, so no core is ever forced on anything and nothing is timed.
"""

import json
import os
import sys
import tempfile
import unittest

# The test runs in its runfiles tree, where bench/openblas_core.py is.
sys.path.insert(0, os.path.join(os.environ["TEST_SRCDIR"], os.environ["TEST_WORKSPACE"],
                                "bench"))

import best_config as bc  # noqa: E402
import openblas_core as oc  # noqa: E402

CPUINFO = """processor\t: 0
model name\t: Intel Xeon Processor
flags\t\t: fpu sse sse2 avx avx2 fma avx512f avx512bw
processor\t: 1
flags\t\t: fpu sse sse2
"""


def stand_in_probe(record, exit_status=0):
    """A command that prints `record` as the probe would (plus the core it was asked for
    when record["openblas_core"] is None), then exits with exit_status."""
    code = ("import json, os, sys; r = json.loads(sys.argv[1]); "
            "r['openblas_core'] = r['openblas_core'] or os.environ.get('OPENBLAS_CORETYPE'); "
            "print('noise'); print(json.dumps(r)); sys.exit(int(sys.argv[2]))")
    return [sys.executable, "-c", code, json.dumps(record), str(exit_status)]


def probe_record(core, error):
    return {"impl": "torch", "workload": oc.PROBE_WORKLOAD, "openblas_core": core,
            "gemm_rel_err": error}


class CoreChoiceTest(unittest.TestCase):
    def test_cpu_flags_come_from_the_first_cpu(self):
        flags = oc.cpu_flags(CPUINFO)
        self.assertIn("avx512f", flags)
        self.assertIn("avx2", flags)
        self.assertEqual(oc.cpu_flags("processor\t: 0\n"), set())

    def test_the_core_for_the_flags(self):
        self.assertEqual(oc.coretype_for({"avx2", "avx512f"}), "SKYLAKEX")
        self.assertEqual(oc.coretype_for({"avx", "avx2"}), "HASWELL")
        self.assertIsNone(oc.coretype_for({"sse2", "avx"}))

    def test_fallback_cores(self):
        for core in ("Prescott", "Core2", "Katmai", "generic", "Nehalem", "Sandybridge"):
            self.assertTrue(oc.is_fallback(core), core)
        for core in ("Haswell", "SkylakeX", "Cooperlake", "Zen", None):
            self.assertFalse(oc.is_fallback(core), core)

    def test_a_better_core_only_for_a_fallback_the_caller_did_not_choose(self):
        avx512 = {"avx2", "avx512f"}
        self.assertEqual(oc.better_core("Prescott", avx512, {}), "SKYLAKEX")
        self.assertEqual(oc.better_core("Core2", {"avx2"}, {}), "HASWELL")
        self.assertIsNone(oc.better_core("Haswell", avx512, {}))
        self.assertIsNone(oc.better_core("Prescott", {"sse3"}, {}))
        self.assertIsNone(oc.better_core("Prescott", avx512, {oc.CORETYPE: "PRESCOTT"}))
        self.assertIsNone(oc.better_core("Prescott", avx512, {oc.CORE_REFUSED: "SKYLAKEX"}))

    def test_how_the_core_was_chosen_when_nothing_changes(self):
        self.assertEqual(oc.fair_core(["false"], {}, "Haswell", {"avx2"}),
                         ({}, "OpenBLAS's choice from the CPU model"))
        self.assertEqual(oc.fair_core(["false"], {}, "Prescott", {"sse3"})[1],
                         "OpenBLAS's choice; the CPU has no AVX2")
        self.assertEqual(oc.fair_core(["false"], {oc.CORETYPE: "ZEN"}, "Zen", {"avx2"})[1],
                         "OPENBLAS_CORETYPE=ZEN from the caller")
        self.assertEqual(oc.fair_core(["false"], {oc.CORE_NOTE: "told"}, "Zen", {"avx2"})[1],
                         "told")


class ProbeTest(unittest.TestCase):
    flags = {"avx2", "avx512f"}

    def test_a_core_whose_gemm_agrees_with_float64_is_taken(self):
        added, note = oc.fair_core(stand_in_probe(probe_record(None, 2e-7)), {}, "Prescott",
                                   self.flags)
        self.assertEqual(added[oc.CORETYPE], "SKYLAKEX")
        self.assertEqual(added[oc.CORE_NOTE], note)
        self.assertIn("OpenBLAS alone chose Prescott", note)
        self.assertIn("avx512f", note)

    def test_a_wrong_gemm_is_refused(self):
        added, note = oc.fair_core(stand_in_probe(probe_record(None, 3e-2)), {}, "Prescott",
                                   self.flags)
        self.assertNotIn(oc.CORETYPE, added)
        self.assertEqual(added[oc.CORE_REFUSED], "SKYLAKEX")
        self.assertIn("SKYLAKEX was refused", note)
        self.assertIn("differs from float64", note)

    def test_a_crash_or_a_fallback_again_is_refused(self):
        # An illegal instruction kills the probe (here: a failing exit status).
        added, note = oc.fair_core(stand_in_probe(probe_record(None, 2e-7), exit_status=1), {},
                                   "Prescott", self.flags)
        self.assertEqual(added, {oc.CORE_REFUSED: "SKYLAKEX", oc.CORE_NOTE: note})
        self.assertIn("exit status 1", note)
        added, note = oc.fair_core(stand_in_probe(probe_record("Prescott", 2e-7)), {},
                                   "Prescott", self.flags)
        self.assertNotIn(oc.CORETYPE, added)
        self.assertIn("still ran Prescott", note)

    def test_probe_finds_its_record_among_other_lines(self):
        record, why = oc.probe(stand_in_probe(probe_record("Haswell", 1e-7)), dict(os.environ))
        self.assertIsNone(why)
        self.assertEqual(record["openblas_core"], "Haswell")
        record, why = oc.probe([sys.executable, "-c", "print('no record')"], dict(os.environ))
        self.assertIsNone(record)
        self.assertIn("exit status 0", why)


ZEN5_FLAGS = {"avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl",
              "avx512_bf16"}
SKYLAKE_FLAGS = ZEN5_FLAGS - {"avx512_bf16"}
ZEN3_FLAGS = {"avx", "avx2", "fma"}


def stand_in_cores(by_coretype):
    """A command that prints, as --probe-blas would, the record by_coretype gives for the
    OPENBLAS_CORETYPE it was started with ("" for none); "exit" in it is the exit status."""
    code = ("import json, os, sys; r = json.loads(sys.argv[1])[os.environ.get("
            "'OPENBLAS_CORETYPE', '')]; print(json.dumps(r)); sys.exit(r.get('exit', 0))")
    return [sys.executable, "-c", code, json.dumps(by_coretype)]


def blas_record(core, error=2e-7, gemm_ms=10.0, **extra):
    return {"impl": "torch", "workload": oc.PROBE_WORKLOAD, "openblas_core": core,
            "gemm_rel_err": error, "gemm_ms": gemm_ms, **extra}


class CoreSearchTest(unittest.TestCase):
    def test_candidates_are_the_avx512_cores_the_cpu_has(self):
        # Zen 5 with the environment's Haswell: both AVX-512 cores are worth a probe.
        self.assertEqual(oc.candidate_cores("Haswell", ZEN5_FLAGS), ["SKYLAKEX", "COOPERLAKE"])
        # Cooperlake needs bfloat16; the core in use is not probed again.
        self.assertEqual(oc.candidate_cores("SkylakeX", SKYLAKE_FLAGS), [])
        self.assertEqual(oc.candidate_cores("Cooperlake", ZEN5_FLAGS), ["SKYLAKEX"])
        # No AVX-512: nothing beyond what OpenBLAS chose, but Haswell for a fallback.
        self.assertEqual(oc.candidate_cores("Zen", ZEN3_FLAGS), [])
        self.assertEqual(oc.candidate_cores("Prescott", ZEN3_FLAGS), ["HASWELL"])
        self.assertEqual(oc.candidate_cores("Prescott", SKYLAKE_FLAGS), ["SKYLAKEX", "HASWELL"])

    def test_the_fastest_correct_core_is_chosen(self):
        # The environment names Haswell (as on a Zen 5 seen in issue 26).
        command = stand_in_cores({"Haswell": blas_record("Haswell", gemm_ms=20.0),
                                  "SKYLAKEX": blas_record("SkylakeX", gemm_ms=11.0),
                                  "COOPERLAKE": blas_record("Cooperlake", gemm_ms=10.0)})
        added, core, note, trials = oc.choose_core(command, {oc.CORETYPE: "Haswell"},
                                                   ZEN5_FLAGS)
        self.assertEqual(core, "Cooperlake")
        self.assertEqual(added[oc.CORETYPE], "COOPERLAKE")
        self.assertEqual(added[oc.CORE_NOTE], note)
        self.assertIn("OPENBLAS_CORETYPE=Haswell from the caller", note)
        self.assertEqual([t["coretype"] for t in trials], [None, "SKYLAKEX", "COOPERLAKE"])
        self.assertEqual([t["gemm_ms"] for t in trials], [20.0, 11.0, 10.0])

    def test_a_faster_core_with_a_wrong_gemm_is_refused(self):
        command = stand_in_cores({"": blas_record("Haswell", gemm_ms=20.0),
                                  "SKYLAKEX": blas_record("SkylakeX", error=3e-2, gemm_ms=5.0),
                                  "COOPERLAKE": blas_record("Cooperlake", exit=132)})
        added, core, note, trials = oc.choose_core(command, {}, ZEN5_FLAGS)
        self.assertEqual((added, core), ({}, "Haswell"))
        self.assertIn("differs from float64", trials[1]["refused"])
        self.assertIn("exit status 132", trials[2]["refused"])
        self.assertIn("refused", note)

    def test_the_core_as_given_wins_when_it_is_fastest_or_tied(self):
        command = stand_in_cores({"": blas_record("Cooperlake", gemm_ms=10.0),
                                  "SKYLAKEX": blas_record("SkylakeX", gemm_ms=10.0)})
        added, core, _, _ = oc.choose_core(command, {}, ZEN5_FLAGS)
        self.assertEqual((added, core), ({}, "Cooperlake"))

    def test_a_core_that_runs_another_one_is_refused(self):
        # OpenBLAS ignores a core it cannot run and picks its own: not what was asked for.
        record = blas_record("Haswell", gemm_ms=5.0)
        self.assertIn("instead", oc.refusal(record, None, "SKYLAKEX"))
        self.assertIsNone(oc.refusal(record, None, "HASWELL"))
        self.assertIn("fallback", oc.refusal(blas_record("Prescott"), None))

    def test_a_fallback_as_given_gives_way_to_haswell(self):
        command = stand_in_cores({"": blas_record("Prescott", gemm_ms=60.0),
                                  "HASWELL": blas_record("Haswell", gemm_ms=20.0)})
        added, core, _, trials = oc.choose_core(command, {}, ZEN3_FLAGS)
        self.assertEqual((added[oc.CORETYPE], core), ("HASWELL", "Haswell"))
        self.assertIn("fallback", trials[0]["refused"])

    def test_a_chosen_core_stops_the_reference_from_choosing_again(self):
        # compare.py sets CORE_NOTE for the default configuration: torch_reference.py must
        # then keep even a fallback core, and say how it came about.
        environ = {oc.CORE_NOTE: "Prescott as given"}
        self.assertIsNone(oc.better_core("Prescott", SKYLAKE_FLAGS, environ))
        self.assertEqual(oc.fair_core(["false"], environ, "Prescott", SKYLAKE_FLAGS),
                         ({}, "Prescott as given"))


def probe_records(median, loss=2.5, **extra):
    return [{"impl": "torch", "workload": "cnn_step", "median_ms": median, "final_loss": loss,
             **extra}]


class ConfigurationTest(unittest.TestCase):
    def test_aten_avx512_only_where_the_cpu_has_what_aten_checks(self):
        self.assertEqual(bc.capabilities_for(ZEN5_FLAGS), ["auto", "avx512"])
        self.assertEqual(bc.capabilities_for(ZEN3_FLAGS), ["auto"])
        self.assertEqual(bc.capabilities_for({"avx512f", "avx2", "fma"}), ["auto"])

    def test_allocator_environments(self):
        with tempfile.TemporaryDirectory() as folder:
            self.assertEqual(bc.available_allocators([folder])[0], ["glibc", "glibc-keep"])
            with self.assertRaisesRegex(ValueError, "apt-get install libjemalloc2"):
                bc.allocator_env("jemalloc", {}, [folder])
            for library in ("libjemalloc.so.2", "libtcmalloc_minimal.so.4"):
                open(os.path.join(folder, library), "w").close()
            found, missing = bc.available_allocators([folder])
            self.assertEqual((found, missing), (list(bc.ALLOCATORS), {}))
            jemalloc = bc.allocator_env("jemalloc", {"LD_PRELOAD": "/x.so"}, [folder])
            self.assertEqual(jemalloc["LD_PRELOAD"],
                             os.path.join(folder, "libjemalloc.so.2") + ":/x.so")
            self.assertIn("dirty_decay_ms", jemalloc["MALLOC_CONF"])
            self.assertNotIn("MALLOC_CONF", bc.allocator_env("tcmalloc", {}, [folder]))
        self.assertEqual(bc.allocator_env("glibc", {}), {})
        self.assertEqual(bc.allocator_env("glibc-keep", {})["MALLOC_MMAP_THRESHOLD_"],
                         "33554432")
        with self.assertRaisesRegex(ValueError, "unknown allocator"):
            bc.allocator_env("mimalloc", {})

    def test_configurations_default_first_then_every_combination(self):
        configs = bc.torch_configs(["glibc", "jemalloc"], ["auto", "avx512"], core_changed=True)
        self.assertTrue(configs[0].is_default())
        self.assertEqual(configs[0].label(), "default")
        # 2 allocators x oneDNN on/off x 2 capabilities on the chosen core, plus the default.
        self.assertEqual(len(configs), 9)
        self.assertTrue(all(c.chosen_core for c in configs[1:]))
        self.assertEqual(configs[-1].label("SkylakeX"),
                         "jemalloc, oneDNN off, ATen avx512, OpenBLAS SkylakeX")
        self.assertEqual(configs[-1].torch_arguments(),
                         ["--allocator", "jemalloc", "--mkldnn", "off",
                          "--aten-capability", "avx512"])
        # The core unchanged: the default is one of the combinations, not an extra one.
        self.assertEqual(len(bc.torch_configs(["glibc", "jemalloc"], ["auto"], False)), 4)
        self.assertEqual([c.label() for c in bc.tapegrad_configs(["glibc", "tcmalloc"])],
                         ["default", "tcmalloc"])

    def test_the_fastest_configuration_that_computes_the_same_is_picked(self):
        default, keep, jemalloc, off = (bc.Config(), bc.Config("glibc-keep"),
                                        bc.Config("jemalloc"), bc.Config(mkldnn="off"))
        order = [default, keep, jemalloc, off]
        probes = {default: (probe_records(80.0), None), keep: (probe_records(20.0), None),
                  jemalloc: (probe_records(19.0), None),
                  off: (probe_records(9.0, loss=2.6), None)}
        chosen, verdicts = bc.pick(probes, order)
        self.assertEqual(chosen, jemalloc)
        self.assertIn("final_loss", verdicts[off]["refused"])
        self.assertNotIn("refused", verdicts[keep])
        self.assertEqual(verdicts[default]["score"], 80.0)
        # Within the tolerance is the same result; a failed probe is refused.
        probes[off] = (probe_records(9.0, loss=2.5 * (1 + 1e-6)), None)
        probes[jemalloc] = (probe_records(1.0), "exit 139")
        chosen, verdicts = bc.pick(probes, order)
        self.assertEqual(chosen, off)
        self.assertEqual(verdicts[jemalloc]["refused"], "exit 139")

    def test_the_default_stands_when_nothing_else_qualifies(self):
        default, other = bc.Config(), bc.Config("tcmalloc")
        chosen, verdicts = bc.pick({default: ([], "exit 1"), other: (probe_records(1.0), None)},
                                   [default, other])
        self.assertEqual(chosen, default)
        self.assertIn("nothing to check", verdicts[other]["refused"])

    def test_scores_and_checks_cover_every_record_of_a_workload(self):
        records = [{"case": "conv1", "median_ms": 12.0, "fwd_median_ms": 3.0, "check": 7.5},
                   {"case": "conv2", "median_ms": 17.0, "fwd_median_ms": 6.0, "check": 9.0}]
        self.assertEqual(bc.score(records), 38.0)
        self.assertIsNone(bc.score([{"error": "x"}]))
        self.assertEqual(bc.checks(records), {("conv1", "check"): 7.5, ("conv2", "check"): 9.0})
        self.assertIsNone(bc.disagreement({("", "final_loss"): 1.0}, {("", "other"): 2.0}))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
