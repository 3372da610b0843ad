// Model files: save -> load -> the same scores bit for bit, for both shipped
// models with and without batch norm and dropout, in float32 and float64; a
// model of one's own; and every kind of bad file refused with the file named.
#include "models/model_file.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "data/image_file.h"
#include "data/preprocess.h"
#include "graph/errors.h"
#include "graph/rng.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "models/fully_connected_net.h"
#include "models/three_layer_convnet.h"
#include "ops/layers/linear.h"
#include "ops/layers/relu.h"
#include "optim/update_rules.h"
#include "tests/support/test_folder.h"

using namespace tg;

namespace {

Labels random_labels(std::int64_t n, std::int64_t classes, Rng& rng) {
  Labels y(static_cast<std::size_t>(n));
  for (auto& label : y) label = static_cast<std::int32_t>(rng.below(classes));
  return y;
}

// A few Adam steps, so that parameters and running statistics are neither
// their initial values nor each other's.
void train_a_little(Module& model, const Tensor& x, std::int64_t classes) {
  Rng rng(3);
  const Labels y = random_labels(x.dim(0), classes, rng);
  Adam adam(1e-2);
  for (int step = 0; step < 3; ++step) {
    model.zero_grad();
    model.loss(x, y);
    adam.step(model.parameters());
  }
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.bytes()) == 0;
}

InputSpec sample_input(const Shape& image) {
  Rng rng(4);
  InputSpec input;
  input.data_set = "fashion-mnist";
  input.mean_image = Tensor::uniform(image, rng, 0, 255);
  input.scale = 1.0 / 255.0;
  return input;
}

// Saves the model, loads it twice (load_model, and load_model_into a fresh
// copy from `make`), and checks scores, parameters, buffers and the input.
template <class Make>
void check_round_trip(const std::string& path, Module& model, Make make, const Tensor& x,
                      std::int64_t classes) {
  train_a_little(model, x, classes);
  const Tensor expected = model.scores(x);
  const InputSpec input = sample_input({x.dim(1), x.dim(2), x.dim(3)});
  save_model(model, path, input);

  const LoadedModel loaded = load_model(path);
  REQUIRE(loaded.model != nullptr);
  CHECK(loaded.model->type() == model.type());
  CHECK(loaded.model->mode() == Mode::test);
  CHECK(same_bits(loaded.model->scores(x), expected));
  REQUIRE(loaded.model->parameters().size() == model.parameters().size());
  for (std::size_t i = 0; i < model.parameters().size(); ++i) {
    CHECK(same_bits(loaded.model->parameters()[i].value(), model.parameters()[i].value()));
  }
  REQUIRE(loaded.model->buffers().size() == model.buffers().size());
  for (std::size_t i = 0; i < model.buffers().size(); ++i) {
    CHECK(same_bits(*loaded.model->buffers()[i].tensor, *model.buffers()[i].tensor));
  }
  CHECK(loaded.model->config().values() == model.config().values());
  CHECK(loaded.input.data_set == "fashion-mnist");
  CHECK(same_bits(loaded.input.mean_image, input.mean_image));
  CHECK(loaded.input.scale == input.scale);

  auto fresh = make();
  const InputSpec into = load_model_into(*fresh, path);
  CHECK(same_bits(fresh->scores(x), expected));
  CHECK(into.scale == input.scale);
}

}  // namespace

TEST_CASE("FullyConnectedNet: save, load, the same scores bit for bit") {
  const std::string folder = testing::fresh_test_folder("model_file_fc");
  for (DType dtype : {DType::f32, DType::f64}) {
    for (Normalization normalization :
         {Normalization::none, Normalization::batchnorm, Normalization::layernorm}) {
      for (double keep_prob : {1.0, 0.6}) {
        CAPTURE(name_of(dtype));
        CAPTURE(static_cast<int>(normalization));
        CAPTURE(keep_prob);
        FullyConnectedNetOptions o;
        o.hidden_dims = {12, 7};
        o.input_dim = 2 * 3 * 3;
        o.num_classes = 5;
        o.keep_prob = keep_prob;
        o.normalization = normalization;
        o.reg = 0.25;
        o.dtype = dtype;
        o.seed = 9;
        FullyConnectedNet net(o);
        Rng rng(5);
        const Tensor x = Tensor::randn({6, 2, 3, 3}, rng, dtype, 1.0, 2.0);
        o.seed = 123;  // other initial weights: load must replace them all
        check_round_trip(
            folder + "/fc.tgm", net, [&] { return std::make_unique<FullyConnectedNet>(o); }, x, 5);
      }
    }
  }
}

