// apps/stop_signals.h: the first SIGINT or SIGTERM is remembered (training
// then stops at a safe point), and the exit statuses shells report.
#include "apps/stop_signals.h"

#include <doctest/doctest.h>

#include <csignal>

TEST_CASE("Exit statuses are 128 + the signal's number") {
  CHECK(tg::exit_status_for(SIGINT) == 130);
  CHECK(tg::exit_status_for(SIGTERM) == 143);
}

TEST_CASE("The first stop signal is remembered (a second one would end the process)") {
  tg::install_stop_handlers();
  CHECK(tg::stop_signal() == 0);
  std::raise(SIGTERM);
  CHECK(tg::stop_signal() == SIGTERM);
}
