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
#include "ops/conv/avg_pool2d.h"
#include "ops/conv/conv2d.h"
#include "ops/conv/conv_transpose2d.h"
#include "ops/conv/max_pool2d.h"
#include "ops/index/embedding.h"
#include "ops/index/where.h"
#include "ops/layers/batchnorm.h"
#include "ops/layers/dropout.h"
#include "ops/layers/groupnorm.h"
#include "ops/layers/layer_utils.h"
#include "ops/layers/layernorm.h"
#include "ops/layers/linear.h"
#include "ops/layers/relu.h"
#include "ops/layers/spatial_batchnorm.h"
#include "ops/losses/bce_with_logits.h"
#include "ops/losses/gan_losses.h"
#include "ops/losses/l2_penalty.h"
#include "ops/losses/mse_loss.h"
#include "ops/losses/softmax_loss.h"
#include "ops/losses/svm_loss.h"
#include "ops/math/add.h"
#include "ops/math/div.h"
#include "ops/math/exp.h"
#include "ops/math/gelu.h"
#include "ops/math/leaky_relu.h"
#include "ops/math/log.h"
#include "ops/math/matmul.h"
#include "ops/math/mul.h"
#include "ops/math/pow.h"
#include "ops/math/scale.h"
#include "ops/math/sigmoid.h"
#include "ops/math/sqrt.h"
#include "ops/math/sub.h"
#include "ops/math/tanh.h"
#include "ops/recurrent/gru.h"
#include "ops/recurrent/lstm.h"
#include "ops/recurrent/rnn.h"
#include "ops/recurrent/temporal_affine.h"
#include "ops/recurrent/temporal_softmax_loss.h"
#include "ops/recurrent/word_embedding.h"
#include "ops/reduce/max.h"
#include "ops/reduce/mean.h"
#include "ops/reduce/softmax.h"
#include "ops/reduce/sum.h"
#include "ops/shape/concat.h"
#include "ops/shape/permute.h"
#include "ops/shape/reshape.h"
#include "ops/shape/slice.h"
#include "ops/shape/stack.h"

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