TEST_CASE("ThreeLayerConvNet: save, load, the same scores bit for bit") {
  const std::string folder = testing::fresh_test_folder("model_file_cnn");
  for (DType dtype : {DType::f32, DType::f64}) {
    for (bool batchnorm : {false, true}) {
      CAPTURE(name_of(dtype));
      CAPTURE(batchnorm);
      ThreeLayerConvNetOptions o;
      o.input_dim = {2, 6, 8};
      o.num_filters = 4;
      o.filter_size = 3;
      o.hidden_dim = 9;
      o.num_classes = 3;
      o.spatial_batchnorm = batchnorm;
      o.init.weight_scale = 0.1;
      o.dtype = dtype;
      ThreeLayerConvNet net(o);
      Rng rng(6);
      const Tensor x = Tensor::randn({5, 2, 6, 8}, rng, dtype);
      o.seed = 77;
      check_round_trip(
          folder + "/cnn.tgm", net, [&] { return std::make_unique<ThreeLayerConvNet>(o); }, x, 3);
    }
  }
}

TEST_CASE("A model file without preprocessing, and the InputSpec checks") {
  FullyConnectedNetOptions o;
  o.hidden_dims = {3};
  o.input_dim = 4;
  FullyConnectedNet net(o);
  const LoadedModel loaded = parse_model("plain.tgm", model_file_bytes(net));
  CHECK_FALSE(loaded.input.mean_image.defined());
  CHECK(loaded.input.scale == 1.0);
  CHECK(loaded.input.data_set.empty());

  InputSpec bad;
  bad.scale = 0;
  CHECK_THROWS_WITH_AS(model_file_bytes(net, bad),
                       "save_model: the input scale must be finite and non-zero, got 0",
                       ArgumentError);
  bad.scale = 1;
  bad.mean_image = Tensor::zeros({4});
  CHECK_THROWS_WITH_AS(model_file_bytes(net, bad),
                       "save_model: the mean image must be float32 (C, H, W), got float32 (4)",
                       ArgumentError);
}

namespace {

// A model of one's own, with a configuration and a factory.
class TinyNet : public Module {
 public:
  explicit TinyNet(std::int64_t hidden) : hidden_(hidden) {
    Rng rng(static_cast<std::uint64_t>(hidden));
    w1_ = register_parameter("W1", Tensor::randn({4, hidden}, rng), true);
    b1_ = register_parameter("b1", Tensor::zeros({hidden}));
    w2_ = register_parameter("W2", Tensor::randn({hidden, 3}, rng), true);
    b2_ = register_parameter("b2", Tensor::zeros({3}));
  }
  Var forward(const Var& x) override { return linear(relu(linear(x, w1_, b1_)), w2_, b2_); }
  std::string type() const override { return "TinyNet"; }
  ModelConfig config() const override {
    ModelConfig config;
    config.set_int("hidden", hidden_);
    return config;
  }

 private:
  std::int64_t hidden_;
  Parameter w1_, b1_, w2_, b2_;
};

}  // namespace

TEST_CASE("A model of one's own: load_model_into always, load_model once registered") {
  TinyNet net(6);
  Rng rng(8);
  const Tensor x = Tensor::randn({5, 4}, rng);
  train_a_little(net, x, 3);
  const std::string bytes = model_file_bytes(net);

  TinyNet other(6);
  parse_model_into(other, "tiny.tgm", bytes);
  CHECK(same_bits(other.scores(x), net.scores(x)));

  CHECK_THROWS_WITH_AS(parse_model("tiny.tgm", bytes),
                       doctest::Contains("tiny.tgm: build_module: no factory for a module of type "
                                         "'TinyNet' (known: AvgPool2d, BatchNorm1d"),
                       FileError);
  CHECK_THROWS_WITH_AS(parse_model("tiny.tgm", bytes),
                       doctest::Contains("call tg::register_module_type"), FileError);
  register_module_type("TinyNet", [](const ModelConfig& c) {
    return std::make_shared<TinyNet>(c.get_int("hidden"));
  });
  const LoadedModel loaded = parse_model("tiny.tgm", bytes);
  CHECK(same_bits(loaded.model->scores(x), net.scores(x)));
  const std::vector<std::string> names = registered_module_types();
  CHECK(std::find(names.begin(), names.end(), "TinyNet") != names.end());
  CHECK(std::find(names.begin(), names.end(), "ThreeLayerConvNet") != names.end());

  CHECK_THROWS_WITH_AS(register_module_type("", [](const ModelConfig&) { return nullptr; }),
                       "register_module_type: the type's name is empty", ArgumentError);
}

