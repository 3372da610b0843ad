// Test helpers for files: fresh folders under Bazel's TEST_TMPDIR (or /tmp
// outside Bazel), their entries, and the FileError or ArgumentError an
// action throws.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "graph/errors.h"

namespace tg::testing {

// An empty folder named `name` in the test's temporary folder.
inline std::string fresh_test_folder(std::string_view name) {
  const char* root = std::getenv("TEST_TMPDIR");
  const std::filesystem::path folder =
      std::filesystem::path(root != nullptr && *root != '\0' ? root : "/tmp") / name;
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder.string();
}

// The names of the entries in a folder, sorted.
inline std::vector<std::string> entries_of(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The message of the `Error` that `action` throws ("" when it throws none).
template <class Error, class Action>
std::string error_of(Action action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

template <class Action>
std::string file_error_of(Action action) {
  return error_of<FileError>(action);
}

template <class Action>
std::string argument_error_of(Action action) {
  return error_of<ArgumentError>(action);
}

}  // namespace tg::testing
