"""doc_code_header: a documentation page's ```cpp blocks, in order, as one header."""

def doc_code_header(name, page, out):
    native.genrule(
        name = name,
        srcs = [page],
        outs = [out],
        cmd = "awk '/^```cpp$$/ {code = 1; next} /^```$$/ {code = 0} code' $< > $@",
    )
