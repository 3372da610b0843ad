#include "models/char_rnn.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "graph/checks.h"
#include "io/utf8.h"
#include "nn/linear.h"
#include "nn/recurrent_layer.h"
#include "ops/index/embedding.h"
#include "ops/layers/linear.h"
#include "ops/recurrent/lstm.h"
#include "ops/recurrent/temporal_affine.h"
#include "ops/recurrent/temporal_softmax_loss.h"
#include "ops/recurrent/word_embedding.h"

namespace tg {
namespace {

constexpr char kName[] = "CharRNN";

// A batch split into what the model reads and what it predicts.
struct NextSymbols {
  Indices inputs;   // (N, T): x[:, 0:T]
  Indices targets;  // (N, T): x[:, 1:T+1]
  Mask mask;        // (N, T): targets that are not padding
};

NextSymbols next_symbols(const Tensor& x) {
  const Indices all = word_indices(kName, x);
  const std::int64_t n = x.dim(0), length = x.dim(1);
  // T + 1: the longest row without its padding.
  std::int64_t used = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = length - 1; j >= used; --j) {
      if (all.values()[i * length + j] != CharRNN::kPad) {
        used = j + 1;
        break;
      }
    }
  }
  if (used < 2) {
    fail(kName, "x {} holds no symbol to predict: every row is padding after its first symbol",
         shape_str(x));
  }
  const std::int64_t steps = used - 1;
  std::vector<std::int64_t> inputs, targets;
  std::vector<bool> mask;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t* row = all.values().data() + i * length;
    inputs.insert(inputs.end(), row, row + steps);
    targets.insert(targets.end(), row + 1, row + steps + 1);
    for (std::int64_t j = 1; j <= steps; ++j) mask.push_back(row[j] != CharRNN::kPad);
  }
  const Shape shape{n, steps};
  return {Indices(std::move(inputs), shape), Indices(std::move(targets), shape),
          Mask(std::move(mask), shape)};
}

void check_options(const CharRnnOptions& o) {
  if (o.alphabet.empty()) fail(kName, "the alphabet is empty");
  if (o.embed_dim < 1) fail(kName, "embed_dim must be positive, got {}", o.embed_dim);
  if (o.hidden_dim < 1) fail(kName, "hidden_dim must be positive, got {}", o.hidden_dim);
}

}  // namespace

CharRNN::CharRNN(const CharRnnOptions& options) : options_(options) {
  check_options(options_);
  for (std::size_t k = 0; k < options_.alphabet.size(); ++k) {
    if (!index_.emplace(options_.alphabet[k], static_cast<std::int64_t>(k) + 2).second) {
      fail(kName, "the alphabet has '{}' twice", encode_utf8(options_.alphabet.substr(k, 1)));
    }
  }
  set_reg(options_.reg);
  Rng rng(options_.seed);  // W_embed, the LSTM's weights, W_vocab in turn
  const DType t = options_.dtype;
  const std::int64_t v = vocab_size(), d = options_.embed_dim, h = options_.hidden_dim;
  w_embed_ = register_module("embed", std::make_shared<Embedding>(v, d, t, rng))->weight();
  cell_ = register_module("lstm", std::make_shared<LSTM>(d, h, t, rng))->weights();
  LinearOptions vocab;
  vocab.last_axis = true;
  vocab.init = {WeightInit::Kind::normal, 1.0 / std::sqrt(static_cast<double>(h))};
  vocab.dtype = t;
  const auto projection = register_module("vocab", std::make_shared<Linear>(h, v, vocab, rng));
  w_vocab_ = projection->weight();
  b_vocab_ = projection->bias();
}

std::shared_ptr<CharRNN> CharRNN::from_config(const ModelConfig& config) {
  CharRnnOptions o;
  for (const std::int64_t c : config.get_ints("alphabet")) {
    if (c < 0 || c > 0x10FFFF) fail("config", "'alphabet' holds {}, not a Unicode code point", c);
    o.alphabet.push_back(static_cast<char32_t>(c));
  }
  o.embed_dim = config.get_int("embed_dim");
  o.hidden_dim = config.get_int("hidden_dim");
  o.reg = config.get_real("reg");
  o.dtype = config.get_dtype("dtype");
  return std::make_shared<CharRNN>(o);
}

ModelConfig CharRNN::config() const {
  ModelConfig config;
  config
      .set_ints("alphabet",
                std::vector<std::int64_t>(options_.alphabet.begin(), options_.alphabet.end()))
      .set_int("embed_dim", options_.embed_dim)
      .set_int("hidden_dim", options_.hidden_dim)
      .set_real("reg", reg())
      .set_dtype("dtype", options_.dtype);
  return config;
}

Var CharRNN::forward(const Var& x) {
  const NextSymbols batch = next_symbols(x.value());
  const Var embedded = word_embedding(batch.inputs, x.tape().param(w_embed_));
  const Var h0 = x.tape().constant(Tensor::zeros({x.shape()[0], options_.hidden_dim}, dtype()));
  return temporal_affine(recurrent_layer(CellKind::lstm, embedded, h0, cell_), w_vocab_, b_vocab_);
}

