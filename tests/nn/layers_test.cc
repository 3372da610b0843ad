// Every layer module's gradients, in float64: L = sum(module(x) * dout) for a
// random dout, the tape's dL/dx and dL/dparameter against centred differences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "graph/tape.h"
#include "nn/activations.h"
#include "nn/attention.h"
#include "nn/batchnorm.h"
#include "nn/containers.h"
#include "nn/conv2d.h"
#include "nn/dropout.h"
#include "nn/flatten.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "nn/pooling.h"
#include "nn/recurrent.h"
#include "nn/transformer.h"
#include "ops/math/mul.h"
#include "ops/reduce/sum.h"
#include "tests/support/check_grads.h"

namespace tg {
namespace {

constexpr DType f64 = DType::f64;

// Asserts rel_error < 1e-7 for x (unless it takes no gradient: word indices)
// and for every parameter of the module but `zero_gradient`, parameters the
// output does not depend on (both gradients must be zero to rounding there).
void check_module_gradients(Module& module, const Tensor& x, bool input_gradient = true,
                            const std::vector<std::string>& zero_gradient = {}) {
  Rng rng(77);
  Tape tape;
  const Var input = input_gradient ? tape.variable(x) : tape.constant(x);
  module.zero_grad();
  const Var out = module(input);
  const Tensor dout = Tensor::randn(out.shape(), rng, f64);
  tape.backward(sum(out * tape.constant(dout)));
  const auto loss = [&] {
    Tape again(Tape::inference());
    return sum(module(again.constant(x)) * again.constant(dout)).value().item();
  };
  // Richardson-extrapolated centred differences (tests/support/check_grads.h).
  using testing::numeric_gradient;
  if (input_gradient) {
    const double error = rel_error(input.grad(), numeric_gradient(loss, x));
    INFO(module.type(), " dx relative error ", error);
    CHECK(error < 1e-7);
  }
  for (const Parameter& p : module.parameters()) {
    const Tensor analytic = p.grad().clone();
    const Tensor numeric = numeric_gradient(loss, p.value());
    if (std::find(zero_gradient.begin(), zero_gradient.end(), p.name()) != zero_gradient.end()) {
      for (const Tensor& g : {analytic, numeric}) {
        for (double v : g.to_vector()) CHECK(std::abs(v) < 1e-10);
      }
      continue;
    }
    const double error = rel_error(analytic, numeric);
    INFO(module.type(), " d", p.name(), " relative error ", error);
    CHECK(error < 1e-7);
  }
}

// Parameters of order 1, so that their gradients stand above the rounding
// noise of the numerical ones.
void randomize(Module& module, std::uint64_t seed) {
  Rng rng(seed);
  for (const Parameter& p : module.parameters()) {
    p.value().copy_(Tensor::randn(p.value().shape(), rng, f64, 0, 0.7));
  }
}

Tensor randn(const Shape& shape, std::uint64_t seed) {
  Rng rng(seed);
  return Tensor::randn(shape, rng, f64);
}

LinearOptions linear64(bool bias = true, bool last_axis = false) {
  LinearOptions o;
  o.bias = bias;
  o.dtype = f64;
  o.last_axis = last_axis;
  return o;
}

}  // namespace

TEST_CASE("Linear: with and without a bias, on (N, ...) and on the last axis") {
  Linear with_bias(12, 5, linear64());
  randomize(with_bias, 1);
  check_module_gradients(with_bias, randn({3, 3, 2, 2}, 2));  // viewed as (3, 12)
  Linear no_bias(4, 3, linear64(false));
  CHECK(no_bias.parameters().size() == 1);
  check_module_gradients(no_bias, randn({2, 4}, 3));
  Linear last_axis(4, 3, linear64(true, true));
  randomize(last_axis, 4);
  check_module_gradients(last_axis, randn({2, 5, 4}, 5));
  CHECK_THROWS_WITH_AS(with_bias(Tape().constant(randn({2, 5}, 6))),
                       "Linear: expects (N, ...) with 12 features per example, got shape (2,5)",
                       ArgumentError);
}

TEST_CASE("Conv2d: stride, padding, no bias") {
  Conv2dOptions o;
  o.stride = 2;
  o.pad = 1;
  o.dtype = f64;
  Conv2d conv(2, 3, 3, o);
  randomize(conv, 7);
  check_module_gradients(conv, randn({2, 2, 5, 5}, 8));
  o.bias = false;
  o.stride = 1;
  Conv2d no_bias(1, 2, 2, o);
  CHECK(no_bias.parameters().size() == 1);
  check_module_gradients(no_bias, randn({1, 1, 3, 3}, 9));
}

TEST_CASE("BatchNorm1d and BatchNorm2d: training and evaluation") {
  BatchNormOptions o;
  o.dtype = f64;
  BatchNorm1d bn1(4, o);
  randomize(bn1, 10);
  check_module_gradients(bn1, randn({5, 4}, 11));
  BatchNorm2d bn2(3, o);
  randomize(bn2, 12);
  check_module_gradients(bn2, randn({2, 3, 3, 2}, 13));
  bn2.eval();  // the running statistics, a per-channel affine map
  check_module_gradients(bn2, randn({2, 3, 3, 2}, 14));
}

TEST_CASE("LayerNorm (rank 2 and 3) and GroupNorm") {
  LayerNorm ln(5, 1e-5, f64);
  randomize(ln, 15);
  check_module_gradients(ln, randn({3, 5}, 16));
  check_module_gradients(ln, randn({2, 3, 5}, 17));
  GroupNorm gn(2, 4, 1e-5, f64);
  randomize(gn, 18);
  check_module_gradients(gn, randn({2, 4, 2, 3}, 19));
  CHECK_THROWS_WITH_AS(GroupNorm(3, 4),
                       "GroupNorm: channels (4) must be a positive multiple of groups (3)",
                       ArgumentError);
}

TEST_CASE("Dropout with fixed masks, and the identity in evaluation") {
  Dropout dropout(0.6, 3, /*fixed_masks=*/true);
  check_module_gradients(dropout, randn({4, 6}, 20));
  dropout.eval();
  const Tensor x = randn({2, 3}, 21);
  CHECK(dropout(Tape().constant(x)).value().to_vector() == x.to_vector());
  CHECK_THROWS_AS(Dropout(0.0), ArgumentError);
}

TEST_CASE("Activations") {
  const Tensor x = randn({3, 4}, 22);
  ReLU relu;
  LeakyReLU leaky(0.2);
  GELU gelu;
  GELU gelu_tanh(GeluApproximation::tanh);
  Tanh tanh;
  Sigmoid sigmoid;
  for (Module* m :
       std::initializer_list<Module*>{&relu, &leaky, &gelu, &gelu_tanh, &tanh, &sigmoid}) {
    CAPTURE(m->type());
    check_module_gradients(*m, x);
  }
}

TEST_CASE("Pooling and Flatten") {
  const Tensor x = randn({2, 3, 4, 4}, 23);
  MaxPool2d max_pool(2, 2);
  AvgPool2d avg_pool(2, 1);
  GlobalAvgPool2d global;
  Flatten flatten;
  for (Module* m : std::initializer_list<Module*>{&max_pool, &avg_pool, &global, &flatten}) {
    CAPTURE(m->type());
    check_module_gradients(*m, x);
  }
  CHECK(global(Tape().constant(x)).shape() == Shape{2, 3});
  CHECK(flatten(Tape().constant(x)).shape() == Shape{2, 48});
}

TEST_CASE("Embedding, RNN, LSTM, GRU and LastStep") {
  Rng init(24);
  Embedding embed(6, 3, f64, init);
  randomize(embed, 25);
  const Tensor words = Tensor::from_values({2, 3}, {0, 5, 2, 2, 2, 1}, f64);
  check_module_gradients(embed, words, /*input_gradient=*/false);
  RNN rnn(3, 4, f64, init);
  LSTM lstm(3, 4, f64, init);
  GRU gru(3, 4, f64, init);
  LastStep last;
  const Tensor steps = randn({2, 3, 3}, 26);
  for (Module* m : std::initializer_list<Module*>{&rnn, &lstm, &gru}) {
    CAPTURE(m->type());
    check_module_gradients(*m, steps);
  }
  check_module_gradients(last, randn({2, 3, 4}, 27));
  CHECK(lstm(Tape().constant(steps)).shape() == Shape{2, 3, 4});
  CHECK(gru.parameters().size() == 4);  // Wx, Wh, bx, bh
}

TEST_CASE("Sequential and Residual compose their children's gradients") {
  Rng init(28);
  Conv2dOptions conv;
  conv.pad = 1;
  conv.dtype = f64;
  BatchNormOptions bn;
  bn.dtype = f64;
  auto body = sequential({{"conv", std::make_shared<Conv2d>(2, 2, 3, conv, init)},
                          {"bn", std::make_shared<BatchNorm2d>(2, bn)},
                          {"relu", std::make_shared<ReLU>()}});
  Residual identity(body);
  randomize(identity, 29);
  check_module_gradients(identity, randn({2, 2, 3, 3}, 30));
  conv.pad = 0;
  Residual projected(std::make_shared<Conv2d>(2, 3, 1, conv, init),
                     std::make_shared<Conv2d>(2, 3, 1, conv, init));
  check_module_gradients(projected, randn({2, 2, 3, 3}, 31));
  Residual mismatched(std::make_shared<Conv2d>(2, 3, 1, conv, init));
  CHECK_THROWS_WITH_AS(mismatched(Tape().constant(randn({1, 2, 3, 3}, 32))),
                       "Residual: the body gives (1,3,3,3) but the shortcut (1,2,3,3)",
                       ArgumentError);
  Sequential net;
  net.add(std::make_shared<Flatten>()).add(std::make_shared<Linear>(18, 4, linear64(), init));
  net.add("act", std::make_shared<Tanh>());
  check_module_gradients(net, randn({2, 2, 3, 3}, 33));
  CHECK(net.children()[1].first == "1");
}

TEST_CASE("MultiHeadAttention and PositionalEncoding") {
  Rng init(34);
  MultiHeadAttentionOptions o;
  o.keep_prob = 1.0;  // deterministic for the numerical gradients
  o.dtype = f64;
  MultiHeadAttention attention(6, 2, o, init);
  randomize(attention, 35);
  // A bias added to every key shifts a row's scores alike: the softmax
  // cancels it, so its gradient is zero.
  check_module_gradients(attention, randn({2, 3, 6}, 36), true, {"key.bias"});
  CHECK(attention.parameters().size() == 8);
  CHECK(attention.parameters()[0].name() == "query.weight");
  // Cross-attention with a causal mask: the first query sees the first key only.
  Tape tape;
  const Var query = tape.constant(randn({1, 2, 6}, 37));
  const Var memory = tape.constant(randn({1, 4, 6}, 38));
  const Var out = attention.attend(query, memory, memory, {}, /*causal=*/true);
  CHECK(out.shape() == Shape{1, 2, 6});
  CHECK_THROWS_WITH_AS(attention.attend(query, memory, memory, {true, false}),
                       "scaled_dot_product_attention: the mask must hold T * S = 2 * 4 = 8 "
                       "positions, got 2",
                       ArgumentError);
  CHECK_THROWS_AS(MultiHeadAttention(6, 4, o, init), ArgumentError);

  PositionalEncoding pe(4, 10, 1.0, f64);
  const double* table = pe.encoding().data<double>();
  CHECK(table[0] == 0.0);                                           // sin(0)
  CHECK(table[1] == 1.0);                                           // cos(0)
  CHECK(table[4 * 3 + 2] == doctest::Approx(std::sin(3 / 100.0)));  // t = 3, i = 2: 10000^(-2/4)
  CHECK(table[4 * 3 + 3] == doctest::Approx(std::cos(3 / 100.0)));
  check_module_gradients(pe, randn({2, 5, 4}, 39));
}

namespace {

// A decoder layer attending to a fixed memory, as a one-input module.
class DecoderWithMemory : public Module {
 public:
  DecoderWithMemory(std::shared_ptr<TransformerDecoderLayer> decoder, Tensor memory)
      : memory_(std::move(memory)) {
    decoder_ = register_module("decoder", std::move(decoder));
  }
  Var forward(const Var& x) override { return decoder_->decode(x, x.tape().constant(memory_)); }
  std::string type() const override { return "DecoderWithMemory"; }

