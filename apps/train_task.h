// What tools/train trains: the data (loaded, checked against the limits,
// split and preprocessed like the seed's get_CIFAR10_data), the model the
// flags describe, and how the trained model is judged at the end.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "apps/train_flags.h"
#include "models/input_spec.h"
#include "nn/module.h"
#include "report/json.h"
#include "solver/solver.h"

namespace tg {

// What a run trains on, its model, and how it is judged once trained.
struct Task {
  SolverData data;
  std::shared_ptr<Module> model;
  std::string data_title;
  std::string sizes;  // "55000 train / 5000 val / 10000 test images"
  InputSpec input;
  // Evaluates the trained model (the best parameters), prints the result and
  // returns the fields it adds to history.json.
  std::function<Json(Solver&)> evaluate;
};

// --model cnn, fc or lstm on --data's images; --model charlm on the word list.
Task image_task(const TrainFlags& flags);
Task charlm_task(const TrainFlags& flags);

// "Fashion-MNIST", "MNIST", "CIFAR-10" for --data.
std::string data_title(const std::string& data);

}  // namespace tg