Var CharRNN::data_loss(const Var& scores, const Tensor& x, const Labels&) {
  const NextSymbols batch = next_symbols(x);
  return temporal_softmax_loss(scores, batch.targets, batch.mask);
}

Module::Predictions CharRNN::count_correct(const Tensor& scores, const Tensor& x,
                                           const Labels&) const {
  const NextSymbols batch = next_symbols(x);
  check_shape(kName, "scores", scores,
              {batch.targets.shape()[0], batch.targets.shape()[1], vocab_size()});
  Predictions predictions;
  const std::int64_t v = vocab_size();
  dispatch(scores.dtype(), [&](auto zero) {
    using T = decltype(zero);
    for (std::size_t p = 0; p < batch.targets.values().size(); ++p) {
      if (!batch.mask.values()[p]) continue;
      const T* row = scores.data<T>() + static_cast<std::int64_t>(p) * v;
      const auto best = std::max_element(row, row + v) - row;
      predictions.correct += best == batch.targets.values()[p];
      ++predictions.total;
    }
  });
  return predictions;
}

double CharRNN::bits_per_symbol(const Tensor& sequences, std::int64_t batch_size) {
  check_rank(kName, "sequences (N, L)", sequences, 2);
  if (batch_size < 1) fail(kName, "batch_size must be positive, got {}", batch_size);
  double nats = 0;
  std::int64_t predicted = 0;
  for (std::int64_t begin = 0; begin < sequences.dim(0); begin += batch_size) {
    std::vector<std::int64_t> rows(
        static_cast<std::size_t>(std::min(batch_size, sequences.dim(0) - begin)));
    std::iota(rows.begin(), rows.end(), begin);
    const Tensor x = take_rows(sequences, rows);
    const NextSymbols batch = next_symbols(x);
    // The loss is the sum over the predicted steps divided by N.
    nats += temporal_softmax_loss_kernel(scores(x), batch.targets, batch.mask).loss *
            static_cast<double>(rows.size());
    predicted += batch.mask.count();
  }
  return nats / static_cast<double>(predicted) / std::log(2.0);
}

std::string CharRNN::sample(const std::string& seed_text, std::int64_t length, double temperature,
                            Rng& rng) {
  return draw(seed_text, length, temperature, rng, /*stop_at_boundary=*/false).text;
}

CharRNN::Word CharRNN::sample_word(const std::string& seed_text, std::int64_t max_length,
                                   double temperature, Rng& rng) {
  return draw(seed_text, max_length, temperature, rng, /*stop_at_boundary=*/true);
}

CharRNN::Word CharRNN::draw(const std::string& seed_text, std::int64_t length, double temperature,
                            Rng& rng, bool stop_at_boundary) {
  if (length < 0) fail(kName, "sample: length must be >= 0, got {}", length);
  if (!(temperature > 0) || !std::isfinite(temperature)) {
    fail(kName, "sample: temperature must be a finite number > 0, got {}", temperature);
  }
  std::vector<std::int64_t> seed = {kBoundary};
  for (const char32_t c : decode_utf8(seed_text)) {
    const auto found = index_.find(c);
    if (found == index_.end()) {
      fail(kName, "sample: seed_text has '{}' (U+{:04X}), which is not in the alphabet",
           encode_utf8(std::u32string(1, c)), static_cast<std::uint32_t>(c));
    }
    seed.push_back(found->second);
  }
  const DType t = dtype();
  const std::int64_t v = vocab_size();
  Tensor h = Tensor::zeros({1, options_.hidden_dim}, t);
  Tensor c = Tensor::zeros({1, options_.hidden_dim}, t);
  const auto step = [&](std::int64_t symbol) {
    const Tensor x = embedding_forward(Indices({symbol}), w_embed_.value());
    LstmStepForward next =
        lstm_step_forward(x, h, c, cell_[0].value(), cell_[1].value(), cell_[2].value());
    h = next.next_h;
    c = next.next_c;
  };
  for (std::int64_t symbol : seed) step(symbol);
  std::u32string text;
  std::vector<double> weights(static_cast<std::size_t>(v));
  for (std::int64_t k = 0; k < length; ++k) {
    const std::vector<double> s =
        linear_forward(h, w_vocab_.value(), b_vocab_.value()).out.to_vector();
    const double max = *std::max_element(s.begin() + 1, s.end());
    double total = 0;
    weights[kPad] = 0;  // never drawn
    for (std::int64_t j = 1; j < v; ++j) total += weights[j] = std::exp((s[j] - max) / temperature);
    double u = rng.uniform() * total;
    std::int64_t drawn = v - 1;
    for (std::int64_t j = 1; j < v; ++j) {
      if (u < weights[j]) {
        drawn = j;
        break;
      }
      u -= weights[j];
    }
    if (drawn == kBoundary && stop_at_boundary) return {seed_text + encode_utf8(text), true};
    text.push_back(drawn == kBoundary ? U'\n' : options_.alphabet[drawn - 2]);
    step(drawn);
  }
  return {seed_text + encode_utf8(text), !stop_at_boundary};
}

}  // namespace tg
