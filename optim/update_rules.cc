#include "optim/update_rules.h"

#include <fmt/format.h>

#include <cmath>
#include <type_traits>
#include <utility>

#include "graph/errors.h"
#include "graph/parallel.h"

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
    throw ArgumentError(
        fmt::format("{}: epsilon must be a finite number > 0, got {}", rule, epsilon));
  }
}

// Calls f(w, dw, first, last) on pieces of the parameter's elements, in
// parallel for large parameters. T is the parameter's scalar type.
template <class F>
void for_elements(const Parameter& p, F&& f) {
  dispatch(p.value().dtype(), [&](auto zero) {
    using T = decltype(zero);
    T* w = p.value().data<T>();
    const T* dw = std::as_const(p.grad()).template data<T>();
    parallel_for(p.value().numel(), grain_for(4),
                 [&](std::int64_t first, std::int64_t last) { f(w, dw, first, last); });
  });
}

}  // namespace

Sgd::Sgd(double learning_rate) : Optimizer("sgd", learning_rate) {}

void Sgd::update(const Parameter& p) {
  for_elements(p, [&](auto* w, const auto* dw, std::int64_t first, std::int64_t last) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(dw)>>;
    const T lr = static_cast<T>(learning_rate());
#pragma omp simd
    for (std::int64_t i = first; i < last; ++i) w[i] -= lr * dw[i];
  });
}

SgdMomentum::SgdMomentum(double learning_rate, double momentum)
    : Optimizer("sgd_momentum", learning_rate), momentum_(momentum) {
  check_factor(rule(), "momentum", momentum);
}

void SgdMomentum::update(const Parameter& p) {
  Tensor& velocity = slot(p, "velocity");
  for_elements(p, [&](auto* w, const auto* dw, std::int64_t first, std::int64_t last) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(dw)>>;
    T* v = velocity.data<T>();
    const T mu = static_cast<T>(momentum_), lr = static_cast<T>(learning_rate());
#pragma omp simd
    for (std::int64_t i = first; i < last; ++i) {
      v[i] = mu * v[i] - lr * dw[i];
      w[i] += v[i];
    }
  });
}

SgdNesterov::SgdNesterov(double learning_rate, double momentum)
    : Optimizer("sgd_nesterov_momentum", learning_rate), momentum_(momentum) {
  check_factor(rule(), "momentum", momentum);
}

void SgdNesterov::update(const Parameter& p) {
  Tensor& velocity = slot(p, "velocity");
  for_elements(p, [&](auto* w, const auto* dw, std::int64_t first, std::int64_t last) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(dw)>>;
    T* v = velocity.data<T>();
    const T mu = static_cast<T>(momentum_), lr = static_cast<T>(learning_rate());
#pragma omp simd
    for (std::int64_t i = first; i < last; ++i) {
      const T v_new = mu * v[i] - lr * dw[i];
      w[i] += -mu * v[i] + (T(1) + mu) * v_new;
      v[i] = v_new;
    }
  });
}

RmsProp::RmsProp(double learning_rate, double decay_rate, double epsilon)
    : Optimizer("rmsprop", learning_rate), decay_rate_(decay_rate), epsilon_(epsilon) {
  check_factor(rule(), "decay_rate", decay_rate);
  check_epsilon(rule(), epsilon);
}

