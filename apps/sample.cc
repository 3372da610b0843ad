// tools/sample: words made up by a trained character-level language model
// (tools/train --model charlm), one per line.
//   bazel run //tools:sample -- runs/<run>                  20 words
//   bazel run //tools:sample -- runs/<run> --words 50 --temperature 0.7 --seed 3
//   bazel run //tools:sample -- runs/<run>/model.tgm --prefix un
// Each word is drawn symbol by symbol from the model after a word boundary
// (and the prefix), until the model ends the word.
#include "apps/usage_error.h"
#include "apps/sample.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "apps/user_path.h"
#include "graph/errors.h"
#include "graph/rng.h"
#include "models/char_rnn.h"
#include "models/model_file.h"

namespace {

struct Flags {
  std::string model;  // a run folder or a model file
  std::int64_t words = 20;
  double temperature = 1.0;
  std::uint64_t seed = 0;
  std::string prefix;
  std::int64_t max_length = 40;  // symbols per word before it is cut off
};

// A word longer than this is no word: the bound keeps a typo (an extra zero)
// from drawing for hours.
constexpr std::int64_t kMaxWordLength = 10000;

int run(const Flags& flags) {
  std::string path = tg::from_user_folder(flags.model);
  if (std::filesystem::is_directory(path))
    path = (std::filesystem::path(path) / tg::kModelFile).string();
  const tg::LoadedModel loaded = tg::load_model(path);
  auto* model = dynamic_cast<tg::CharRNN*>(loaded.model.get());
  if (model == nullptr) {
    throw tg::ArgumentError(fmt::format(
        "{} holds a {}, not a CharRNN (train one with: bazel run //tools:train -- --model charlm)",
        path, loaded.model->type()));
  }
  tg::Rng rng(flags.seed);
  for (std::int64_t k = 0; k < flags.words; ++k) {
    const tg::CharRNN::Word word =
        model->sample_word(flags.prefix, flags.max_length, flags.temperature, rng);
    fmt::print("{}{}\n", word.text, word.complete ? "" : "...");
  }
  return 0;
}

}  // namespace

int tg::sample_main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"Prints words made up by a character-level language model (train --model charlm)."};
  app.add_option("model", flags.model, "Run folder, or its model.tgm")->required();
  app.add_option("--words", flags.words, "Words to print")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--temperature", flags.temperature,
                 "Softmax temperature: below 1 likelier words, above 1 stranger ones")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", flags.seed, "Seed of the draws")->capture_default_str();
  app.add_option("--prefix", flags.prefix, "Every word starts with this (UTF-8)");
  app.add_option("--max-length", flags.max_length, "Symbols drawn per word at most")
      ->check(CLI::Range(std::int64_t{1}, kMaxWordLength))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return usage_error(app, error, "sample");
  }
  try {
    return run(flags);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sample: {}\n", e.what());
    return 1;
  }
}
