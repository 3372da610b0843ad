#include "apps/user_path.h"

#include <cstdlib>
#include <filesystem>

namespace tg {

std::string from_user_folder(const std::string& path) {
  const char* origin = std::getenv("BUILD_WORKING_DIRECTORY");
  if (origin == nullptr || *origin == '\0' || path.empty() ||
      std::filesystem::path(path).is_absolute()) {
    return path;
  }
  return (std::filesystem::path(origin) / path).lexically_normal().string();
}

}  // namespace tg
