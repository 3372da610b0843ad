// tools/train's program: the main job. Parses the command line (apps/train_flags.h),
// trains in a run folder (apps/run_folder.h) and returns the exit status: 0 done,
// 1 an error, 2 a bad command line, 130 / 143 stopped by SIGINT / SIGTERM.
#pragma once

namespace tg {

int train_main(int argc, char** argv);

}  // namespace tg
