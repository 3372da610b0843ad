// Gaussian error linear unit, elementwise: out = x * Phi(x), Phi the standard
// normal CDF (Hendrycks & Gimpel 2016), as PyTorch's gelu(x, approximate).
#pragma once

#include "graph/tape.h"
#include "graph/tensor.h"

namespace tg {

enum class GeluApproximation {
  none,  // exact: Phi(x) = (1 + erf(x / sqrt(2))) / 2
  tanh,  // Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2 (GPT-2, BERT)
};

Tensor gelu_forward(const Tensor& x, GeluApproximation approximate = GeluApproximation::none);
// dx = dout * d/dx[x Phi(x)], the derivative of the chosen form.
Tensor gelu_backward(const Tensor& dout, const Tensor& x,
                     GeluApproximation approximate = GeluApproximation::none);

// Tape op.
Var gelu(const Var& x, GeluApproximation approximate = GeluApproximation::none);

}  // namespace tg
