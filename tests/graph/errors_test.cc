// Every error tapegrad throws is a tg::Error: no std::filesystem_error,
// std::invalid_argument or std::bad_alloc escapes the library.
#include "graph/errors.h"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "graph/rng.h"
#include "graph/tensor.h"
#include "io/atomic_file.h"
#include "models/fully_connected_net.h"
#include "solver/solver.h"
#include "tests/support/test_folder.h"

using namespace tg;

TEST_CASE("create_folders throws FileError naming the path") {
  const std::string folder = testing::fresh_test_folder("create_folders");
  std::ofstream(folder + "/a_file") << "not a folder";
  create_folders(folder + "/new/nested");
  create_folders(folder + "/new/nested");  // already there: fine
  CHECK_THROWS_WITH_AS(
      create_folders(folder + "/a_file/below"),
      doctest::Contains((folder + "/a_file/below: cannot create the folder: ").c_str()), FileError);
}

TEST_CASE("The Solver reports a parameters folder it cannot create as a FileError") {
  const std::string folder = testing::fresh_test_folder("solver_params_folder");
  std::ofstream(folder + "/params") << "a file where the folder goes";
  Rng rng(3);
  SolverData data;
  data.X_train = Tensor::randn({20, 4}, rng);
  data.X_val = Tensor::randn({10, 4}, rng);
  data.y_train = Labels(20, 1);
  data.y_val = Labels(10, 0);
  FullyConnectedNetOptions net_options;
  net_options.hidden_dims = {3};
  net_options.input_dim = 4;
  net_options.num_classes = 2;
  FullyConnectedNet net(net_options);
  SolverOptions options;
  options.num_epochs = 1;
  options.batch_size = 10;
  options.verbose = false;
  options.checkpoint_dir = folder;
  Solver solver(net, data, options);
  CHECK_THROWS_WITH_AS(solver.train(),
                       doctest::Contains((folder + "/params: cannot create").c_str()), FileError);
}

TEST_CASE("Shape and allocation errors are tg::Errors") {
  CHECK_THROWS_AS(Shape({-1}), Error);
  CHECK_THROWS_AS(Tensor::empty({std::int64_t{1} << 62, 2}, DType::f64), Error);
}
