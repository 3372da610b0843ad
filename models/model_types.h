// Registers the shipped models' types (ThreeLayerConvNet, FullyConnectedNet,
// SequenceClassifier, CharRNN) with nn/module_types.h, once per process;
// load_model calls it, so a model file of any of them loads anywhere.
#pragma once

namespace tg {

void register_shipped_model_types();

}  // namespace tg
