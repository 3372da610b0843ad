// bazel run //tools:predict -- --help: see apps/predict.h.
#include "apps/predict.h"

int main(int argc, char** argv) { return tg::predict_main(argc, argv); }
