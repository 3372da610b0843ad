// bazel run //tools:plot -- --help: see apps/plot.h.
#include "apps/plot.h"

int main(int argc, char** argv) { return tg::plot_main(argc, argv); }
