#include "ops/recurrent/recurrent_kernels.h"

#include "graph/checks.h"

namespace tg {

RecurrentDims check_recurrent_inputs(std::string_view op, bool sequence, const Tensor& x,
                                     std::string_view h_name, const Tensor& h, const Tensor& wx,
                                     const Tensor& wh, int gates) {
  check_rank(op, sequence ? "x (N, T, D)" : "x (N, D)", x, sequence ? 3 : 2);
  check_rank(op, std::string(h_name) + " (N, H)", h, 2);
  check_rank(op, "wx", wx, 2);
  check_rank(op, "wh", wh, 2);
  check_same_dtype(op, "x", x, h_name, h);
  check_same_dtype(op, "x", x, "wx", wx);
  check_same_dtype(op, "x", x, "wh", wh);
  const RecurrentDims dims{x.dim(0), sequence ? x.dim(1) : 1, x.dim(-1), h.dim(1)};
  const std::int64_t width = gates * dims.h;
  if (h.dim(0) != dims.n) {
    fail(op, "{} must have shape (N, H) with N = {} (the examples of x {}), got {}", h_name, dims.n,
         shape_str(x), shape_str(h));
  }
  const char* width_name = gates == 1 ? "H" : gates == 3 ? "3H" : "4H";
  if (wx.shape() != Shape{dims.d, width}) {
    fail(op, "wx must have shape (D, {}) = ({},{}) for x {} and {} {}, got {}", width_name, dims.d,
         width, shape_str(x), h_name, shape_str(h), shape_str(wx));
  }
  if (wh.shape() != Shape{dims.h, width}) {
    fail(op, "wh must have shape (H, {}) = ({},{}) for {} {}, got {}", width_name, dims.h, width,
         h_name, shape_str(h), shape_str(wh));
  }
  return dims;
}

RecurrentDims cache_dims(std::string_view op, std::string_view forward_op, bool sequence,
                         const Tensor& x, const Tensor& wh) {
  const RecurrentDims dims{x.dim(0), x.dim(1), x.dim(2), wh.dim(0)};
  if (!sequence && dims.t != 1) {
    fail(op, "the cache is of a sequence of {} steps (from {}), not of one step", dims.t,
         forward_op);
  }
  return dims;
}

void check_recurrent_bias(std::string_view op, std::string_view what, const Tensor& b,
                          std::int64_t size, const Tensor& x) {
  check_vector(op, what, b, size);
  check_same_dtype(op, "x", x, what, b);
}

void check_recurrent_dout(std::string_view op, std::string_view what, bool sequence,
                          const Tensor& dout, const RecurrentDims& dims, const Tensor& like) {
  check_shape(op, what, dout, sequence ? Shape{dims.n, dims.t, dims.h} : Shape{dims.n, dims.h});
  check_same_dtype(op, what, dout, "x", like);
}

}  // namespace tg
