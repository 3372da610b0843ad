#include "apps/stop_signals.h"

#include <unistd.h>

#include <csignal>

namespace tg {
namespace {

volatile std::sig_atomic_t first_signal = 0;

// Only async-signal-safe calls here: write() and _exit().
void on_stop_signal(int signal) {
  if (first_signal != 0) {
    constexpr char kMessage[] = "\ntrain: second signal: exiting at once\n";
    (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(exit_status_for(signal));
  }
  first_signal = signal;
  constexpr char kMessage[] =
      "\ntrain: stopping after the current step (a checkpoint is written); interrupt again to "
      "exit at once\n";
  (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int stop_signal() { return first_signal; }

int exit_status_for(int signal) { return 128 + signal; }

}  // namespace tg
