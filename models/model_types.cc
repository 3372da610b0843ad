#include "models/model_types.h"

#include <mutex>

#include "models/char_rnn.h"
#include "models/fully_connected_net.h"
#include "models/sequence_classifier.h"
#include "models/three_layer_convnet.h"
#include "nn/module_types.h"

namespace tg {
namespace {

template <class M>
ModuleFactory from_config() {
  return [](const ModelConfig& c) -> std::shared_ptr<Module> { return M::from_config(c); };
}

}  // namespace

void register_shipped_model_types() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_module_type("ThreeLayerConvNet", from_config<ThreeLayerConvNet>());
    register_module_type("FullyConnectedNet", from_config<FullyConnectedNet>());
    register_module_type("SequenceClassifier", from_config<SequenceClassifier>());
    register_module_type("CharRNN", from_config<CharRNN>());
  });
}

}  // namespace tg
