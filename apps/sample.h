// tools/sample's program: words from a trained character-level language model.
// Returns the exit status (0 done, 1 an error, 2 a bad command line).
#pragma once

namespace tg {

int sample_main(int argc, char** argv);

}  // namespace tg