void RmsProp::update(const Parameter& p) {
  Tensor& cache = slot(p, "cache");
  for_elements(p, [&](auto* w, const auto* dw, std::int64_t first, std::int64_t last) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(dw)>>;
    T* s = cache.data<T>();
    const T decay = static_cast<T>(decay_rate_), lr = static_cast<T>(learning_rate());
    const T eps = static_cast<T>(epsilon_);
#pragma omp simd
    for (std::int64_t i = first; i < last; ++i) {
      s[i] = decay * s[i] + (T(1) - decay) * dw[i] * dw[i];
      w[i] -= lr * dw[i] / (std::sqrt(s[i]) + eps);
    }
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
  for_elements(p, [&](auto* w, const auto* dw, std::int64_t begin, std::int64_t end) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(dw)>>;
    T* m = first.data<T>();
    T* v = second.data<T>();
    const T b1 = static_cast<T>(beta1_), b2 = static_cast<T>(beta2_);
    const T step = static_cast<T>(learning_rate() / correction1);
    const T unbias = static_cast<T>(1 / correction2), eps = static_cast<T>(epsilon_);
#pragma omp simd
    for (std::int64_t i = begin; i < end; ++i) {
      m[i] = b1 * m[i] + (T(1) - b1) * dw[i];
      v[i] = b2 * v[i] + (T(1) - b2) * dw[i] * dw[i];
      w[i] -= step * m[i] / (std::sqrt(v[i] * unbias) + eps);
    }
  });
}

AdamW::AdamW(double learning_rate, double beta1, double beta2, double epsilon, double weight_decay)
    : Optimizer("adamw", learning_rate),
      beta1_(beta1),
      beta2_(beta2),
      epsilon_(epsilon),
      weight_decay_(weight_decay) {
  check_factor(rule(), "beta1", beta1);
  check_factor(rule(), "beta2", beta2);
  check_epsilon(rule(), epsilon);
  if (!(weight_decay >= 0) || !std::isfinite(weight_decay)) {
    throw ArgumentError(
        fmt::format("{}: weight_decay must be a finite number >= 0, got {}", rule(), weight_decay));
  }
}

void AdamW::update(const Parameter& p) {
  Tensor& first = slot(p, "m");
  Tensor& second = slot(p, "v");
  double& t = counter(p, "t");
  t += 1;
  const double correction1 = 1 - std::pow(beta1_, t);
  const double correction2 = 1 - std::pow(beta2_, t);
  for_elements(p, [&](auto* w, const auto* dw, std::int64_t begin, std::int64_t end) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(dw)>>;
    T* m = first.data<T>();
    T* v = second.data<T>();
    const T b1 = static_cast<T>(beta1_), b2 = static_cast<T>(beta2_);
    const T decay = static_cast<T>(1 - learning_rate() * weight_decay_);
    const T step = static_cast<T>(learning_rate() / correction1);
    const T root_correction2 = static_cast<T>(std::sqrt(correction2));
    const T eps = static_cast<T>(epsilon_);
#pragma omp simd
    for (std::int64_t i = begin; i < end; ++i) {
      w[i] *= decay;
      m[i] = b1 * m[i] + (T(1) - b1) * dw[i];
      v[i] = b2 * v[i] + (T(1) - b2) * dw[i] * dw[i];
      w[i] -= step * m[i] / (std::sqrt(v[i]) / root_correction2 + eps);
    }
  });
}

std::unique_ptr<Optimizer> make_optimizer(std::string_view rule, const OptimConfig& config) {
  const auto lr = [&](double fallback) { return config.learning_rate.value_or(fallback); };
  if (rule == "sgd") return std::make_unique<Sgd>(lr(1e-2));
  if (rule == "sgd_momentum") return std::make_unique<SgdMomentum>(lr(1e-2), config.momentum);
  if (rule == "sgd_nesterov_momentum") {
    return std::make_unique<SgdNesterov>(lr(1e-2), config.momentum);
  }
  if (rule == "rmsprop") {
    return std::make_unique<RmsProp>(lr(1e-2), config.decay_rate, config.epsilon);
  }
  if (rule == "adam") {
    return std::make_unique<Adam>(lr(1e-3), config.beta1, config.beta2, config.epsilon);
  }
  if (rule == "adamw") {
    return std::make_unique<AdamW>(lr(1e-3), config.beta1, config.beta2, config.epsilon,
                                   config.weight_decay);
  }
  throw ArgumentError(fmt::format(
      "update_rule: unknown rule '{}' (expected sgd, sgd_momentum, sgd_nesterov_momentum, rmsprop, "
      "adam or adamw)",
      rule));
}

}  // namespace tg
