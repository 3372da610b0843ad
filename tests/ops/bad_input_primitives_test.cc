// Bad input to the primitives, table-driven like bad_input_test.cc: wrong
// shapes, ranks, axes, dtypes and values are rejected with an ArgumentError
// whose message starts with the op's name and says what it got.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/tape.h"
#include "ops/index/embedding.h"
#include "ops/index/where.h"
#include "ops/math/add.h"
#include "ops/math/div.h"
#include "ops/math/exp.h"
#include "ops/math/gelu.h"
#include "ops/math/leaky_relu.h"
#include "ops/math/log.h"
#include "ops/math/matmul.h"
#include "ops/math/mul.h"
#include "ops/math/pow.h"
#include "ops/math/scale.h"
#include "ops/math/sigmoid.h"
#include "ops/math/sqrt.h"
#include "ops/math/sub.h"
#include "ops/math/tanh.h"
#include "ops/reduce/max.h"
#include "ops/reduce/mean.h"
#include "ops/reduce/softmax.h"
#include "ops/reduce/sum.h"
#include "ops/shape/concat.h"
#include "ops/shape/permute.h"
#include "ops/shape/reshape.h"
#include "ops/shape/slice.h"
#include "ops/shape/stack.h"

using namespace tg;

namespace {

struct BadInput {
  std::string what;      // the case, for failure messages
  std::string prefix;    // the message must start with this (the op)
  std::string mentions;  // and contain this (what was given)
  std::function<void()> call;
};

Tensor zeros(const Shape& s, DType dtype = DType::f32) { return Tensor::zeros(s, dtype); }

// Calls a tape op on a constant of a fresh tape.
std::function<void()> on_tape(const Tensor& x, std::function<void(const Var&)> f) {
  return [x, f] {
    Tape tape;
    f(tape.constant(x));
  };
}

const double kInf = std::numeric_limits<double>::infinity();

std::vector<BadInput> elementwise_cases() {
  const Tensor x = zeros({2, 3});
  return {
      {"add: no broadcast", "add: ", "got (4)", [=] { add_forward(x, zeros({4})); }},
      {"add: undefined b", "add: ", "undefined", [=] { add_forward(x, Tensor()); }},
      {"add backward: dout", "add backward: ", "got (3)",
       [=] {
         add_backward(zeros({3}), {2, 3}, {3});
       }},
      {"sub: dtypes", "sub: ", "float64", [=] { sub_forward(x, zeros({3}, DType::f64)); }},
      {"sub: no broadcast", "sub: ", "(2,3,4)",
       [=] {
         sub_forward(zeros({2, 3, 4}), x);
       }},
      {"mul: no broadcast", "mul: ", "(3,1,5)",
       [=] {
         mul_forward(zeros({2, 3, 4}), zeros({3, 1, 5}));
       }},
      {"mul backward: dout", "mul backward: ", "got (2,2)",
       [=] {
         mul_backward(zeros({2, 2}), mul_forward(x, zeros({3})).cache);
       }},
      {"div: zero-size", "div: ", "(0,2)",
       [=] {
         div_forward(zeros({0, 2}), zeros({2}));
       }},
      {"div backward: dout", "div backward: ", "got (3)",
       [=] { div_backward(zeros({3}), div_forward(x, x).cache); }},
      {"x + c on a parameter off tape", "Var: ", "not on a tape",
       [] {
         Parameter p("w", Tensor::zeros({2}));
         Var w = p;
         (void)(w + 1.0);
       }},
      {"scale: infinite factor", "scale: ", "inf", [=] { scale_forward(x, kInf); }},
      {"scale: zero-size", "scale: ", "(2,0)",
       [=] {
         scale_forward(zeros({2, 0}), 2);
       }},
      {"exp: zero-size", "exp: ", "(0)", [=] { exp_forward(zeros({0})); }},
      {"exp backward: dout", "exp backward: ", "got (3,2)",
       [=] {
         exp_backward(zeros({3, 2}), x);
       }},
      {"log: undefined", "log: ", "undefined", [] { log_forward(Tensor()); }},
      {"log backward: dtype", "log backward: ", "float64",
       [=] {
         log_backward(zeros({2, 3}, DType::f64), x);
       }},
      {"sqrt backward: dout", "sqrt backward: ", "got (6)", [=] { sqrt_backward(zeros({6}), x); }},
      {"pow: NaN exponent", "pow: ", "nan", [=] { pow_forward(x, std::nan("")); }},
      {"pow backward: dout", "pow backward: ", "got (1)", [=] { pow_backward(zeros({1}), x, 2); }},
      {"tanh: zero-size", "tanh: ", "(3,0)",
       [=] {
         tanh_forward(zeros({3, 0}));
       }},
      {"sigmoid backward: dout", "sigmoid backward: ", "got (3,2)",
       [=] {
         sigmoid_backward(zeros({3, 2}), x);
       }},
      {"leaky_relu: infinite slope", "leaky_relu: ", "inf", [=] { leaky_relu_forward(x, kInf); }},
      {"gelu: zero-size", "gelu: ", "(0,3)",
       [=] {
         gelu_forward(zeros({0, 3}));
       }},
      {"gelu backward: dout", "gelu backward: ", "got (2)",
       [=] { gelu_backward(zeros({2}), x, GeluApproximation::tanh); }},
  };
}

std::vector<BadInput> shape_cases() {
  const Tensor x = zeros({2, 3}), x3 = zeros({2, 3, 4});
  return {
      {"matmul: a of rank 1", "matmul: ", "(3)", [=] { matmul_forward(zeros({3}), x); }},
      {"matmul: inner sizes", "matmul: ", "b (2,3) has 2 rows", [=] { matmul_forward(x, x); }},
      {"matmul: batch sizes", "matmul: ", "got (3,4,2)",
       [=] {
         matmul_forward(x3, zeros({3, 4, 2}));
       }},
      {"matmul: rank 4", "matmul: ", "(1,2,3,4)",
       [=] {
         matmul_forward(zeros({1, 2, 3, 4}), x);
       }},
      {"matmul: 2-D @ 3-D", "matmul: ", "b (2,3,4)",
       [=] {
         matmul_forward(zeros({4, 3}), x3);
       }},
      {"matmul: dtypes", "matmul: ", "float64",
       [=] {
         matmul_forward(x, zeros({3, 2}, DType::f64));
       }},
      {"matmul backward: dout", "matmul backward: ", "got (2,3)",
       [=] {
         matmul_backward(x, matmul_forward(x, zeros({3, 2})).cache);
       }},
      {"permute: too few axes", "permute: ", "got [1,0]",
       [=] {
         permute_forward(x3, {1, 0});
       }},
      {"permute: repeated axis", "permute: ", "got [0,0,1]",
       [=] {
         permute_forward(x3, {0, 0, 1});
       }},
      {"permute backward: axes", "permute backward: ", "got [2]",
       [=] { permute_backward(x, {2}); }},
      {"transpose: rank 3", "transpose: ", "(2,3,4)",
       on_tape(x3, [](const Var& v) { transpose(v); })},
      {"reshape: element count", "reshape: ", "(2,3) (6 elements) as (4) (4 elements)",
       on_tape(x, [](const Var& v) { reshape(v, {4}); })},
      {"reshape: two -1", "reshape: ", "[-1,-1]",
       on_tape(x,
               [](const Var& v) {
                 reshape(v, {-1, -1});
               })},
      {"flatten: start axis", "flatten: ", "axis 2 is out of range for shape (2,3)",
       on_tape(x, [](const Var& v) { flatten(v, 2); })},
      {"slice: end past the size", "slice: ", "[0:4] on axis 1 of size 3",
       [=] { slice_forward(x, 1, 0, 4); }},
      {"slice: empty", "slice: ", "[2:2]", [=] { slice_forward(x, 1, 2, 2); }},
      {"slice: step 0", "slice: ", "got 0", [=] { slice_forward(x, 0, 0, 2, 0); }},
      {"slice: axis", "slice: ", "axis -3", [=] { slice_forward(x, -3, 0, 1); }},
      {"slice: scalar", "slice: ", "()", [] { slice_forward(Tensor::zeros({}), 0, 0, 1); }},
      {"slice backward: dout", "slice backward: ", "got (2,3)",
       [=] {
         slice_backward(x, {2, 3}, 1, 0, 2);
       }},
      {"concat: no inputs", "concat: ", "got none", [] { concat_forward({}, 0); }},
      {"concat: shapes",
       "concat: ", "input 1 must have the shape of input 0 (2,3) apart from axis 0, got (2,4)",
       [=] {
         concat_forward({x, zeros({2, 4})}, 0);
       }},
      {"concat: dtypes", "concat: ", "float64",
       [=] {
         concat_forward({x, zeros({2, 3}, DType::f64)});
       }},
      {"concat: axis", "concat: ", "axis 2",
       [=] {
         concat_forward({x, x}, 2);
       }},
      {"concat backward: dout", "concat backward: ", "got (2,3)",
       [=] {
         concat_backward(x, {{2, 3}, {1, 3}}, 0);
       }},
      {"stack: shapes", "stack: ", "input 1 must have shape (2,3), got (3,2)",
       [=] {
         stack_forward({x, zeros({3, 2})});
       }},
      {"stack: axis", "stack: ", "axis 3",
       [=] {
         stack_forward({x, x}, 3);
       }},
      {"stack: no inputs", "stack: ", "got none", [] { stack_forward({}, 0); }},
      {"stack backward: dout", "stack backward: ", "got (2,3)",
       [=] {
         stack_backward(x, 3, {2, 3}, 0);
       }},
  };
}

std::vector<BadInput> reduction_and_index_cases() {
  const Tensor x = zeros({2, 3});
  return {
      {"sum: axis", "sum: ", "axis 2 is out of range for shape (2,3)", [=] { sum_forward(x, 2); }},
      {"sum: axis of a scalar", "sum: ", "()", [] { sum_forward(Tensor::zeros({}), 0); }},
      {"sum backward: dout", "sum backward: ", "got (2,3)",
       [=] {
         sum_backward(x, {2, 3}, 1);
       }},
      {"mean: axis", "mean: ", "axis -3", [=] { mean_forward(x, -3); }},
      {"mean backward: dout", "mean backward: ", "got (3)",
       [=] {
         mean_backward(zeros({3}), {2, 3}, 1, false);
       }},
      {"max: zero-size", "max: ", "(2,0)",
       [] {
         max_forward(Tensor::zeros({2, 0}), 0);
       }},
      {"max: axis", "max: ", "axis 5", [=] { max_forward(x, 5); }},
      {"max backward: dout", "max backward: ", "got (3)",
       [=] { max_backward(zeros({3}), max_forward(x, 1).cache); }},
      {"softmax: axis", "softmax: ", "axis 2", [=] { softmax_forward(x, 2); }},
      {"log_softmax: scalar", "log_softmax: ", "()",
       [] { log_softmax_forward(Tensor::zeros({})); }},
      {"softmax backward: dout", "softmax backward: ", "got (3,2)",
       [=] {
         softmax_backward(zeros({3, 2}), x);
       }},
      {"log_softmax backward: dtype", "log_softmax backward: ", "float64",
       [=] {
         log_softmax_backward(zeros({2, 3}, DType::f64), x);
       }},
      {"where: mask value", "where: ", "is 2",
       [=] {
         where_forward(Tensor::full({2, 3}, 2), x, x);
       }},
      {"where: a does not broadcast", "where: ", "got (4)",
       [=] { where_forward(x, zeros({4}), x); }},
      {"where: dtypes", "where: ", "float64",
       [=] {
         where_forward(x, x, zeros({2, 3}, DType::f64));
       }},
      {"where backward: dout", "where backward: ", "got (3)",
       [=] { where_backward(zeros({3}), where_forward(x, x, x).cache); }},
      {"embedding: index", "embedding: ", "indices(2) is 7, outside [0, 5)",
       [] {
         embedding_forward(Indices({0, 1, 7}), Tensor::zeros({5, 2}));
       }},
      {"embedding: w of rank 3", "embedding: ", "(5,2,1)",
       [] {
         embedding_forward(Indices({0}), Tensor::zeros({5, 2, 1}));
       }},
      {"embedding: indices of rank 6", "embedding: ", "(1,1,1,1,1,1)",
       [] {
         embedding_forward(Indices({0}, {1, 1, 1, 1, 1, 1}), Tensor::zeros({5, 2}));
       }},
      {"embedding: no indices", "embedding: ", "(0)",
       [] {
         embedding_forward(Indices({}), Tensor::zeros({5, 2}));
       }},
      {"embedding backward: dout", "embedding backward: ", "got (3,3)",
       [] {
         embedding_backward(Tensor::zeros({3, 3}), Indices({0, 1, 2}), {5, 2});
       }},
      {"Indices: count", "Indices: ", "needs 6 values, got 2",
       [] {
         Indices({1, 2}, {2, 3});
       }},
  };
}

void check_cases(const std::vector<BadInput>& cases) {
  for (const BadInput& c : cases) {
    CAPTURE(c.what);
    bool thrown = false;
    try {
      c.call();
    } catch (const ArgumentError& e) {
      thrown = true;
      const std::string message = e.what();
      CAPTURE(message);
      CHECK(message.rfind(c.prefix, 0) == 0);
      CHECK(message.find(c.mentions) != std::string::npos);
    } catch (const TapeError& e) {
      thrown = c.prefix == "Var: ";  // the only case expected to be a tape error
      const std::string message = e.what();
      CAPTURE(message);
      CHECK(message.find(c.mentions) != std::string::npos);
    }
    CHECK(thrown);
  }
}

}  // namespace

TEST_CASE("The elementwise primitives reject bad input naming the op") {
  const std::vector<BadInput> cases = elementwise_cases();
  MESSAGE(cases.size(), " elementwise cases");
  check_cases(cases);
}

TEST_CASE("matmul and the shape primitives reject bad input naming the op") {
  const std::vector<BadInput> cases = shape_cases();
  MESSAGE(cases.size(), " shape cases");
  check_cases(cases);
}

TEST_CASE("Reductions, softmax, where and embedding reject bad input naming the op") {
  const std::vector<BadInput> cases = reduction_and_index_cases();
  MESSAGE(cases.size(), " reduction and indexing cases");
  check_cases(cases);
}
