// The update rules against the seed's formulas and its notebook's numbers,
// state save/restore and argument errors (the schedules: schedule_test.cc).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "graph/errors.h"
#include "graph/parameter.h"
#include "optim/clip.h"
#include "optim/optimizer.h"
#include "optim/update_rules.h"

using namespace tg;

namespace {

constexpr int kN = 4, kD = 5;

// np.linspace(low, high, num=N*D).reshape(N, D) as float64.
Tensor linspace(double low, double high) {
  std::vector<double> values(kN * kD);
  for (int i = 0; i < kN * kD; ++i) values[i] = low + (high - low) * i / (kN * kD - 1);
  return Tensor::from_values({kN, kD}, values, DType::f64);
}

// The seed's optimizer test set-up: w = linspace(-0.4, 0.6), dw = linspace(-0.6, 0.4).
Parameter seed_parameter() {
  Parameter w("w", linspace(-0.4, 0.6));
  w.grad().copy_(linspace(-0.6, 0.4));
  return w;
}

void check_elementwise(const Tensor& actual, const std::vector<double>& expected) {
  const std::vector<double> a = actual.to_vector();
  REQUIRE(a.size() == expected.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CAPTURE(i);
    CHECK(a[i] == doctest::Approx(expected[i]).epsilon(1e-12));
  }
}

}  // namespace

TEST_CASE("sgd: w -= lr dw") {
  Parameter w = seed_parameter();
  const std::vector<double> w0 = w.value().to_vector(), dw = w.grad().to_vector();
  Sgd(1e-2).step({w});
  std::vector<double> expected(w0.size());
  for (std::size_t i = 0; i < w0.size(); ++i) expected[i] = w0[i] - 1e-2 * dw[i];
  check_elementwise(w.value(), expected);
}

TEST_CASE("sgd_momentum: the seed notebook's case") {
  Parameter w = seed_parameter();
  SgdMomentum optimizer(1e-3, 0.9);
  optimizer.load_state({"sgd_momentum", {{"w/velocity", linspace(0.6, 0.9)}}});
  const std::vector<double> w0 = w.value().to_vector(), dw = w.grad().to_vector();
  const std::vector<double> v0 = linspace(0.6, 0.9).to_vector();
  optimizer.step({w});
  std::vector<double> expected_w(w0.size()), expected_v(w0.size());
  for (std::size_t i = 0; i < w0.size(); ++i) {
    expected_v[i] = 0.9 * v0[i] - 1e-3 * dw[i];
    expected_w[i] = w0[i] + expected_v[i];
  }
  check_elementwise(w.value(), expected_w);
  check_elementwise(optimizer.state().slots.at("w/velocity"), expected_v);
  // The notebook's expected_next_w, first and last entries.
  CHECK(w.value().at<double>(0, 0) == doctest::Approx(0.1406).epsilon(1e-9));
  CHECK(w.value().at<double>(3, 4) == doctest::Approx(1.4096).epsilon(1e-9));
}

TEST_CASE("rmsprop: the seed notebook's case") {
  Parameter w = seed_parameter();
  RmsProp optimizer(1e-2, 0.99, 1e-8);
  optimizer.load_state({"rmsprop", {{"w/cache", linspace(0.6, 0.9)}}});
  const std::vector<double> w0 = w.value().to_vector(), dw = w.grad().to_vector();
  const std::vector<double> c0 = linspace(0.6, 0.9).to_vector();
  optimizer.step({w});
  std::vector<double> expected(w0.size());
  for (std::size_t i = 0; i < w0.size(); ++i) {
    const double cache = 0.99 * c0[i] + 0.01 * dw[i] * dw[i];
    expected[i] = w0[i] - 1e-2 * dw[i] / (std::sqrt(cache) + 1e-8);
  }
  check_elementwise(w.value(), expected);
  CHECK(w.value().at<double>(0, 0) == doctest::Approx(-0.39223849).epsilon(1e-7));
}