TEST_CASE("A model file of another model or size is refused, the model left as it was") {
  FullyConnectedNetOptions fc;
  fc.hidden_dims = {5};
  fc.input_dim = 8;
  const std::string fc_bytes = model_file_bytes(FullyConnectedNet(fc));

  ThreeLayerConvNetOptions cnn;
  cnn.input_dim = {1, 4, 4};
  cnn.filter_size = 3;
  cnn.num_filters = 2;
  ThreeLayerConvNet conv(cnn);
  const std::vector<double> w1 = conv.parameter("conv1.weight").value().to_vector();
  CHECK_THROWS_WITH_AS(parse_model_into(conv, "fc.tgm", fc_bytes),
                       "fc.tgm: a model file of FullyConnectedNet, not of ThreeLayerConvNet",
                       FileError);

  cnn.num_filters = 3;
  const std::string wider = model_file_bytes(ThreeLayerConvNet(cnn));
  CHECK_THROWS_WITH_AS(
      parse_model_into(conv, "wider.tgm", wider),
      doctest::Contains("wider.tgm: its tensors do not match the ThreeLayerConvNet model: "
                        "different: conv1.weight (float32 (3,1,3,3) in the file, float32 "
                        "(2,1,3,3) in the model); conv1.bias (float32 (3) in the file"),
      FileError);
  cnn.num_filters = 2;
  cnn.spatial_batchnorm = true;
  CHECK_THROWS_WITH_AS(parse_model_into(conv, "bn.tgm", model_file_bytes(ThreeLayerConvNet(cnn))),
                       "bn.tgm: its tensors do not match the ThreeLayerConvNet model: not in the "
                       "model: bn1.beta, bn1.gamma, bn1.running_mean, bn1.running_var",
                       FileError);
  cnn.spatial_batchnorm = false;
  cnn.hidden_dim = 7;
  CHECK_THROWS_WITH_AS(
      parse_model_into(conv, "hidden.tgm", model_file_bytes(ThreeLayerConvNet(cnn))),
      doctest::Contains("different: fc2.weight (float32 (8,7) in the file, "
                        "float32 (8,100) in the model); fc2.bias"),
      FileError);
  FullyConnectedNet fc_net(fc);
  fc.hidden_dims = {5, 5};
  CHECK_THROWS_WITH_AS(
      parse_model_into(fc_net, "deeper.tgm", model_file_bytes(FullyConnectedNet(fc))),
      doctest::Contains("not in the model: fc3.bias, fc3.weight; different: fc2.weight "
                        "(float32 (5,5) in the file, float32 (5,10) in the model)"),
      FileError);
  CHECK(conv.parameter("conv1.weight").value().to_vector() == w1);

  const std::string folder = testing::fresh_test_folder("model_file_missing");
  const std::string message = testing::file_error_of([&] { load_model(folder + "/none.tgm"); });
  CHECK(message.find(folder + "/none.tgm") != std::string::npos);
}

namespace {

std::string small_model_bytes() {
  FullyConnectedNetOptions o;
  o.hidden_dims = {3};
  o.input_dim = 4;
  o.num_classes = 2;
  o.normalization = Normalization::batchnorm;
  InputSpec input;
  input.mean_image = Tensor::ones({1, 2, 2});
  return model_file_bytes(FullyConnectedNet(o), input);
}

}  // namespace

TEST_CASE("Every truncation and every flipped bit of a model file is refused") {
  const std::string bytes = small_model_bytes();
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    CAPTURE(size);
    CHECK_THROWS_WITH_AS(parse_model("cut.tgm", bytes.substr(0, size)),
                         doctest::Contains("cut.tgm: "), FileError);
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      CAPTURE(i);
      CAPTURE(bit);
      CHECK_THROWS_WITH_AS(parse_model("flip.tgm", damaged), doctest::Contains("flip.tgm: "),
                           FileError);
    }
  }
}

TEST_CASE("Another format version, or a checkpoint, is named") {
  std::string future = small_model_bytes();
  future[8] = 3;
  CHECK_THROWS_WITH_AS(
      parse_model("future.tgm", future),
      "future.tgm: byte 8: model file format version 3, this build reads version 2", FileError);
  std::string flat = small_model_bytes();  // before the module tree
  flat[8] = 1;
  CHECK_THROWS_WITH_AS(parse_model("flat.tgm", flat),
                       "flat.tgm: byte 8: model file format version 1, this build reads version 2",
                       FileError);
  Checkpoint checkpoint;
  checkpoint.put_string("meta/model", "ThreeLayerConvNet");
  CHECK_THROWS_WITH_AS(parse_model("checkpoint.tgck", checkpoint.serialize()),
                       doctest::Contains("checkpoint.tgck: byte 0: a tapegrad checkpoint, not a "
                                         "model file"),
                       FileError);
}

