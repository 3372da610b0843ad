// tools/plot's program: the curves of one or more run folders redrawn.
// Returns the exit status (0 done, 1 an error, 2 a bad command line).
#pragma once

namespace tg {

int plot_main(int argc, char** argv);

}  // namespace tg
