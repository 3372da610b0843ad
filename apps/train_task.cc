#include "apps/train_task.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "apps/train_limits.h"
#include "data/cifar10.h"
#include "data/idx.h"
#include "data/preprocess.h"
#include "data/text.h"
#include "models/char_rnn.h"
#include "models/fully_connected_net.h"
#include "models/sequence_classifier.h"
#include "models/three_layer_convnet.h"

namespace tg {
namespace {

// Pixels to about [-0.5, 0.5] after the mean image is subtracted.
constexpr double kPixelScale = 1.0 / 255.0;

// The train / validation / test splits, preprocessed, after the limits that
// need the data's size are checked; the data as loaded is freed on return.
DataSplits load_splits(const TrainFlags& flags) {
  const TrainAndTest raw =
      flags.data == "cifar10" ? load_cifar10(flags.data_dir) : load_idx_folder(flags.data_dir);
  check_splits(flags, raw.train.size(), raw.test.size(), data_title(flags.data));
  check_memory(flags, estimate_memory(flags, raw.train.images.shape(), raw.train.num_classes),
               physical_memory_bytes());
  const std::int64_t train_images = training_images(flags, raw.train.size());
  check_iterations(flags, std::max<std::int64_t>(train_images / flags.batch_size, 1));
  PreprocessOptions pre;
  pre.num_validation = flags.num_val;
  pre.num_training = train_images;
  pre.num_test = flags.num_test > 0 ? flags.num_test : raw.test.size();
  pre.scale = kPixelScale;
  return preprocess(raw, pre);
}

std::shared_ptr<Module> make_model(const TrainFlags& flags, const Dataset& train) {
  const Shape& image = train.images.shape();
  const WeightInit kaiming{WeightInit::Kind::kaiming, 0.0};
  if (flags.model == "cnn") {
    ThreeLayerConvNetOptions o;
    o.input_dim = {image[1], image[2], image[3]};
    o.num_filters = flags.filters;
    o.filter_size = flags.filter_size;
    o.hidden_dim = flags.hidden;
    o.num_classes = train.num_classes;
    o.init = kaiming;
    o.reg = flags.reg;
    o.spatial_batchnorm = !flags.no_batchnorm;
    o.seed = flags.seed;
    return std::make_shared<ThreeLayerConvNet>(o);
  }
  if (flags.model == "lstm") {
    // An image (C, H, W) is read row by row: H steps of C * W features.
    SequenceClassifierOptions o;
    o.cell = CellKind::lstm;
    o.input_dim = image[1] * image[3];
    o.hidden_dim = flags.hidden;
    o.num_classes = train.num_classes;
    o.reg = flags.reg;
    o.seed = flags.seed;
    return std::make_shared<SequenceClassifier>(o);
  }
  FullyConnectedNetOptions o;
  o.hidden_dims = flags.hidden_dims;
  o.input_dim = image.numel_after_first();
  o.num_classes = train.num_classes;
  o.keep_prob = flags.keep_prob;
  o.normalization = flags.no_batchnorm ? Normalization::none : Normalization::batchnorm;
  o.init = kaiming;
  o.reg = flags.reg;
  o.seed = flags.seed;
  return std::make_shared<FullyConnectedNet>(o);
}

}  // namespace

std::string data_title(const std::string& data) {
  if (data == "fashion-mnist") return "Fashion-MNIST";
  if (data == "mnist") return "MNIST";
  return "CIFAR-10";
}

Task image_task(const TrainFlags& flags) {
  DataSplits splits = load_splits(flags);
  Task task;
  task.model = make_model(flags, splits.train);
  task.data_title = data_title(flags.data);
  task.sizes = fmt::format("{} train / {} val / {} test images", splits.train.size(),
                           splits.val.size(), splits.test.size());
  task.input = {flags.data, splits.mean_image, kPixelScale};
  task.data = {splits.train.images, splits.train.labels, splits.val.images, splits.val.labels};
  task.evaluate = [test = std::move(splits.test)](Solver& trainer) {
    const double test_acc = trainer.check_accuracy(test.images, test.labels);
    fmt::print("test accuracy {:.4f} (best validation accuracy {:.4f})\n", test_acc,
               trainer.best_val_acc());
    return Json{{"test_acc", test_acc}};
  };
  return task;
}

// --model charlm: the word list split into training and validation words
// (--num-train, --num-val; a seeded shuffle), each a row of symbols; the
// unigram and bigram baselines fitted on the training words and measured on
// the validation ones, as the model is.
Task charlm_task(const TrainFlags& flags) {
  std::vector<std::u32string> words = read_word_list(flags.word_list);
  const std::int64_t num_words = static_cast<std::int64_t>(words.size());
  const CharVocabulary vocabulary = CharVocabulary::of_words(words);
  const std::int64_t length = longest_word(words) + 2;
  Task task;
  task.data_title = fmt::format("the word list {}", flags.word_list);
  // No test split: --num-test is left unchecked (as many as there are).
  check_splits(flags, num_words, flags.num_test, task.data_title, "words");
  check_memory(flags, estimate_memory(flags, Shape{num_words, length}, vocabulary.size()),
               physical_memory_bytes());
  const std::int64_t num_train = training_images(flags, num_words);
  check_iterations(flags, std::max<std::int64_t>(num_train / flags.batch_size, 1));
  WordSplits split = split_words(std::move(words), flags.num_val, flags.seed);
  split.train.resize(static_cast<std::size_t>(num_train));
  const Tensor train = encode_words(split.train, vocabulary, length);
  const Tensor val = encode_words(split.val, vocabulary, length);
  const NgramBits baselines = ngram_bits_per_symbol(train, val, vocabulary.size());

  CharRnnOptions o;
  o.alphabet = vocabulary.alphabet();
  o.embed_dim = kCharEmbedding;
  o.hidden_dim = flags.hidden;
  o.reg = flags.reg;
  o.seed = flags.seed;
  auto model = std::make_shared<CharRNN>(o);
  CharRNN* language_model = model.get();
  task.model = std::move(model);
  task.sizes = fmt::format("{} train / {} val words, {} symbols", train.dim(0), val.dim(0),
                           vocabulary.size());
  task.input = {"words", Tensor(), 1.0};
  // The labels are unused: the targets are the next symbols of x.
  task.data = {train, Labels(static_cast<std::size_t>(train.dim(0)), 0), val,
               Labels(static_cast<std::size_t>(val.dim(0)), 0)};
  fmt::print(
      "baselines on the validation words: unigram {:.4f}, bigram {:.4f} bits per character "
      "({} characters and word ends)\n",
      baselines.unigram, baselines.bigram, baselines.symbols);
  task.evaluate = [language_model, val, baselines](Solver& trainer) {
    const double bits = language_model->bits_per_symbol(val);
    fmt::print(
        "validation: {:.4f} bits per character (unigram {:.4f}, bigram {:.4f}); next-character "
        "accuracy {:.4f}\n",
        bits, baselines.unigram, baselines.bigram, trainer.best_val_acc());
    return Json{{"val_bits_per_char", bits},
                {"unigram_bits_per_char", baselines.unigram},
                {"bigram_bits_per_char", baselines.bigram}};
  };
  return task;
}

}  // namespace tg