namespace {

// A model file of a small ThreeLayerConvNet whose module tree (JSON) has
// `from` replaced by `to` (the first occurrence: the root's configuration).
Checkpoint cnn_file(const std::string& from, const std::string& to) {
  ThreeLayerConvNetOptions o;
  o.input_dim = {1, 4, 4};
  o.filter_size = 3;
  o.num_filters = 2;
  o.hidden_dim = 3;
  Checkpoint c = Checkpoint::parse("m", model_file_bytes(ThreeLayerConvNet(o)), kModelFileKind);
  std::string tree = c.get_string("model/tree");
  const std::size_t at = tree.find(from);
  REQUIRE(at != std::string::npos);
  c.put_string("model/tree", tree.replace(at, from.size(), to));
  return c;
}

std::string file_error(const std::string& name, const Checkpoint& file) {
  return testing::file_error_of([&] { parse_model(name, file.serialize(kModelFileKind)); });
}

}  // namespace

TEST_CASE("A module tree that does not make the model, or asks for too much, is refused") {
  CHECK(file_error("neg.tgm", cnn_file("\"num_filters\":2", "\"num_filters\":-2")) ==
        "neg.tgm: build_module: the root module (ThreeLayerConvNet) cannot be built from its "
        "configuration: ThreeLayerConvNet: num_filters must be positive, got -2");
  // Sizes that would need terabytes: refused before the memory is asked for.
  const std::string huge =
      file_error("huge.tgm", cnn_file("\"hidden_dim\":3", "\"hidden_dim\":1073741824"));
  CHECK(huge.find("huge.tgm: build_module: the root module (ThreeLayerConvNet) cannot be built "
                  "from its configuration: ThreeLayerConvNet: building it would allocate more "
                  "than") == 0);
  CHECK(
      file_error("narrow.tgm", cnn_file("\"hidden_dim\":3", "\"hidden_dim\":2"))
          .find("different: fc2.weight (float32 (8,3) in the file, float32 (8,2) in the model)") !=
      std::string::npos);
  CHECK(file_error("kind.tgm", cnn_file("\"hidden_dim\":3", "\"hidden_dim\":\"three\""))
            .find("config: 'hidden_dim' is a string, not an integer") != std::string::npos);
  CHECK(file_error("dtype.tgm", cnn_file("\"dtype\":\"float32\"", "\"dtype\":\"float16\""))
            .find("config: 'dtype' must be \"float32\" or \"float64\", got \"float16\"") !=
        std::string::npos);
  CHECK(file_error("fraction.tgm", cnn_file("\"input_dim\":[1,4,4]", "\"input_dim\":[1,4.5,4]")) ==
        "fraction.tgm: model tree: tree.config.input_dim: must be a list of integers");
  CHECK(file_error("json.tgm", cnn_file("{", "[")) == "json.tgm: model tree: is not valid JSON");
  // A tree whose layers are not the ones the model builds.
  CHECK(file_error("layers.tgm", cnn_file("\"name\":\"relu1\"", "\"name\":\"act1\""))
            .find("build_module: the root module (ThreeLayerConvNet) was built with children "
                  "[conv1 Conv2d, relu1 ReLU,") != std::string::npos);
  CHECK(file_error("type.tgm", cnn_file("\"type\":\"ThreeLayerConvNet\"", "\"type\":\"Nope\""))
            .find("its root is a Nope, model/type says ThreeLayerConvNet") != std::string::npos);
}

TEST_CASE("The README's way from a model file and an image file to scores") {
  const std::string folder = testing::fresh_test_folder("model_file_readme");
  ThreeLayerConvNetOptions o;
  o.input_dim = {1, 4, 4};
  o.filter_size = 3;
  o.num_filters = 2;
  o.spatial_batchnorm = true;
  ThreeLayerConvNet net(o);
  InputSpec input;
  input.data_set = "fashion-mnist";
  input.mean_image = Tensor::full({1, 4, 4}, 100);
  input.scale = 1.0 / 255.0;
  save_model(net, folder + "/model.tgm", input);
  write_file_atomically(folder + "/boot.pgm",
                        "P2 4 4 255 0 10 20 30 40 50 60 70 80 90 100 110 "
                        "120 130 140 150");

  tg::LoadedModel m = tg::load_model(folder + "/model.tgm");
  tg::Tensor images = tg::load_images(folder + "/boot.pgm", 1);  // (1, 1, 4, 4), pixels 0..255
  tg::Tensor x = tg::normalize_images(images, m.input.mean_image, m.input.scale);
  tg::Tensor scores = m.model->scores(x);

  Tensor expected = Tensor::empty({1, 1, 4, 4});
  for (int p = 0; p < 16; ++p) {
    expected.data<float>()[p] = (10.0f * p - 100.0f) * static_cast<float>(1.0 / 255.0);
  }
  CHECK(same_bits(scores, net.scores(expected)));
}
