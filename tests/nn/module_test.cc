// The module tree: dotted names, registration errors, train() / eval()
// reaching every layer, evaluation leaving every buffer alone, forward hooks,
// and specs that rebuild any composition.
#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/rng.h"
#include "graph/tape.h"
#include "models/model_types.h"
#include "models/three_layer_convnet.h"
#include "nn/activations.h"
#include "nn/batchnorm.h"
#include "nn/containers.h"
#include "nn/conv2d.h"
#include "nn/dropout.h"
#include "nn/flatten.h"
#include "nn/linear.h"
#include "nn/module_types.h"
#include "nn/pooling.h"
#include "solver/solver.h"

namespace tg {
namespace {

// A residual stage as people write one: conv-bn-relu-conv-bn plus the input.
std::shared_ptr<Sequential> block(std::int64_t channels, Rng& rng) {
  Conv2dOptions same;
  same.pad = 1;
  same.bias = false;
  auto body = sequential({{"conv1", std::make_shared<Conv2d>(channels, channels, 3, same, rng)},
                          {"bn1", std::make_shared<BatchNorm2d>(channels)},
                          {"relu", std::make_shared<ReLU>()},
                          {"conv2", std::make_shared<Conv2d>(channels, channels, 3, same, rng)},
                          {"bn2", std::make_shared<BatchNorm2d>(channels)}});
  return sequential(
      {{"res", std::make_shared<Residual>(body)}, {"relu", std::make_shared<ReLU>()}});
}

std::shared_ptr<Sequential> small_net() {
  Rng rng(1);
  Conv2dOptions stem;
  stem.pad = 1;
  auto layer1 = std::make_shared<Sequential>();
  layer1->add(block(4, rng)).add(block(4, rng));
  return sequential({{"stem", std::make_shared<Conv2d>(1, 4, 3, stem, rng)},
                     {"layer1", layer1},
                     {"pool", std::make_shared<GlobalAvgPool2d>()},
                     {"drop", std::make_shared<Dropout>(0.8, 5)},
                     {"fc", std::make_shared<Linear>(4, 3, LinearOptions{}, rng)}});
}

std::vector<std::string> parameter_names(const Module& m) {
  std::vector<std::string> names;
  for (const Parameter& p : m.parameters()) names.push_back(p.name());
  return names;
}

// A module with its own parameter and a child, to misuse registration.
class Probe : public Module {
 public:
  Var forward(const Var& x) override { return x; }
  std::string type() const override { return "Probe"; }
  using Module::add_child;
  using Module::register_buffer;
  using Module::register_parameter;
};

}  // namespace

TEST_CASE("Names are dotted paths through the tree, in registration order") {
  const auto net = small_net();
  const std::vector<std::string> names = parameter_names(*net);
  REQUIRE(names.size() == 2 + 2 * 6 + 2);
  CHECK(names[0] == "stem.weight");
  CHECK(names[2] == "layer1.0.res.body.conv1.weight");
  CHECK(names[3] == "layer1.0.res.body.bn1.gamma");
  CHECK(names[8] == "layer1.1.res.body.conv1.weight");
  CHECK(names.back() == "fc.bias");
  CHECK(net->buffers()[0].name == "layer1.0.res.body.bn1.running_mean");
  CHECK(net->generators().size() == 1);
  CHECK(net->generators()[0].name == "drop.rng");
  CHECK(net->parameter("layer1.1.res.body.bn2.beta").value().shape() == Shape{4});
  CHECK(net->module("layer1.1.res.body").type() == "Sequential");
  CHECK(net->module("layer1.1.res.body").prefix() == "layer1.1.res.body.");
  CHECK_THROWS_WITH_AS(net->module("layer2"), "Sequential: no module at 'layer2'", ArgumentError);
  CHECK_THROWS_WITH_AS(net->parameter("stem.bias2"), "Sequential: no parameter named 'stem.bias2'",
                       ArgumentError);
  std::vector<std::string> paths;
  for (const auto& [path, module] : net->named_modules()) paths.push_back(path);
  CHECK(paths.front().empty());
  CHECK(paths[1] == "stem");
  CHECK(paths[2] == "layer1");
  CHECK(paths[3] == "layer1.0");
  int visited = 0;
  net->apply([&](Module&) { ++visited; });
  CHECK(visited == static_cast<int>(paths.size()));
}

TEST_CASE("Bad registrations are refused with the name") {
  Probe probe;
  probe.register_parameter("w", Tensor::zeros({2}));
  CHECK_THROWS_WITH_AS(probe.register_parameter("w", Tensor::zeros({2})),
                       "Probe: 'w' is registered twice in this module", ArgumentError);
  CHECK_THROWS_WITH_AS(probe.add_child("w", std::make_shared<ReLU>()),
                       "Probe: 'w' is registered twice in this module", ArgumentError);
  CHECK_THROWS_WITH_AS(probe.register_parameter("a.b", Tensor::zeros({2})),
                       "Probe: 'a.b': names cannot contain a dot (dots separate the tree's levels)",
                       ArgumentError);
  CHECK_THROWS_WITH_AS(probe.add_child("", std::make_shared<ReLU>()),
                       "Probe: a parameter, buffer or child needs a name", ArgumentError);
  CHECK_THROWS_WITH_AS(probe.add_child("none", nullptr), "Probe: child 'none' is null",
                       ArgumentError);
  auto relu = std::make_shared<ReLU>();
  probe.add_child("relu", relu);
  Probe other;
  CHECK_THROWS_WITH_AS(other.add_child("relu", relu),
                       "Probe: child 'relu' (ReLU) already belongs to another module",
                       ArgumentError);
  auto parent = std::make_shared<Sequential>();
  auto child = std::make_shared<Sequential>();
  parent->add("child", child);
  CHECK_THROWS_WITH_AS(child->add("parent", parent),
                       "Sequential: child 'parent' would make the tree a cycle", ArgumentError);
  Tensor buffer = Tensor::zeros({1});
  probe.register_buffer("b", buffer);
  CHECK_THROWS_AS(probe.register_buffer("b", buffer), ArgumentError);
}

TEST_CASE("train() and eval() reach every layer; a new child takes its parent's mode") {
  const auto net = small_net();
  net->eval();
  net->apply([](Module& m) { CHECK_FALSE(m.is_training()); });
  net->module("layer1").train();
  CHECK(net->module("layer1.1.res.body.bn2").is_training());
  CHECK_FALSE(net->module("fc").is_training());
  net->train();
  net->apply([](Module& m) { CHECK(m.is_training()); });
  net->eval();
  auto late = std::make_shared<BatchNorm2d>(4);
  dynamic_cast<Sequential&>(net->module("layer1")).add("late", late);
  CHECK_FALSE(late->is_training());
}

TEST_CASE("scores() and check_accuracy leave every mode and buffer bit for bit as they were") {
  const auto net = small_net();
  Rng rng(3);
  const Tensor x = Tensor::randn({6, 1, 5, 5}, rng);
  const Labels y = {0, 1, 2, 0, 1, 2};
  net->loss(x, y);  // training mode: the running statistics move
  std::vector<std::vector<double>> before;
  for (const NamedTensor& b : net->buffers()) before.push_back(b.tensor->to_vector());
  CHECK(before[0] != std::vector<double>(4, 0.0));
  const Rng::State dropout_rng = net->generators()[0].rng->state();
  net->module("layer1.0").eval();  // a mixed tree stays mixed
  const Tensor first = net->scores(x);
  CHECK(net->scores(x).to_vector() == first.to_vector());  // evaluation: no dropout
  SolverOptions options;
  options.verbose = false;
  Solver solver(*net, {x, y, x, y}, options);
  solver.check_accuracy(x, y);
  for (std::size_t i = 0; i < before.size(); ++i) {
    CAPTURE(net->buffers()[i].name);
    CHECK(net->buffers()[i].tensor->to_vector() == before[i]);
  }
  CHECK(net->is_training());
  CHECK_FALSE(net->module("layer1.0.res.body.bn1").is_training());
  CHECK(net->module("layer1.1.res.body.bn1").is_training());
  CHECK(net->generators()[0].rng->state().words == dropout_rng.words);
}

TEST_CASE("Forward hooks see every layer's input and output, in order, until removed") {
  const auto net = small_net();
  std::vector<std::string> seen;
  std::vector<int> ids;
  for (const auto& [path, module] : net->named_modules()) {
    if (dynamic_cast<BatchNorm2d*>(module) == nullptr && dynamic_cast<Linear*>(module) == nullptr) {
      continue;
    }
    ids.push_back(
        module->add_forward_hook([&, path = path](Module& m, const Var& in, const Var& out) {
          seen.push_back(path + " " + in.shape().str() + " -> " + out.shape().str());
          CHECK(&m == &net->module(path));
        }));
  }
  Rng rng(4);
  net->scores(Tensor::randn({2, 1, 5, 5}, rng));
  REQUIRE(seen.size() == 5);
  CHECK(seen[0] == "layer1.0.res.body.bn1 (2,4,5,5) -> (2,4,5,5)");
  CHECK(seen[4] == "fc (2,4) -> (2,3)");
  net->module("fc").remove_forward_hook(ids.back());
  seen.clear();
  net->scores(Tensor::randn({2, 1, 5, 5}, rng));
  CHECK(seen.size() == 4);
  CHECK_THROWS_WITH_AS(net->module("fc").remove_forward_hook(ids.back()),
                       "Linear: no forward hook with id 0", ArgumentError);
}

TEST_CASE("The L2 penalty covers the tree's weights, not its biases or norms") {
  const auto net = small_net();
  Rng rng(5);
  const Tensor x = Tensor::randn({4, 1, 5, 5}, rng);
  const Labels y = {0, 1, 2, 0};
  net->eval();
  const double data_loss = net->loss(x, y);
  net->set_reg(0.3);
  double squares = 0;
  for (const char* name :
       {"stem.weight", "layer1.0.res.body.conv1.weight", "layer1.0.res.body.conv2.weight",
        "layer1.1.res.body.conv1.weight", "layer1.1.res.body.conv2.weight", "fc.weight"}) {
    for (double v : net->parameter(name).value().to_vector()) squares += v * v;
  }
  CHECK(net->loss(x, y) == doctest::Approx(data_loss + 0.5 * 0.3 * squares).epsilon(1e-5));
}

TEST_CASE("LossOptions reach the tape: detect_anomaly names the op") {
  const auto net = small_net();
  Tensor x = Tensor::zeros({2, 1, 5, 5});
  x.data<float>()[3] = std::numeric_limits<float>::infinity();
  LossOptions options;
  options.detect_anomaly = true;
  CHECK_THROWS_WITH_AS(net->loss(x, {0, 1}, options), doctest::Contains("op 'conv2d'"),
                       NumericError);
}

TEST_CASE("A spec rebuilds any composition; a spec that does not fit is refused by path") {
  const auto net = small_net();
  const ModuleSpec spec = spec_of(*net);
  CHECK(spec.type == "Sequential");
  CHECK(spec.children[1].second.children[0].second.children[0].second.type == "Residual");
  const std::shared_ptr<Module> rebuilt = build_module(spec);
  CHECK(parameter_names(*rebuilt) == parameter_names(*net));
  for (std::size_t i = 0; i < net->parameters().size(); ++i) {
    CHECK(rebuilt->parameters()[i].value().shape() == net->parameters()[i].value().shape());
  }
  ModuleSpec unknown = spec;
  unknown.children[1].second.children[1].second.children[1].second.type = "Swish";
  CHECK_THROWS_WITH_AS(build_module(unknown),
                       doctest::Contains("build_module: no factory for a module of type 'Swish'"),
                       ArgumentError);
  ModuleSpec bad_config = spec;
  bad_config.children[0].second.config.set_int("kernel_size", 0);
  CHECK_THROWS_WITH_AS(build_module(bad_config),
                       doctest::Contains("build_module: the module at 'stem' (Conv2d) cannot be "
                                         "built from its configuration: Conv2d: in_channels"),
                       ArgumentError);
  // A shipped model builds its own layers: they must be the spec's.
  ThreeLayerConvNetOptions o;
  o.input_dim = {1, 4, 4};
  o.filter_size = 3;
  ModuleSpec cnn = spec_of(ThreeLayerConvNet(o));
  cnn.children.pop_back();
  register_shipped_model_types();
  CHECK_THROWS_WITH_AS(build_module(cnn),
                       doctest::Contains("build_module: the root module (ThreeLayerConvNet) was "
                                         "built with children [conv1 Conv2d, relu1 ReLU"),
                       ArgumentError);
}

}  // namespace tg