 private:
  std::shared_ptr<TransformerDecoderLayer> decoder_;
  Tensor memory_;
};

}  // namespace

TEST_CASE("Transformer encoder and decoder layers: gradients, names, causality") {
  TransformerLayerOptions o;
  o.num_heads = 2;
  o.dim_feedforward = 5;
  o.keep_prob = 1.0;  // deterministic for the numerical gradients
  o.dtype = f64;
  Rng init(40);
  TransformerEncoderLayer encoder(4, o, init);
  randomize(encoder, 41);
  check_module_gradients(encoder, randn({2, 3, 4}, 42), true, {"self_attn.key.bias"});
  CHECK(encoder.module("ffn.linear1").type() == "Linear");
  CHECK(encoder.parameter("norm2.gamma").value().shape() == Shape{4});

  auto decoder = std::make_shared<TransformerDecoderLayer>(4, o, init);
  randomize(*decoder, 43);
  DecoderWithMemory with_memory(decoder, randn({2, 5, 4}, 44));
  check_module_gradients(with_memory, randn({2, 3, 4}, 45), true,
                         {"decoder.self_attn.key.bias", "decoder.cross_attn.key.bias"});
  CHECK_THROWS_WITH_AS((*decoder)(Tape().constant(randn({1, 2, 4}, 46))),
                       "decoder.TransformerDecoderLayer: attends to a memory: call decode(tgt, "
                       "memory), "
                       "not forward(x)",
                       ArgumentError);
  // Causal self-attention: a later target position cannot change an earlier output.
  decoder->eval();
  const Tensor memory = randn({1, 5, 4}, 47);
  Tensor tgt = randn({1, 3, 4}, 48);
  Tape before;
  const std::vector<double> first =
      decoder->decode(before.constant(tgt), before.constant(memory)).value().to_vector();
  Tensor changed = tgt.clone();
  for (int j = 0; j < 4; ++j) changed.data<double>()[2 * 4 + j] += 1.0;
  Tape after;
  const std::vector<double> second =
      decoder->decode(after.constant(changed), after.constant(memory)).value().to_vector();
  for (int p = 0; p < 8; ++p) CHECK(second[p] == first[p]);  // positions 0 and 1
  bool last_changed = false;
  for (int p = 8; p < 12; ++p) last_changed = last_changed || second[p] != first[p];
  CHECK(last_changed);
}

}  // namespace tg
