"""tapegrad's folders in layers: the one place that says which folder sits where.

A folder may depend only on folders in LOWER layers (never on one in its own
layer or above); inside a folder, anything goes. A subpackage belongs to its
top folder (ops/reference is in ops). //tests/layering:layering_test checks every
dependency of every target in PACKAGES against this table and fails for a
folder that is not in it; tools/architecture.py draws docs/architecture.md's
dependency graph from the same query. Plain literals only: Python reads this
file too (ast.literal_eval).
"""

# Bottom first. "" is the repository root (its BUILD: //:tapegrad, the
# umbrella library over every public header).
LAYERS = [
    ["third_party"],  # the system libraries' BUILD files (zlib)
    ["graph"],  # tensors, the tape, parameters, gradient checks
    ["io", "ops", "optim"],  # file formats; the ops; update rules
    ["data", "distributed", "nn", "report"],  # data sets (io); processes (ops' sync batch norm); the module tree and layer modules (ops); run reports (io)
    ["models"],  # the shipped models, composed of nn/ modules; model files
    ["solver"],  # the Solver
    [""],  # the umbrella library //:tapegrad
    ["apps", "bench"],  # the programs' logic; the benchmark
    ["tools"],  # the programs: train, predict, sample, plot, ...
]

# Outside the order: tests may depend on any folder, and only tests may
# depend on tests.
TEST_FOLDERS = ["tests"]

# Every package (folder with a BUILD file) of the folders in LAYERS. The
# dependency query takes all targets of these (a query cannot say //...);
# tools/architecture.py fails when a package is missing here.
PACKAGES = [
    "",
    "apps",
    "bench",
    "data",
    "distributed",
    "graph",
    "io",
    "models",
    "nn",
    "ops",
    "ops/conv",
    "ops/index",
    "ops/kernels",
    "ops/layers",
    "ops/losses",
    "ops/math",
    "ops/recurrent",
    "ops/reduce",
    "ops/reference",
    "ops/shape",
    "optim",
    "report",
    "solver",
    "third_party",
    "tools",
]
