// The four update rules of the seed's optim.py. With w a parameter, dw its
// gradient and lr the learning rate:
//   sgd:          w -= lr dw
//   sgd_momentum: v = momentum v - lr dw;  w += v
//   rmsprop:      s = decay s + (1 - decay) dw^2;  w -= lr dw / (sqrt(s) + eps)
//   adam:         t += 1;  m = b1 m + (1 - b1) dw;  v = b2 v + (1 - b2) dw^2;
//                 w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
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

}  // namespace tg
