#!/usr/bin/env python3
"""The folders keep their layers, and docs/architecture.md shows the graph as it is.

Arguments: layers.bzl, the dependency graph //tests/layering:dependency_graph wrote
(bazel query's XML), docs/architecture.md. See tools/architecture.py.
"""

import difflib
import os
import sys
import unittest

# The test runs in its runfiles tree, where tools/architecture.py is.
sys.path.insert(0, os.path.join(os.environ["TEST_SRCDIR"], os.environ["TEST_WORKSPACE"]))

from tools import architecture  # noqa: E402
from tools.architecture import Graph, Layers

LAYERS_FILE, GRAPH_FILE, DOC_FILE = sys.argv[1:4]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class LayeringTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.layers = Layers.read(LAYERS_FILE)
        cls.graph = Graph.parse_xml(read(GRAPH_FILE))

    def test_the_query_saw_every_layered_package(self):
        # Guards the checks below against an empty or filtered-out graph.
        for package in ["graph", "ops", "models", "optim", "solver", "tools"]:
            self.assertIn(package, self.graph.package_edges(), f"no target of //{package}")

    def test_every_folder_is_in_the_layer_table(self):
        problems = architecture.unplaced_folders(self.graph, self.layers)
        if problems:
            self.fail("\n" + "\n".join(problems))

    def test_no_folder_depends_on_one_above_it_or_on_tests(self):
        problems = architecture.layer_violations(self.graph, self.layers)
        if problems:
            self.fail("\n" + "\n".join(problems))

    def test_the_architecture_doc_shows_this_graph(self):
        written = architecture.generated_section(read(DOC_FILE))
        current = architecture.render_section(self.graph, self.layers)
        if written != current:
            diff = difflib.unified_diff(
                written.splitlines(),
                current.splitlines(),
                "docs/architecture.md",
                "the graph now",
                lineterm="",
            )
            self.fail(
                "docs/architecture.md's dependency graph is out of date: run "
                "`python3 tools/architecture.py` and commit the result\n" + "\n".join(diff)
            )


class ChecksTest(unittest.TestCase):
    """The checks themselves, on made-up graphs: they can fail."""

    layers = Layers(
        [["graph"], ["io", "ops"], ["tools"]], ["tests"], ["graph", "io", "ops", "tools"]
    )

    @staticmethod
    def graph(edges):
        rules = {label: "cc_library" for edge in edges for label in edge}
        inputs = {label: [] for label in rules}
        for source, target in edges:
            inputs[source].append(target)
        return Graph(rules, set(), inputs)

    def test_a_dependency_on_a_lower_layer_passes(self):
        graph = self.graph([("//tools:train", "//ops:ops"), ("//ops:ops", "//graph:graph")])
        self.assertEqual(architecture.layer_violations(graph, self.layers), [])

    def test_a_dependency_on_a_higher_layer_names_the_edge(self):
        graph = self.graph([("//graph:graph", "//ops:ops")])
        [problem] = architecture.layer_violations(graph, self.layers)
        self.assertIn("//graph:graph -> //ops:ops", problem)
        self.assertIn("above", problem)

    def test_a_dependency_within_a_layer_fails(self):
        graph = self.graph([("//ops:ops", "//io:io")])
        [problem] = architecture.layer_violations(graph, self.layers)
        self.assertIn("//ops:ops -> //io:io", problem)
        self.assertIn("in the same layer", problem)

    def test_a_subpackage_may_depend_on_its_folder(self):
        graph = self.graph([("//ops/reference:reference", "//ops:ops")])
        self.assertEqual(architecture.layer_violations(graph, self.layers), [])

    def test_only_tests_depend_on_tests(self):
        graph = self.graph([("//tools:bench", "//tests:helpers"), ("//tests:t", "//tools:bench")])
        [problem] = architecture.layer_violations(graph, self.layers)
        self.assertIn("//tools:bench -> //tests:helpers", problem)

    def test_a_folder_missing_from_the_table_fails(self):
        graph = self.graph([("//tools:train", "//plugins:extra")])
        [problem] = architecture.unplaced_folders(graph, self.layers)
        self.assertIn("plugins/", problem)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
