#include "optim/update_rules.h"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "graph/eigen.h"
#include "graph/errors.h"

namespace tg {
namespace {

// Throws unless low <= value < high (a decay or momentum factor).
void check_factor(std::string_view rule, std::string_view name, double value) {
  if (!(value >= 0 && value < 1)) {
    throw ArgumentError(fmt::format("{}: {} must be in [0, 1), got {}", rule, name, value));
  }
}

void check_epsilon(std::string_view rule, double epsilon) {
  if (!(epsilon > 0) || !std::isfinite(epsilon)) {
    throw ArgumentError(fmt::format("{}: epsilon must be a finite number > 0, got {}", rule, epsilon));
  }
}

// Calls f(w, dw) with Eigen array views of the parameter and its gradient.
template <class F>
void with_arrays(const Parameter& p, F&& f) {
  dispatch(p.value().dtype(), [&](auto zero) {
    using T = decltype(zero);
    f(as_array<T>(p.value()), as_array<T>(std::as_const(p.grad())), T{});
  });
}

}  // namespace

Sgd::Sgd(double learning_rate) : Optimizer("sgd", learning_rate) {}

void Sgd::update(const Parameter& p) {
  with_arrays(p, [&](auto w, auto dw, auto zero) {
    using T = decltype(zero);
    w -= static_cast<T>(learning_rate()) * dw;
  });
}

SgdMomentum::SgdMomentum(double learning_rate, double momentum)
    : Optimizer("sgd_momentum", learning_rate), momentum_(momentum) {
  check_factor(rule(), "momentum", momentum);
}

void SgdMomentum::update(const Parameter& p) {
  Tensor& velocity = slot(p, "velocity");
  with_arrays(p, [&](auto w, auto dw, auto zero) {
    using T = decltype(zero);
    auto v = as_array<T>(velocity);
    v = static_cast<T>(momentum_) * v - static_cast<T>(learning_rate()) * dw;
    w += v;
  });
}

RmsProp::RmsProp(double learning_rate, double decay_rate, double epsilon)
    : Optimizer("rmsprop", learning_rate), decay_rate_(decay_rate), epsilon_(epsilon) {
  check_factor(rule(), "decay_rate", decay_rate);
  check_epsilon(rule(), epsilon);
}

void RmsProp::update(const Parameter& p) {
  Tensor& cache = slot(p, "cache");
  with_arrays(p, [&](auto w, auto dw, auto zero) {
    using T = decltype(zero);
    auto s = as_array<T>(cache);
    const T decay = static_cast<T>(decay_rate_);
    s = decay * s + (T(1) - decay) * dw.square();
    w -= static_cast<T>(learning_rate()) * dw / (s.sqrt() + static_cast<T>(epsilon_));
  });
}

Adam::Adam(double learning_rate, double beta1, double beta2, double epsilon)
    : Optimizer("adam", learning_rate), beta1_(beta1), beta2_(beta2), epsilon_(epsilon) {
  check_factor(rule(), "beta1", beta1);
  check_factor(rule(), "beta2", beta2);
  check_epsilon(rule(), epsilon);
}

void Adam::update(const Parameter& p) {
  Tensor& first = slot(p, "m");
  Tensor& second = slot(p, "v");
  double& t = counter(p, "t");
  t += 1;  // before the bias correction, as in the seed
  const double correction1 = 1 - std::pow(beta1_, t);
  const double correction2 = 1 - std::pow(beta2_, t);
  with_arrays(p, [&](auto w, auto dw, auto zero) {
    using T = decltype(zero);
    auto m = as_array<T>(first);
    auto v = as_array<T>(second);
    const T b1 = static_cast<T>(beta1_), b2 = static_cast<T>(beta2_);
    m = b1 * m + (T(1) - b1) * dw;
    v = b2 * v + (T(1) - b2) * dw.square();
    w -= static_cast<T>(learning_rate() / correction1) * m /
         ((v * static_cast<T>(1 / correction2)).sqrt() + static_cast<T>(epsilon_));
  });
}

std::unique_ptr<Optimizer> make_optimizer(std::string_view rule, const OptimConfig& config) {
  const auto lr = [&](double fallback) { return config.learning_rate.value_or(fallback); };
  if (rule == "sgd") return std::make_unique<Sgd>(lr(1e-2));
  if (rule == "sgd_momentum") return std::make_unique<SgdMomentum>(lr(1e-2), config.momentum);
  if (rule == "rmsprop") {
    return std::make_unique<RmsProp>(lr(1e-2), config.decay_rate, config.epsilon);
  }
  if (rule == "adam") {
    return std::make_unique<Adam>(lr(1e-3), config.beta1, config.beta2, config.epsilon);
  }
  throw ArgumentError(fmt::format(
      "update_rule: unknown rule '{}' (expected sgd, sgd_momentum, rmsprop or adam)", rule));
}

}  // namespace tg