TEST_CASE("adam: the seed notebook's case (t = 5 before the step, incremented first)") {
  Parameter w = seed_parameter();
  Adam optimizer(1e-2, 0.9, 0.999, 1e-8);
  optimizer.load_state({"adam",
                        {{"w/m", linspace(0.6, 0.9)},
                         {"w/v", linspace(0.7, 0.5)},
                         {"w/t", Tensor::full({}, 5.0, DType::f64)}}});
  const std::vector<double> w0 = w.value().to_vector(), dw = w.grad().to_vector();
  const std::vector<double> m0 = linspace(0.6, 0.9).to_vector(),
                            v0 = linspace(0.7, 0.5).to_vector();
  optimizer.step({w});
  std::vector<double> expected(w0.size());
  for (std::size_t i = 0; i < w0.size(); ++i) {
    const double m = 0.9 * m0[i] + 0.1 * dw[i];
    const double v = 0.999 * v0[i] + 0.001 * dw[i] * dw[i];
    const double m_hat = m / (1 - std::pow(0.9, 6)), v_hat = v / (1 - std::pow(0.999, 6));
    expected[i] = w0[i] - 1e-2 * m_hat / (std::sqrt(v_hat) + 1e-8);
  }
  check_elementwise(w.value(), expected);
  CHECK(w.value().at<double>(0, 0) == doctest::Approx(-0.40094747).epsilon(1e-7));
  CHECK(optimizer.state().slots.at("w/t").item() == 6.0);
}

TEST_CASE("Every rule minimises a quadratic, in float32 and float64") {
  for (const char* rule : {"sgd", "sgd_momentum", "rmsprop", "adam"}) {
    for (DType dtype : {DType::f32, DType::f64}) {
      CAPTURE(rule);
      CAPTURE(name_of(dtype));
      // f(w) = 0.5 |w - target|^2, gradient w - target.
      const Tensor target = Tensor::from_values({3}, {1.0, -2.0, 0.5}, dtype);
      Parameter w("w", Tensor::zeros({3}, dtype));
      OptimConfig config;
      config.learning_rate = 0.05;
      auto optimizer = make_optimizer(rule, config);
      for (int step = 0; step < 2000; ++step) {
        w.grad().copy_(w.value());
        w.grad().add_(target, -1.0);
        optimizer->step({w});
      }
      const std::vector<double> got = w.value().to_vector(), want = target.to_vector();
      for (int i = 0; i < 3; ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-2));
    }
  }
}

TEST_CASE("Optimizer state round-trips: a restored optimizer continues identically") {
  Parameter a = seed_parameter(), b = seed_parameter();
  Adam first(1e-2), second(1e-2);
  for (int i = 0; i < 3; ++i) first.step({a});
  b.value().copy_(a.value());
  second.load_state(first.state());
  first.step({a});
  second.step({b});
  CHECK(a.value().to_vector() == b.value().to_vector());
  CHECK_THROWS_WITH_AS(Sgd().load_state(first.state()),
                       "sgd: cannot load the state of a 'adam' optimizer", ArgumentError);
}

TEST_CASE("make_optimizer applies the seed's defaults and rejects bad settings") {
  CHECK(make_optimizer("sgd")->learning_rate() == 1e-2);
  CHECK(make_optimizer("adam")->learning_rate() == 1e-3);
  CHECK(make_optimizer("rmsprop")->rule() == "rmsprop");
  CHECK_THROWS_WITH_AS(make_optimizer("adagrad"),
                       doctest::Contains("update_rule: unknown rule 'adagrad'"), ArgumentError);
  OptimConfig bad_lr;
  bad_lr.learning_rate = -1;
  CHECK_THROWS_WITH_AS(make_optimizer("sgd", bad_lr),
                       "sgd: learning_rate must be a finite number > 0, got -1", ArgumentError);
  OptimConfig bad_momentum;
  bad_momentum.momentum = 1.0;
  CHECK_THROWS_WITH_AS(make_optimizer("sgd_momentum", bad_momentum),
                       "sgd_momentum: momentum must be in [0, 1), got 1", ArgumentError);
  OptimConfig bad_beta;
  bad_beta.beta2 = -0.1;
  CHECK_THROWS_WITH_AS(make_optimizer("adam", bad_beta), "adam: beta2 must be in [0, 1), got -0.1",
                       ArgumentError);
  Parameter p("p", Tensor::zeros({2}));
  Parameter twin("p", Tensor::zeros({2}));
  CHECK_THROWS_WITH_AS(Sgd().step({p, twin}), doctest::Contains("two parameters are named 'p'"),
                       ArgumentError);
}

