// A model's forward pass at test time as a list of layers, for exports that
// run it elsewhere: params/model.json, which tools/npy_predict.py runs in
// NumPy (models/model_export.h). Module::layer_specs() gives it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tg {

// One layer. Its op, the parameters and buffers it uses by role, and its
// settings; x is the previous layer's output, (N, ...):
//   conv2d             w (F, C, HH, WW), b (F); stride, pad (zeros around)
//   spatial_batchnorm  gamma, beta, running_mean, running_var (C); eps: per
//                      channel (axis 1), (x - running_mean) / sqrt(running_var
//                      + eps) * gamma + beta
//   batchnorm          the same on (N, D)
//   layernorm          gamma, beta (D); eps: per example over its D features
//   relu               max(x, 0)
//   max_pool2d         pool_height, pool_width, stride (no padding)
//   linear             w (D, M), b (M, optional): x reshaped to (N, D), then x w + b
//   dropout            keep_prob: the identity at test time
//   word_embedding     w (V, D): x (N, T) holds word indices; out (N, T, D) = w[x]
//   rnn, lstm, gru     wx, wh and b (gru: bx, bh); input_dim: x reshaped to
//                      (N, T, input_dim), the recurrence of ops/recurrent/rnn.h, lstm.h
//                      or gru.h from a zero state; out (N, T, H), every step
//   last_step          x (N, T, H): the last step, x[:, T - 1] (N, H)
//   linear_last_axis   w (D, M), b (M): x (..., D) w + b, out (..., M)
//   flatten            x reshaped to (N, D)
//   leaky_relu         slope: x for x > 0, slope * x otherwise
//   gelu               approximate (0: x Phi(x) with erf; 1: the tanh form)
//   tanh, sigmoid      elementwise
//   avg_pool2d         pool_height, pool_width, stride: window means
//   global_avg_pool2d  (N, C, H, W) -> (N, C): the mean over H and W
//   groupnorm          gamma, beta (C); groups, eps: per example and group of
//                      C / groups channels over the channels, H and W
//   residual           body, shortcut (lists of layers): body(x) + shortcut(x),
//                      x itself for an empty shortcut
// layernorm normalises over the last axis (rows of (N, D)).
struct LayerSpec {
  LayerSpec(std::string op, std::vector<std::pair<std::string, std::string>> tensors = {},
            std::vector<std::pair<std::string, double>> settings = {})
      : op(std::move(op)), tensors(std::move(tensors)), settings(std::move(settings)) {}

  std::string op;
  std::vector<std::pair<std::string, std::string>> tensors;  // role -> name ("w" -> "fc1.weight")
  std::vector<std::pair<std::string, double>> settings;      // "stride" -> 1
  std::vector<LayerSpec> body, shortcut;                     // residual only
};

}  // namespace tg
