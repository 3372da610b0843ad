// tapegrad: everything a model author needs, in one include.
//
//   #include "tapegrad.h"
//
//   class MyNet : public tg::Module { ... tg::conv2d, tg::relu, tg::linear ... };
//   tg::Solver solver(model, {X_train, y_train, X_val, y_val}, options);
//
// The tensor and the tape (graph/), every op (ops/), Module, the shipped
// models and model files (models/), the update rules (optim/), the data sets
// and image files (data/), the Solver (solver/), and the gradient checks.
// Bazel: deps = ["//:tapegrad"].
#pragma once

// The core: tensors, parameters, the tape, gradient checks.
#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/labels.h"
#include "graph/memory.h"
#include "graph/op.h"
#include "graph/parameter.h"
#include "graph/rng.h"
#include "graph/tape.h"
#include "graph/tensor.h"

// Ops: kernels and tape ops.
#include "ops/add.h"
#include "ops/avg_pool2d.h"
#include "ops/batchnorm.h"
#include "ops/conv2d.h"
#include "ops/dropout.h"
#include "ops/groupnorm.h"
#include "ops/l2_penalty.h"
#include "ops/layer_utils.h"
#include "ops/layernorm.h"
#include "ops/linear.h"
#include "ops/max_pool2d.h"
#include "ops/mul.h"
#include "ops/relu.h"
#include "ops/softmax_loss.h"
#include "ops/spatial_batchnorm.h"
#include "ops/sum.h"
#include "ops/svm_loss.h"

// Models, optimizers, data, training.
#include "data/cifar10.h"
#include "data/idx.h"
#include "data/image_file.h"
#include "data/preprocess.h"
#include "models/fully_connected_net.h"
#include "models/model_file.h"
#include "models/module.h"
#include "models/three_layer_convnet.h"
#include "optim/clip.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "optim/update_rules.h"
#include "solver/solver.h"
