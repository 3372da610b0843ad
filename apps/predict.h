// tools/predict's program: a trained model on its test set or on image files.
// Returns the exit status (0 done, 1 an error, 2 a bad command line).
#pragma once

namespace tg {

int predict_main(int argc, char** argv);

}  // namespace tg
