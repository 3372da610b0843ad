// Ctrl-C and SIGTERM for tools/train, which must not lose work: the first
// one asks training to stop at the next safe point (after the current step,
// with a checkpoint); a second one ends the process at once. The handlers
// are installed even where SIGINT was ignored (a background job of a
// script): a signal sent on purpose is obeyed.
#pragma once

namespace tg {

// Installs the handlers for SIGINT and SIGTERM. The state they share is this
// file's one global: the number of the first signal received. On the first
// signal the handler prints a line to stderr saying so; on a second it exits
// at once with status 128 + its number (files being written keep their old
// contents: they are written atomically).
void install_stop_handlers();

// The first stop signal received (SIGINT or SIGTERM), or 0 when none was.
int stop_signal();

// The exit status of a process that stops for `signal`: 128 + its number
// (130 for SIGINT, 143 for SIGTERM), as shells report it.
int exit_status_for(int signal);

}  // namespace tg
