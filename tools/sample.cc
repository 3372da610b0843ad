// bazel run //tools:sample -- --help: see apps/sample.h.
#include "apps/sample.h"

int main(int argc, char** argv) { return tg::sample_main(argc, argv); }
