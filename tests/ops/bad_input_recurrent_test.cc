// Bad input to the recurrent layers and the temporal ops, table-driven like
// bad_input_test.cc: wrong T, mismatched H, a word outside the vocabulary, a
// mask of another shape... each rejected with an ArgumentError whose message
// starts with the op's name and says what was expected and what it got.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/tape.h"
#include "ops/recurrent/gru.h"
#include "ops/recurrent/lstm.h"
#include "ops/recurrent/rnn.h"
#include "ops/recurrent/temporal_affine.h"
#include "ops/recurrent/temporal_softmax_loss.h"
#include "ops/recurrent/word_embedding.h"

using namespace tg;

namespace {

struct BadInput {
  std::string what;      // the case, for failure messages
  std::string prefix;    // the message must start with this (the op)
  std::string mentions;  // and contain this (what was given)
  std::function<void()> call;
};

Tensor zeros(const Shape& s, DType dtype = DType::f32) { return Tensor::zeros(s, dtype); }

// Inputs with N = 2, T = 3, D = 4, H = 5.
struct Sizes {
  Tensor x = zeros({2, 3, 4});
  Tensor x_step = zeros({2, 4});
  Tensor h = zeros({2, 5});
};

std::vector<BadInput> rnn_cases() {
  const Sizes sizes;
  const Tensor kX = sizes.x, kXStep = sizes.x_step, kH = sizes.h;
  const Tensor wx = zeros({4, 5}), wh = zeros({5, 5}), b = zeros({5});
  const RnnCache sequence = rnn_forward(kX, kH, wx, wh, b).cache;
  const RnnCache step = rnn_step_forward(kXStep, kH, wx, wh, b).cache;
  return {
      {"rnn: x without T", "rnn: ", "got shape (2,4)", [=] { rnn_forward(kXStep, kH, wx, wh, b); }},
      {"rnn_step: x with T", "rnn_step: ", "got shape (2,3,4)",
       [=] { rnn_step_forward(kX, kH, wx, wh, b); }},
      {"rnn: h0 of other N", "rnn: ", "got (3,5)",
       [=] {
         rnn_forward(kX, zeros({3, 5}), wx, wh, b);
       }},
      {"rnn: Wx of other D", "rnn: ", "wx must have shape (D, H) = (4,5)",
       [=] {
         rnn_forward(kX, kH, zeros({3, 5}), wh, b);
       }},
      {"rnn: Wh of other H", "rnn: ", "got (6,6)",
       [=] {
         rnn_forward(kX, kH, wx, zeros({6, 6}), b);
       }},
      {"rnn: h0 of other H", "rnn: ", "(H, H) = (6,6) for h0 (2,6), got (5,5)",
       [=] {
         rnn_forward(kX, zeros({2, 6}), zeros({4, 6}), wh, zeros({6}));
       }},
      {"rnn: b", "rnn: ", "b must have shape (5), got (4)",
       [=] { rnn_forward(kX, kH, wx, wh, zeros({4})); }},
      {"rnn: dtypes", "rnn: ", "float64", [=] { rnn_forward(kX, kH, wx, wh.to(DType::f64), b); }},
      {"rnn backward: dh of other T", "rnn backward: ", "dh must have shape (2,3,5), got (2,4,5)",
       [=] {
         rnn_backward(zeros({2, 4, 5}), sequence);
       }},
      {"rnn_step backward: dnext_h", "rnn_step backward: ", "got (2,3,5)",
       [=] {
         rnn_step_backward(zeros({2, 3, 5}), step);
       }},
      {"rnn_step backward: a sequence's cache", "rnn_step backward: ", "3 steps",
       [=] { rnn_step_backward(kH, sequence); }},
      {"rnn tape op", "rnn: ", "got (6,6)",
       [=] {
         Tape tape;
         rnn(tape.constant(kX), tape.constant(kH), tape.constant(wx), tape.constant(zeros({6, 6})),
             tape.constant(b));
       }},
  };
}

std::vector<BadInput> lstm_cases() {
  const Sizes sizes;
  const Tensor kX = sizes.x, kXStep = sizes.x_step, kH = sizes.h;
  const Tensor wx = zeros({4, 20}), wh = zeros({5, 20}), b = zeros({20});
  const LstmCache sequence = lstm_forward(kX, kH, wx, wh, b).cache;
  const LstmCache step = lstm_step_forward(kXStep, kH, kH, wx, wh, b).cache;
  return {
      {"lstm: Wx with 3H columns", "lstm: ", "(D, 4H) = (4,20)",
       [=] {
         lstm_forward(kX, kH, zeros({4, 15}), wh, b);
       }},
      {"lstm: Wh of other H", "lstm: ", "wh must have shape (H, 4H) = (5,20)",
       [=] {
         lstm_forward(kX, kH, wx, zeros({4, 20}), b);
       }},
      {"lstm: b", "lstm: ", "got (5)", [=] { lstm_forward(kX, kH, wx, wh, zeros({5})); }},
      {"lstm_step: prev_c of other H", "lstm_step: ", "prev_c must have shape (2,5), got (2,4)",
       [=] {
         lstm_step_forward(kXStep, kH, zeros({2, 4}), wx, wh, b);
       }},
      {"lstm_step: no prev_c", "lstm_step: ", "undefined",
       [=] { lstm_step_forward(kXStep, kH, Tensor(), wx, wh, b); }},
      {"lstm backward: dh of other T", "lstm backward: ", "got (2,2,5)",
       [=] {
         lstm_backward(zeros({2, 2, 5}), sequence);
       }},
      {"lstm_step backward: dnext_c", "lstm_step backward: ", "dnext_c must have shape (2,5)",
       [=] {
         lstm_step_backward(kH, zeros({2, 6}), step);
       }},
      {"lstm_step backward: a sequence's cache", "lstm_step backward: ",
       "3 steps (from lstm_forward)", [=] { lstm_step_backward(kH, Tensor(), sequence); }},
      {"lstm_step tape op", "lstm_step: ", "got (2,4)",
       [=] {
         Tape tape;
         lstm_step(tape.constant(kXStep), tape.constant(kH), tape.constant(zeros({2, 4})),
                   tape.constant(wx), tape.constant(wh), tape.constant(b));
       }},
  };
}

std::vector<BadInput> gru_cases() {
  const Sizes sizes;
  const Tensor kX = sizes.x, kXStep = sizes.x_step, kH = sizes.h;
  const Tensor wx = zeros({4, 15}), wh = zeros({5, 15}), b = zeros({15});
  const GruCache sequence = gru_forward(kX, kH, wx, wh, b, b).cache;
  return {
      {"gru: Wx with 4H columns", "gru: ", "(D, 3H) = (4,15)",
       [=] {
         gru_forward(kX, kH, zeros({4, 20}), wh, b, b);
       }},
      {"gru: bh", "gru: ", "bh must have shape (15), got (5)",
       [=] { gru_forward(kX, kH, wx, wh, b, zeros({5})); }},
      {"gru_step: x with T", "gru_step: ", "got shape (2,3,4)",
       [=] { gru_step_forward(kX, kH, wx, wh, b, b); }},
      {"gru backward: dh of other T", "gru backward: ", "got (2,1,5)",
       [=] {
         gru_backward(zeros({2, 1, 5}), sequence);
       }},
      {"gru_step backward: a sequence's cache", "gru_step backward: ", "3 steps (from gru_forward)",
       [=] { gru_step_backward(kH, sequence); }},
  };
}

std::vector<BadInput> temporal_cases() {
  const Sizes sizes;
  const Tensor kX = sizes.x, kXStep = sizes.x_step, kH = sizes.h;
  const Tensor w = zeros({10, 4});
  const Indices words({1, 2, 3, 4, 5, 6}, {2, 3});
  const Mask mask = Mask::all({2, 3});
  const Tensor scores = zeros({2, 3, 10});
  return {
      {"word_embedding: x of rank 1", "word_embedding: ", "got shape (6)",
       [=] {
         word_embedding_forward(Indices({1, 2, 3, 4, 5, 6}), w);
       }},
      {"word_embedding: a word outside the vocabulary",
       "word_embedding: ", "x(1,1) is 10, outside the vocabulary [0, 10)",
       [=] {
         word_embedding_forward(Indices({1, 2, 3, 4, 10, 6}, {2, 3}), w);
       }},
      {"word_embedding: a negative word", "word_embedding: ", "x(0,0) is -1",
       [=] {
         word_embedding_forward(Indices({-1, 2, 3, 4, 5, 6}, {2, 3}), w);
       }},
      {"word_embedding: W of rank 1", "word_embedding: ", "got (10)",
       [=] { word_embedding_forward(words, zeros({10})); }},
      {"word_embedding tape op", "word_embedding: ", "outside the vocabulary [0, 5)",
       [=] {
         Tape tape;
         word_embedding(words, tape.constant(zeros({5, 4})));
       }},
      {"temporal_affine: x without T", "temporal_affine: ", "got shape (2,4)",
       [=] {
         temporal_affine_forward(kXStep, zeros({4, 6}), zeros({6}));
       }},
      {"temporal_affine: w of other D", "temporal_affine: ", "D = 4 rows",
       [=] {
         temporal_affine_forward(kX, zeros({5, 6}), zeros({6}));
       }},
      {"temporal_affine: b", "temporal_affine: ", "got (5)",
       [=] {
         temporal_affine_forward(kX, zeros({4, 6}), zeros({5}));
       }},
      {"temporal_affine backward: dout of other T",
       "temporal_affine backward: ", "dout must have shape (2,3,6), got (2,2,6)",
       [=] {
         temporal_affine_backward(zeros({2, 2, 6}),
                                  temporal_affine_forward(kX, zeros({4, 6}), zeros({6})).cache);
       }},
      {"temporal_softmax_loss: y of other T",
       "temporal_softmax_loss: ", "y must have shape (N, T) = (2,3) for x (2,3,10), got (2,2)",
       [=] {
         temporal_softmax_loss_kernel(scores, Indices({1, 2, 3, 4}, {2, 2}), Mask::all({2, 2}));
       }},
      {"temporal_softmax_loss: mask of another shape",
       "temporal_softmax_loss: ", "mask must have shape (N, T) = (2,3) for x (2,3,10), got (3,2)",
       [=] {
         temporal_softmax_loss_kernel(scores, words, Mask::all({3, 2}));
       }},
      {"temporal_softmax_loss: a word outside the vocabulary",
       "temporal_softmax_loss: ", "y(0,2) is 10, outside the vocabulary [0, 10)",
       [=] {
         temporal_softmax_loss_kernel(scores, Indices({1, 2, 10, 4, 5, 6}, {2, 3}), mask);
       }},
      {"temporal_softmax_loss: a masked word outside the vocabulary",
       "temporal_softmax_loss: ", "y(1,0) is -3",
       [=] {
         temporal_softmax_loss_kernel(scores, Indices({1, 2, 3, -3, 5, 6}, {2, 3}),
                                      Mask({true, true, true, false, true, true}, {2, 3}));
       }},
      {"temporal_softmax_loss: x without T", "temporal_softmax_loss: ", "got shape (2,10)",
       [=] {
         temporal_softmax_loss_kernel(zeros({2, 10}), words, mask);
       }},
      {"temporal_softmax_loss tape op", "temporal_softmax_loss: ", "got (3,2)",
       [=] {
         Tape tape;
         temporal_softmax_loss(tape.constant(scores), words, Mask::all({3, 2}));
       }},
      {"Mask: values for another shape", "Mask: ", "needs 6 values, got 5",
       [=] {
         Mask(std::vector<bool>(5, true), {2, 3});
       }},
  };
}

void check_cases(const std::vector<BadInput>& cases) {
  for (const BadInput& c : cases) {
    CAPTURE(c.what);
    bool thrown = false;
    try {
      c.call();
    } catch (const ArgumentError& e) {
      thrown = true;
      const std::string message = e.what();
      INFO("message: ", message);
      CHECK(message.rfind(c.prefix, 0) == 0);
      CHECK(message.find(c.mentions) != std::string::npos);
    }
    CHECK(thrown);
  }
}

}  // namespace

TEST_CASE("rnn rejects bad shapes naming the op, expected and actual") { check_cases(rnn_cases()); }

TEST_CASE("lstm rejects bad shapes naming the op, expected and actual") {
  check_cases(lstm_cases());
}

TEST_CASE("gru rejects bad shapes naming the op, expected and actual") { check_cases(gru_cases()); }

TEST_CASE("the temporal ops reject bad shapes, words and masks") { check_cases(temporal_cases()); }
