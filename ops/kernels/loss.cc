#include "ops/kernels/loss.h"

namespace tg {

Var finish_loss(Op& op, LossAndGrad result) {
  Tensor out = Tensor::full({}, result.loss, op.input(0).dtype());
  return op.finish(std::move(out),
                   [dscores = std::move(result.dscores)](const Tensor& dout, InputGrads& grads) {
                     const double upstream = dout.item();
                     grads.add(0, upstream == 1.0 ? dscores : dscores.clone().scale_(upstream));
                   });
}

}  // namespace tg
