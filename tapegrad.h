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

// Ops: kernels and tape ops (primitives with NumPy broadcasting, the layers,
// the recurrent layers and temporal ops).
#include "ops/add.h"
#include "ops/avg_pool2d.h"
#include "ops/batchnorm.h"
#include "ops/concat.h"
#include "ops/conv2d.h"
#include "ops/div.h"
#include "ops/dropout.h"
#include "ops/embedding.h"
#include "ops/exp.h"
#include "ops/gelu.h"
#include "ops/groupnorm.h"
#include "ops/gru.h"
#include "ops/l2_penalty.h"
#include "ops/layer_utils.h"
#include "ops/layernorm.h"
#include "ops/leaky_relu.h"
#include "ops/linear.h"
#include "ops/log.h"
#include "ops/lstm.h"
#include "ops/matmul.h"
#include "ops/max.h"
#include "ops/max_pool2d.h"
#include "ops/mean.h"
#include "ops/mul.h"
#include "ops/permute.h"
#include "ops/pow.h"
#include "ops/relu.h"
#include "ops/reshape.h"
#include "ops/rnn.h"
#include "ops/scale.h"
#include "ops/sigmoid.h"
#include "ops/slice.h"
#include "ops/softmax.h"
#include "ops/softmax_loss.h"
#include "ops/spatial_batchnorm.h"
#include "ops/sqrt.h"
#include "ops/stack.h"
#include "ops/sub.h"
#include "ops/sum.h"
#include "ops/svm_loss.h"
#include "ops/tanh.h"
#include "ops/temporal_affine.h"
#include "ops/temporal_softmax_loss.h"
#include "ops/where.h"
#include "ops/word_embedding.h"

// Models, optimizers, data, training.
#include "data/cifar10.h"
#include "data/idx.h"
#include "data/image_file.h"
#include "data/preprocess.h"
#include "data/text.h"
#include "models/char_rnn.h"
#include "models/fully_connected_net.h"
#include "models/model_file.h"
#include "models/module.h"
#include "models/recurrent_layer.h"
#include "models/sequence_classifier.h"
#include "models/three_layer_convnet.h"
#include "optim/clip.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "optim/update_rules.h"
#include "solver/solver.h"
