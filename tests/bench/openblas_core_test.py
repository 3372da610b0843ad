#!/usr/bin/env python3
"""bench/openblas_core.py's decisions, without OpenBLAS or torch: which cores count as
generic fallbacks, which core a CPU's flags call for, when the bench leaves the choice alone,
and how a probe's answer is accepted or refused. The probes here are stand-in Python
commands that print a record; nothing loads OpenBLAS, so no core is ever forced on it.
"""

import json
import os
import sys
import unittest

# The test runs in its runfiles tree, where bench/openblas_core.py is.
sys.path.insert(0, os.path.join(os.environ["TEST_SRCDIR"], os.environ["TEST_WORKSPACE"],
                                "bench"))

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


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
