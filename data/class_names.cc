#include "data/class_names.h"

namespace tg {

std::vector<std::string> class_names(std::string_view data_set, std::int64_t num_classes) {
  if (data_set == "fashion-mnist" && num_classes == 10) {
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  }
  if (data_set == "cifar10" && num_classes == 10) {
    return {"airplane", "automobile", "bird",  "cat",  "deer",
            "dog",      "frog",       "horse", "ship", "truck"};
  }
  std::vector<std::string> names;
  for (std::int64_t i = 0; i < num_classes; ++i) names.push_back(std::to_string(i));
  return names;
}

}  // namespace tg
