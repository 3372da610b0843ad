#include "models/model_types.h"

#include <mutex>

#include "models/char_rnn.h"
#include "models/fully_connected_net.h"
#include "models/sequence_classifier.h"
#include "models/three_layer_convnet.h"
#include "nn/module_types.h"

namespace tg {
void register_shipped_model_types() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_module_type("ThreeLayerConvNet", factory_from_config<ThreeLayerConvNet>());
    register_module_type("FullyConnectedNet", factory_from_config<FullyConnectedNet>());
    register_module_type("SequenceClassifier", factory_from_config<SequenceClassifier>());
    register_module_type("CharRNN", factory_from_config<CharRNN>());
  });
}

}  // namespace tg
