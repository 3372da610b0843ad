// bazel run //tools:train -- --help: see apps/train.h.
#include "apps/train.h"

int main(int argc, char** argv) { return tg::train_main(argc, argv); }