TEST_CASE("sgd_nesterov_momentum: the nndl notebook's rule, step by step") {
  Parameter w = seed_parameter();
  SgdNesterov optimizer(1e-3, 0.9);
  optimizer.load_state({"sgd_nesterov_momentum", {{"w/velocity", linspace(0.6, 0.9)}}});
  const std::vector<double> w0 = w.value().to_vector(), dw = w.grad().to_vector();
  const std::vector<double> v0 = linspace(0.6, 0.9).to_vector();
  optimizer.step({w});
  std::vector<double> expected_w(w0.size()), expected_v(w0.size());
  for (std::size_t i = 0; i < w0.size(); ++i) {
    expected_v[i] = 0.9 * v0[i] - 1e-3 * dw[i];
    expected_w[i] = w0[i] - 0.9 * v0[i] + 1.9 * expected_v[i];
  }
  check_elementwise(w.value(), expected_w);
  check_elementwise(optimizer.state().slots.at("w/velocity"), expected_v);
  CHECK(make_optimizer("sgd_nesterov_momentum")->learning_rate() == 1e-2);
}

TEST_CASE("adamw: three steps equal torch.optim.AdamW's (float64)") {
  // torch 1.13: AdamW([w], lr=1e-2, betas=(0.9, 0.999), eps=1e-8,
  // weight_decay=0.1), w = linspace(-0.4, 0.6), gradient (t + 1) *
  // linspace(-0.6, 0.4) at step t = 0, 1, 2.
  const std::vector<double> torch_w = {
      -0.36959900926290373, -0.317125167243142,  -0.26465132523037377,  -0.21217748322709684,
      -0.15970364123715902, -0.107229799266813,  -0.054755957326943105, -0.002282115438328465,
      0.050191726353805574, 0.10266556792885838, 0.15513940882165575,   0.2076132439152847,
      0.20168272084770741,  0.2541565588409201,  0.30663039995676267,   0.3591042415930435,
      0.4115780834103464,   0.46405192531169515, 0.5165257672588873,    0.5689996092338266};
  Parameter w = seed_parameter();
  AdamW optimizer(1e-2, 0.9, 0.999, 1e-8, 0.1);
  const Tensor dw = linspace(-0.6, 0.4);
  for (int t = 0; t < 3; ++t) {
    w.grad().copy_(dw);
    w.grad().scale_(t + 1);
    optimizer.step({w});
  }
  const std::vector<double> got = w.value().to_vector();
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(std::abs(got[i] - torch_w[i]) <= 1e-15);
  }
  CHECK(optimizer.state().slots.count("w/t") == 1);
  OptimConfig bad;
  bad.weight_decay = -1;
  CHECK_THROWS_WITH_AS(make_optimizer("adamw", bad),
                       "adamw: weight_decay must be a finite number >= 0, got -1", ArgumentError);
}

TEST_CASE("clip_grad_norm: the global L2 norm, gradients scaled only above max_norm") {
  Parameter a("a", Tensor::zeros({2}, DType::f64)), b("b", Tensor::zeros({1}, DType::f64));
  a.grad().copy_(Tensor::from_values({2}, {3.0, 0.0}, DType::f64));
  b.grad().copy_(Tensor::from_values({1}, {4.0}, DType::f64));
  CHECK(clip_grad_norm({a, b}, 10.0) == 5.0);  // below: unchanged
  CHECK(a.grad().to_vector() == std::vector<double>{3.0, 0.0});
  CHECK(clip_grad_norm({a, b}, 1.0) == 5.0);  // above: scaled to norm 1 (to 1e-6)
  const double factor = 1.0 / (5.0 + 1e-6);
  CHECK(a.grad().to_vector() == std::vector<double>{3.0 * factor, 0.0});
  CHECK(b.grad().to_vector() == std::vector<double>{4.0 * factor});
  CHECK_THROWS_WITH_AS(clip_grad_norm({a}, 0.0),
                       "clip_grad_norm: max_norm must be a finite number > 0, got 0",
                       ArgumentError);
  b.grad().fill_(std::nan(""));
  CHECK(std::isnan(clip_grad_norm({a, b}, 1.0)));  // left as they are
  CHECK(a.grad().to_vector() == std::vector<double>{3.0 * factor, 0.0});
}
