// The Solver's data parallelism (SolverOptions::replicas): gradients and
// losses averaged over the processes, stops agreed on, replicas compared.
#include <fmt/format.h>

#include "distributed/replicas.h"
#include "graph/errors.h"
#include "solver/solver.h"

namespace tg {
namespace {

// The mean of the processes' losses (rank order).
double mean_loss(Replicas& replicas, double loss) {
  std::vector<double> losses = {loss};
  sum_in_rank_order(replicas, losses);
  return losses[0] / replicas.size();
}

// Data parallelism: every parameter's gradient becomes the mean of the
// processes' gradients, and `loss` the mean of their losses (rank order).
void average_over_replicas(Replicas& replicas, Module& model, double& loss) {
  const std::vector<Parameter> parameters = model.parameters();  // one walk of the tree
  std::vector<Tensor> grads;
  for (const Parameter& p : parameters) grads.push_back(p.grad());
  const std::vector<Tensor> means = average_in_rank_order(replicas, grads);
  for (std::size_t i = 0; i < means.size(); ++i) parameters[i].grad() = means[i];
  loss = mean_loss(replicas, loss);
}

}  // namespace

void Solver::average_gradients(double& loss) {
  average_over_replicas(*options_.replicas, model_, loss);
}

double Solver::loss_with_overlapped_average(const Tensor& x, const Labels& y) {
  OverlappedAverage average(*options_.replicas, model_.parameters(), options_.bucket_bytes);
  LossOptions options = loss_options();
  options.on_parameter_grad = [&](const Parameter& p) { average.ready(p); };
  const double loss = model_.loss(x, y, options);
  average.finish();
  return mean_loss(*options_.replicas, loss);
}

bool Solver::stop_requested() const {
  bool stop = options_.stop_requested && options_.stop_requested();
  if (options_.replicas != nullptr) {  // any process's request stops them all here
    std::vector<double> flag = {stop ? 1.0 : 0.0};
    sum_in_rank_order(*options_.replicas, flag);
    stop = flag[0] > 0;
  }
  return stop;
}

void Solver::check_replicas_agree() {
  std::vector<Tensor> buffers;
  for (const NamedTensor& b : model_.buffers()) buffers.push_back(*b.tensor);
  copy_from_first(*options_.replicas, buffers);  // rank 0's running statistics
  std::vector<Tensor> state = buffers;
  for (const Parameter& p : model_.parameters()) state.push_back(p.value());
  const std::vector<int> differing =
      ranks_differing_from_first(*options_.replicas, checksum(state));
  if (!differing.empty()) {
    throw ReplicaError(fmt::format(
        "Solver: after epoch {} the parameters of rank{} {} differ from rank 0's (checksums "
        "of every parameter and buffer): the {} processes no longer train the same model (another "
        "binary, other data or a faulty machine?)",
        epoch_, differing.size() == 1 ? "" : "s", fmt::join(differing, ", "),
        options_.replicas->size()));
  }
}

}  // namespace tg
