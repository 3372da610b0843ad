// One way for every program to answer a bad command line: the problem on
// stderr as "<program>: <what> (see --help)" and exit status 2 (--help and
// --version print and exit 0), so train, predict, sample and plot agree.
#pragma once

#include <CLI/CLI.hpp>

namespace tg {

int usage_error(const CLI::App& app, const CLI::ParseError& error, const char* program);

}  // namespace tg
