#include "apps/usage_error.h"

#include <fmt/format.h>

namespace tg {

int usage_error(const CLI::App& app, const CLI::ParseError& error, const char* program) {
  if (error.get_exit_code() == 0) return app.exit(error);  // --help
  fmt::print(stderr, "{}: {} (see --help)\n", program, error.what());
  return 2;
}

}  // namespace tg
