// The update rules of the seed's optim.py, the nndl notebook's Nesterov
// momentum and PyTorch's AdamW. With w a parameter, dw its gradient and lr
// the learning rate:
//   sgd:          w -= lr dw
//   sgd_momentum: v = momentum v - lr dw;  w += v
//   sgd_nesterov_momentum:
//                 v_new = momentum v - lr dw;  w += -momentum v + (1 + momentum) v_new
//   rmsprop:      s = decay s + (1 - decay) dw^2;  w -= lr dw / (sqrt(s) + eps)
//   adam:         t += 1;  m = b1 m + (1 - b1) dw;  v = b2 v + (1 - b2) dw^2;
//                 w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
//   adamw:        t += 1;  w *= 1 - lr weight_decay  (decoupled weight decay);
//                 m, v as adam;  w -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//                 (torch.optim.AdamW, operation for operation)
#pragma once

#include "optim/optimizer.h"

namespace tg {

class Sgd : public Optimizer {
 public:
  explicit Sgd(double learning_rate = 1e-2);

 protected:
  void update(const Parameter& p) override;
};

class SgdMomentum : public Optimizer {
 public:
  explicit SgdMomentum(double learning_rate = 1e-2, double momentum = 0.9);

 protected:
  void update(const Parameter& p) override;

 private:
  double momentum_;
};

class SgdNesterov : public Optimizer {
 public:
  explicit SgdNesterov(double learning_rate = 1e-2, double momentum = 0.9);

 protected:
  void update(const Parameter& p) override;

 private:
  double momentum_;
};

class RmsProp : public Optimizer {
 public:
  explicit RmsProp(double learning_rate = 1e-2, double decay_rate = 0.99, double epsilon = 1e-8);

 protected:
  void update(const Parameter& p) override;

 private:
  double decay_rate_, epsilon_;
};

class Adam : public Optimizer {
 public:
  explicit Adam(double learning_rate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double epsilon = 1e-8);

 protected:
  void update(const Parameter& p) override;

 private:
  double beta1_, beta2_, epsilon_;
};

class AdamW : public Optimizer {
 public:
  explicit AdamW(double learning_rate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                 double epsilon = 1e-8, double weight_decay = 1e-2);

 protected:
  void update(const Parameter& p) override;

 private:
  double beta1_, beta2_, epsilon_, weight_decay_;
};

}  // namespace tg
