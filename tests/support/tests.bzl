"""doctest_suite: a cc_test over <name>.cc linked with doctest's main."""

def doctest_suite(name, deps = [], data = [], size = "small", **kwargs):
    native.cc_test(
        name = name,
        srcs = [name + ".cc"],
        size = size,
        data = data,
        deps = deps + [
            "//tests/support:doctest_main",
            "@doctest",
        ],
        **kwargs
    )
