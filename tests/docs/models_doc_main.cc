// docs/models.md's code, run: trains its small ResNet on part of
// Fashion-MNIST into RUN_FOLDER, checks that tg::load_model gives back the
// same scores, and that its own module type saves and loads once registered.
// models_doc_test.sh then runs tools/predict and tools/npy_predict.py on the
// folder.
//   models_doc_main RUN_FOLDER
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "tests/docs/models_doc.h"

int main(int argc, char** argv) try {
  if (argc != 2) throw tg::ArgumentError("usage: models_doc_main RUN_FOLDER");
  tg::PreprocessOptions pre;
  pre.num_training = 2000;
  pre.num_validation = 200;
  pre.num_test = 1000;
  pre.scale = 1.0 / 255;
  const tg::DataSplits data =
      tg::preprocess(tg::load_idx_folder(std::string(tg::kFashionMnistFolder)), pre);
  const std::shared_ptr<tg::Sequential> net = my::small_resnet(8, 0);
  const double accuracy = my::train_small_resnet(*net, data, argv[1], 2);
  fmt::print("test accuracy {:.4f}\n", accuracy);
  fmt::print("parameters: {} ({} first, {} last)\n", net->parameters().size(),
             net->parameters().front().name(), net->parameters().back().name());

  const tg::Tensor saved =
      my::scores_of_saved(std::string(argv[1]) + "/model.tgm", data.test.images);
  const bool same = saved.to_vector() == net->scores(data.test.images).to_vector();
  fmt::print("load_model gives the same scores: {}\n", same ? "yes" : "no");

  my::register_my_types();
  tg::Rng rng(3);
  auto scaled = std::make_shared<my::ScaledResidual>(my::block(1, 1, false, rng), 0.1);
  tg::save_model(*scaled, std::string(argv[1]) + "/scaled.tgm");
  const tg::LoadedModel loaded = tg::load_model(std::string(argv[1]) + "/scaled.tgm");
  const tg::Tensor x = data.test.images;
  const bool scaled_same = loaded.model->scores(x).to_vector() == scaled->scores(x).to_vector();
  fmt::print("a registered module of one's own loads: {}\n", scaled_same ? "yes" : "no");
  return same && scaled_same && accuracy > 0.5 ? 0 : 1;
} catch (const std::exception& error) {
  std::fprintf(stderr, "%s\n", error.what());
  return 1;
}
