// The recurrent models (SequenceClassifier, CharRNN) and their data: UTF-8,
// the word list, the character vocabulary, padded sequences, the n-gram
// baselines; every parameter's gradient checked numerically in float64; the
// models learn small tasks through the Solver.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "data/text.h"
#include "graph/errors.h"
#include "graph/gradcheck.h"
#include "graph/rng.h"
#include "io/utf8.h"
#include "models/char_rnn.h"
#include "models/model_file.h"
#include "models/sequence_classifier.h"
#include "solver/solver.h"
#include "tests/support/test_folder.h"

using namespace tg;

namespace {

// Every parameter's analytic gradient against the numerical gradient of
// model.loss(x, y), the seed's way.
void require_model_gradients(Module& model, const Tensor& x, const Labels& y) {
  model.zero_grad();
  model.loss(x, y);
  std::vector<Tensor> analytic;
  for (const Parameter& p : model.parameters()) analytic.push_back(p.grad().clone());
  for (std::size_t i = 0; i < model.parameters().size(); ++i) {
    const Parameter p = model.parameters()[i];  // a handle: parameters() is a new list
    const Tensor numeric =
        eval_numerical_gradient([&](const Tensor&) { return model.loss(x, y); }, p.value());
    const double error = rel_error(analytic[i], numeric);
    INFO(model.type(), " d", p.name(), " relative error ", error);
    CHECK(error < 1e-7);
  }
}

// Sequences (rows, length) of symbols. (Flat values: GCC 12.2 at -O3
// -march=native miscompiles two calls with nested braced lists of vectors in
// one function, SLP-vectorising the second list's last row wrongly.)
Tensor rows(std::int64_t count, std::int64_t length, const std::vector<double>& values,
            DType dtype = DType::f32) {
  return Tensor::from_values({count, length}, values, dtype);
}

std::string write_file(const std::string& name, const std::string& contents) {
  const std::string path = testing::fresh_test_folder("sequence_models_" + name) + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

}  // namespace

TEST_CASE("UTF-8 decodes and encodes code points; bad bytes are named by offset") {
  const std::u32string decoded = decode_utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  CHECK(decoded == U"a\u00e9\u20ac\U0001F600");
  CHECK(encode_utf8(decoded) == "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  CHECK_THROWS_WITH_AS(decode_utf8("ab\xC3"), "utf8: truncated sequence at byte offset 2",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(decode_utf8("a\xC0\xAF"), "utf8: overlong encoding at byte offset 1",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(decode_utf8("\xFF"), doctest::Contains("invalid lead byte 0xff"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(decode_utf8("\xED\xA0\x80"), doctest::Contains("U+D800"), ArgumentError);
}

TEST_CASE("read_word_list: one word per line, UTF-8; errors name the file and line") {
  const std::string path = write_file("words.txt", "cat\r\n\n\xC3\xA9lan\nAngstr\xC3\xB6m's\n");
  const std::vector<std::u32string> words = read_word_list(path);
  REQUIRE(words.size() == 3);
  CHECK(words[0] == U"cat");
  CHECK(words[1] == U"\u00e9lan");
  CHECK(words[2] == U"Angstr\u00f6m's");
  const std::string bad = write_file("bad.txt", "ok\nfine\nba\xC3");
  CHECK_THROWS_WITH_AS(read_word_list(bad), doctest::Contains("line 3: utf8: truncated"),
                       FileError);
  CHECK_THROWS_WITH_AS(read_word_list(bad), doctest::Contains(bad.c_str()), FileError);
  CHECK_THROWS_WITH_AS(read_word_list(write_file("empty.txt", "\n\n")),
                       doctest::Contains("no words"), FileError);
  CHECK_THROWS_AS(read_word_list("/nonexistent/words"), FileError);
}

TEST_CASE("split_words, CharVocabulary and encode_words") {
  std::vector<std::u32string> words = {U"b", U"ab", U"ca", U"abc", U"a"};
  const WordSplits split = split_words(words, 2, 7);
  CHECK(split_words(words, 2, 7).val == split.val);  // seeded
  CHECK(split.train.size() == 3);
  CHECK(split.val.size() == 2);
  std::vector<std::u32string> together = split.train;
  together.insert(together.end(), split.val.begin(), split.val.end());
  std::sort(together.begin(), together.end());
  std::sort(words.begin(), words.end());
  CHECK(together == words);
  CHECK_THROWS_AS(split_words(words, 5, 7), ArgumentError);

  const CharVocabulary vocabulary = CharVocabulary::of_words(words);
  CHECK(vocabulary.alphabet() == U"abc");
  CHECK(vocabulary.size() == 5);
  CHECK(vocabulary.index(U'a') == 2);
  CHECK_THROWS_WITH_AS(vocabulary.index(U'z'), doctest::Contains("'z' (U+007A)"), ArgumentError);
  CHECK_THROWS_AS(CharVocabulary(U"aba"), ArgumentError);

  const Tensor x = encode_words({U"ab", U"c"}, vocabulary, 5);
  CHECK(x.to_vector() == std::vector<double>{1, 2, 3, 1, 0, 1, 4, 1, 0, 0});
  CHECK(longest_word(words) == 3);
  CHECK_THROWS_WITH_AS(encode_words({U"abc"}, vocabulary, 4), doctest::Contains("length 4"),
                       ArgumentError);
}

TEST_CASE("ngram_bits_per_symbol: add-one unigram and bigram, by hand") {
  // Symbols: 0 pad, 1 boundary, 2 'a', 3 'b' (V = 4, three outcomes).
  const Tensor train = rows(2, 4, {1, 2, 2, 1, 1, 2, 3, 1});
  const Tensor eval = rows(1, 4, {1, 3, 1, 0});
  // Training predictions: a a B | a b B; unigram counts a 3, b 1, B 2 (6).
  // Bigram contexts: B -> a (2); a -> a, B, b (3); b -> B (1).
  const NgramBits bits = ngram_bits_per_symbol(train, eval, 4);
  CHECK(bits.symbols == 2);
  const double unigram = -(std::log2((1.0 + 1) / 9) + std::log2((2.0 + 1) / 9)) / 2;
  const double bigram = -(std::log2((0.0 + 1) / 5) + std::log2((1.0 + 1) / 4)) / 2;
  CHECK(bits.unigram == doctest::Approx(unigram).epsilon(1e-12));
  CHECK(bits.bigram == doctest::Approx(bigram).epsilon(1e-12));
  CHECK_THROWS_AS(ngram_bits_per_symbol(train, rows(1, 2, {1, 7}), 4), ArgumentError);
}

TEST_CASE("SequenceClassifier: every parameter's gradient for rnn, lstm and gru (float64)") {
  Rng rng(1);
  for (CellKind cell : {CellKind::rnn, CellKind::lstm, CellKind::gru}) {
    CAPTURE(std::string(name_of(cell)));
    SequenceClassifierOptions o;
    o.cell = cell;
    o.input_dim = 3;
    o.hidden_dim = 4;
    o.num_classes = 3;
    o.reg = 0.1;
    o.dtype = DType::f64;
    o.seed = 2;
    SequenceClassifier images(o);  // (N, 1, T, D) images read row by row
    require_model_gradients(images, Tensor::randn({2, 1, 5, 3}, rng, DType::f64), {0, 2});
    o.vocab_size = 6;  // word indices (N, T)
    SequenceClassifier words(o);
    require_model_gradients(words, rows(3, 4, {0, 5, 2, 2, 3, 1, 4, 0, 1, 1, 1, 1}, DType::f64),
                            {1, 0, 2});
    CHECK(words.parameters()[0].name() == "embed.weight");
  }
}

TEST_CASE("SequenceClassifier rejects inputs of the wrong size and non-word values") {
  SequenceClassifierOptions o;
  o.input_dim = 4;
  SequenceClassifier net(o);
  CHECK_THROWS_WITH_AS(net.scores(Tensor::zeros({2, 1, 3, 3})),
                       doctest::Contains("9 is not a multiple of 4"), ArgumentError);
  o.vocab_size = 5;
  SequenceClassifier words(o);
  CHECK_THROWS_WITH_AS(words.scores(rows(1, 2, {1, 2.5})), doctest::Contains("x(0,1) is 2.5"),
                       ArgumentError);
  CHECK_THROWS_WITH_AS(words.scores(rows(1, 2, {1, 5})),
                       doctest::Contains("word_embedding: x(0,1) is 5, outside the vocabulary"),
                       ArgumentError);
}

TEST_CASE("SequenceClassifier learns which half of a sequence holds a pulse (Solver)") {
  // Class 0: a pulse in the first half of 8 steps; class 1: in the second.
  Rng rng(3);
  const std::int64_t n = 256, t = 8;
  Tensor x = Tensor::randn({n, t, 1}, rng, DType::f32, 0, 0.1);
  Labels y(n);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto step = static_cast<std::int64_t>(rng.below(t));
    x.at<float>(i, step, 0) += 3;
    y[i] = step < t / 2 ? 0 : 1;
  }
  SequenceClassifierOptions o;
  o.input_dim = 1;
  o.hidden_dim = 16;
  o.num_classes = 2;
  SequenceClassifier net(o);
  SolverOptions so;
  so.update_rule = "adam";
  so.optim_config.learning_rate = 1e-2;
  so.num_epochs = 8;
  so.batch_size = 32;
  so.verbose = false;
  Solver solver(net, {x, y, x, y}, so);
  solver.train();
  CHECK(solver.check_accuracy(x, y) > 0.95);
}

TEST_CASE("CharRNN: every parameter's gradient; padding past the longest row changes nothing") {
  CharRnnOptions o;
  o.alphabet = U"ab";
  o.embed_dim = 3;
  o.hidden_dim = 4;
  o.reg = 0.05;
  o.dtype = DType::f64;
  o.seed = 9;
  CharRNN model(o);
  // Weights of order 1, so that the gradients stand well above the rounding
  // noise of the numerical ones (about 1e-11 here).
  Rng rng(109);
  for (const Parameter& p : model.parameters()) {
    p.value().copy_(Tensor::randn(p.value().shape(), rng, DType::f64, 0, 0.5));
  }
  // "ab", "b", "" as sequences; a row of padding only after its boundary.
  const Tensor x = rows(3, 6, {1, 2, 3, 1, 0, 0, 1, 3, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0}, DType::f64);
  const Tensor trimmed = rows(3, 4, {1, 2, 3, 1, 1, 3, 1, 0, 1, 1, 0, 0}, DType::f64);
  require_model_gradients(model, x, {0, 0, 0});
  const double loss_x = model.loss(x, {0, 0, 0});
  const double loss_trimmed = model.loss(trimmed, {0, 0, 0});
  CHECK(loss_x == loss_trimmed);
  CHECK(model.scores(x).shape() == Shape{3, 3, 4});
  CHECK_THROWS_WITH_AS(model.scores(rows(1, 3, {1, 0, 0}, DType::f64)),
                       doctest::Contains("no symbol to predict"), ArgumentError);
  CHECK_THROWS_WITH_AS(model.scores(rows(1, 3, {1, 9, 2}, DType::f64)),
                       doctest::Contains("word_embedding: x(0,1) is 9"), ArgumentError);
}

TEST_CASE("CharRNN: bits per symbol is the masked loss in bits; accuracy counts predicted steps") {
  CharRnnOptions o;
  o.alphabet = U"abc";
  o.embed_dim = 4;
  o.hidden_dim = 5;
  o.seed = 5;
  CharRNN model(o);
  const Tensor x = rows(2, 5, {1, 2, 3, 4, 1, 1, 4, 1, 0, 0});  // 4 + 2 predicted symbols
  const double loss = model.loss(x, {0, 0});
  CHECK(model.bits_per_symbol(x, 1) == doctest::Approx(loss * 2 / 6 / std::log(2.0)).epsilon(1e-6));
  const Module::Predictions counted = model.count_correct(model.scores(x), x, {0, 0});
  CHECK(counted.total == 6);
  CHECK(counted.correct >= 0);
  CHECK(counted.correct <= 6);
}

TEST_CASE("CharRNN learns a small word list through the Solver and samples its words") {
  const std::vector<std::u32string> words = {U"cat", U"car", U"cab", U"can", U"cap", U"tab",
                                             U"tan", U"tap", U"bat", U"ban", U"bar", U"nap"};
  const CharVocabulary vocabulary = CharVocabulary::of_words(words);
  const Tensor x = encode_words(words, vocabulary, longest_word(words) + 2);
  const Labels unused(words.size(), 0);
  CharRnnOptions o;
  o.alphabet = vocabulary.alphabet();
  o.embed_dim = 8;
  o.hidden_dim = 32;
  CharRNN model(o);
  const double before = model.bits_per_symbol(x);
  const NgramBits baselines = ngram_bits_per_symbol(x, x, vocabulary.size());
  SolverOptions so;
  so.update_rule = "adam";
  so.optim_config.learning_rate = 2e-2;
  so.num_epochs = 150;
  so.batch_size = 12;
  so.verbose = false;
  Solver solver(model, {x, unused, x, unused}, so);
  solver.train();
  const double after = model.bits_per_symbol(x);
  INFO("bits per symbol before ", before, ", after ", after, "; bigram ", baselines.bigram);
  CHECK(after < baselines.bigram);
  CHECK(solver.check_accuracy(x, unused) > 0.5);  // next-symbol accuracy

  Rng rng(6);
  const std::string text = model.sample("ca", 40, 0.5, rng);
  CHECK(text.rfind("ca", 0) == 0);
  CHECK(text.size() == 42);
  for (char c : text) CHECK(std::string("abcnprt\n").find(c) != std::string::npos);
  Rng again(6);
  CHECK(model.sample("ca", 40, 0.5, again) == text);  // seeded
  CHECK_THROWS_WITH_AS(model.sample("cz", 5, 1.0, rng),
                       doctest::Contains("'z' (U+007A), which is not in the alphabet"),
                       ArgumentError);
  CHECK_THROWS_AS(model.sample("", 5, 0.0, rng), ArgumentError);
}

TEST_CASE("SequenceClassifier and CharRNN round-trip through model files") {
  const std::string folder = testing::fresh_test_folder("sequence_models_files");
  Rng rng(7);
  SequenceClassifierOptions o;
  o.cell = CellKind::gru;
  o.input_dim = 3;
  o.hidden_dim = 5;
  o.num_classes = 4;
  o.vocab_size = 7;
  o.seed = 8;
  SequenceClassifier net(o);
  save_model(net, folder + "/classifier.tgm");
  const LoadedModel loaded = load_model(folder + "/classifier.tgm");
  REQUIRE(loaded.model->type() == "SequenceClassifier");
  const Tensor words = rows(2, 3, {1, 6, 0, 2, 2, 5});
  CHECK(loaded.model->scores(words).to_vector() == net.scores(words).to_vector());
  CHECK(dynamic_cast<SequenceClassifier&>(*loaded.model).options().cell == CellKind::gru);

  CharRnnOptions c;
  c.alphabet = U"a\u00e9z";
  c.embed_dim = 4;
  c.hidden_dim = 6;
  CharRNN model(c);
  save_model(model, folder + "/charlm.tgm");
  const LoadedModel lm = load_model(folder + "/charlm.tgm");
  auto& loaded_lm = dynamic_cast<CharRNN&>(*lm.model);
  CHECK(loaded_lm.options().alphabet == c.alphabet);
  Rng a(9), b(9);
  CHECK(loaded_lm.sample("\u00e9", 20, 1.0, a) == model.sample("\u00e9", 20, 1.0, b));
}
