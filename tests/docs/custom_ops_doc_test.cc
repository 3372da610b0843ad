// docs/custom_ops.md's examples, built from the page itself (see the genrule
// in tests/BUILD): the composed and the hand-written leaky ReLU agree and
// pass their gradient checks, and so does the two-output op.
#include "tests/docs/custom_ops_doc.h"

#include <doctest/doctest.h>

TEST_CASE("docs/custom_ops.md: leaky ReLU composed and by hand agree, forward and backward") {
  tg::Rng rng(3);
  const tg::Tensor x = tg::Tensor::randn({3, 4}, rng, tg::DType::f64);
  tg::Tape tape;
  const tg::Var v = tape.variable(x);
  const tg::Var composed = my::leaky_relu(v, 0.2);
  const tg::Var by_hand = my::leaky_relu_by_hand(v, 0.2);
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double in = x.data<double>()[i];
    CHECK(composed.value().data<double>()[i] == doctest::Approx(in > 0 ? in : 0.2 * in));
    CHECK(by_hand.value().data<double>()[i] == composed.value().data<double>()[i]);
  }
  CHECK(my::leaky_relu_gradient_error(false) < 1e-7);
  CHECK(my::leaky_relu_gradient_error(true) < 1e-7);
}

TEST_CASE("docs/custom_ops.md: the two-output op") {
  CHECK(my::sum_and_product_gradient_error() < 1e-7);
  // Only the product used: the sum's gradient is undefined and skipped.
  tg::Tape tape;
  const tg::Var a = tape.variable(tg::Tensor::from_values({2}, {2.0, 3.0}, tg::DType::f64));
  const tg::Var b = tape.variable(tg::Tensor::from_values({2}, {5.0, 7.0}, tg::DType::f64));
  tape.backward(tg::sum(my::sum_and_product(a, b)[1]));
  CHECK(a.grad().to_vector() == std::vector<double>{5.0, 7.0});
  CHECK(b.grad().to_vector() == std::vector<double>{2.0, 3.0});
}
