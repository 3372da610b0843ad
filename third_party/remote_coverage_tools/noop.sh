#!/bin/sh
# Coverage is not used offline; Bazel only needs these targets to exist.
exit 0
