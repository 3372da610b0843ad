// Paths typed on a tool's command line.
#pragma once

#include <string>

namespace tg {

// `bazel run` starts a program in its runfiles folder, but a relative path on
// the command line is meant from the folder the user typed the command in
// (BUILD_WORKING_DIRECTORY); outside `bazel run` the path is returned as is.
std::string from_user_folder(const std::string& path);

}  // namespace tg
