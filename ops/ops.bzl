"""op_library: one op (or kernel helper) of ops/: <name>.h and <name>.cc, on the core.

`parts` names further file pairs of the same op (conv2d's im2col and oneDNN
paths), compiled into the same target.
"""

def op_library(name, deps = [], parts = [], header_only = False, **kwargs):
    native.cc_library(
        name = name,
        srcs = ([] if header_only else [name + ".cc"]) + [part + ".cc" for part in parts],
        hdrs = [name + ".h"] + [part + ".h" for part in parts],
        deps = deps + ["//graph"],
        **kwargs
    )
