// The names of the classes of the data sets tapegrad reads, for reports.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tg {

// The class names of "fashion-mnist" ("T-shirt/top", "Trouser", ...),
// "mnist" ("0" ... "9") or "cifar10" ("airplane", ...) when num_classes
// is theirs; otherwise the class indices "0", "1", ...
std::vector<std::string> class_names(std::string_view data_set, std::int64_t num_classes);

}  // namespace tg
