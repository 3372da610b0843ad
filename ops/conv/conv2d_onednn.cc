#include "ops/conv/conv2d_onednn.h"

#include <omp.h>

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "graph/buffer.h"
#include "graph/errors.h"
#include "graph/format.h"
#include "graph/parallel.h"

namespace tg {
namespace {

using dnnl::memory;
using Dims = memory::dims;
using Tag = memory::format_tag;

using Pass = Conv2dPass;

const char* name_of(Pass pass) {
  switch (pass) {
    case Pass::forward:
      return "forward";
    case Pass::backward_data:
      return "backward_data";
    case Pass::backward_weights:
      return "backward_weights";
  }
  return "?";
}

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// The thread count a oneDNN call made here runs on (oneDNN's own rule: one
// inside a parallel region).
int current_threads() { return omp_in_parallel() ? 1 : omp_get_max_threads(); }

// omp_get_max_threads() is `threads` for the scope's life: oneDNN reads it
// when it creates a primitive, and splits the work for that many threads.
class ThreadCountScope {
 public:
  explicit ThreadCountScope(int threads) : saved_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~ThreadCountScope() { omp_set_num_threads(saved_); }
  ThreadCountScope(const ThreadCountScope&) = delete;
  ThreadCountScope& operator=(const ThreadCountScope&) = delete;

 private:
  int saved_;
};

// A tensor as the caller holds it.
memory::desc plain(const Dims& dims, Tag tag) {
  return memory::desc(dims, memory::data_type::f32, tag);
}
// A tensor in whatever layout the primitive prefers (blocked ones, as
// nChw16c, are oneDNN's fast paths).
memory::desc any(const Dims& dims) { return plain(dims, Tag::any); }

// One tensor a primitive reads or writes: its plain layout (the caller's),
// the layout the primitive chose, and the reorder between them when they
// differ (plain to chosen for an input, chosen to plain for an output).
struct Argument {
  int id = 0;  // DNNL_ARG_SRC, ...
  bool output = false;
  memory::desc plain, chosen;
  bool reordered = false;
  dnnl::reorder convert;
};

struct ArgumentSpec {
  int id;
  memory::desc plain;
};

// A primitive bound to plain tensors. Immutable once made, so several
// threads may run it at once: each run brings its own buffers.
class BoundPrimitive {
 public:
  BoundPrimitive(const dnnl::primitive_desc& pd, const std::vector<ArgumentSpec>& inputs,
                 const std::vector<ArgumentSpec>& outputs)
      : primitive_(pd), scratchpad_(pd.scratchpad_desc()), implementation_(pd.impl_info_str()) {
    for (const ArgumentSpec& spec : inputs) add(pd, spec, /*output=*/false);
    for (const ArgumentSpec& spec : outputs) add(pd, spec, /*output=*/true);
  }

  // data: one pointer per argument, inputs then outputs in the constructor's
  // order. Outputs are overwritten.
  void run(const std::vector<void*>& data) const {
    const dnnl::engine& engine = cpu_engine();
    dnnl::stream stream(engine);
    std::vector<Buffer> buffers;  // the tensors in the primitive's layouts, for this run
    buffers.reserve(arguments_.size() + 1);
    std::unordered_map<int, memory> args;
    std::vector<std::tuple<const Argument*, memory, memory>> outputs;  // (argument, chosen, plain)
    for (std::size_t i = 0; i < arguments_.size(); ++i) {
      const Argument& a = arguments_[i];
      memory user(a.plain, engine, data[i]);
      if (!a.reordered) {
        args[a.id] = user;
        continue;
      }
      memory chosen(a.chosen, engine, buffers.emplace_back(a.chosen.get_size()).data());
      if (a.output) {
        outputs.emplace_back(&a, chosen, user);  // reordered out after the run
      } else {
        a.convert.execute(stream, user, chosen);
      }
      args[a.id] = chosen;
    }
    if (scratchpad_.get_size() > 0) {
      args[DNNL_ARG_SCRATCHPAD] =
          memory(scratchpad_, engine, buffers.emplace_back(scratchpad_.get_size()).data());
    }
    primitive_.execute(stream, args);
    for (auto& [a, chosen, user] : outputs) a->convert.execute(stream, chosen, user);
    stream.wait();
  }

  const std::string& implementation() const { return implementation_; }

 private:
  void add(const dnnl::primitive_desc& pd, const ArgumentSpec& spec, bool output) {
    Argument a;
    a.id = spec.id;
    a.output = output;
    a.plain = spec.plain;
    a.chosen = pd.query_md(dnnl::query::exec_arg_md, spec.id);
    a.reordered = !(a.chosen == a.plain);
    if (a.reordered) {
      const dnnl::engine& engine = cpu_engine();
      a.convert =
          dnnl::reorder(output ? dnnl::reorder::primitive_desc(engine, a.chosen, engine, a.plain)
                               : dnnl::reorder::primitive_desc(engine, a.plain, engine, a.chosen));
    }
    arguments_.push_back(std::move(a));
  }

  dnnl::primitive primitive_;
  memory::desc scratchpad_;
  std::string implementation_;
  std::vector<Argument> arguments_;
};

// The oneDNN dimensions of a convolution.
struct ConvDims {
  explicit ConvDims(const Conv2dGeometry& g)
      : x{g.n, g.c, g.h, g.w},
        w{g.f, g.c, g.kh, g.kw},
        b{g.f},
        y{g.n, g.f, g.oh, g.ow},
        strides{g.stride, g.stride},
        pad{g.pad, g.pad} {}
  Dims x, w, b, y, strides;
  // The windows tile the padded input (conv2d_geometry checks it), so the
  // bottom and right padding equal the top and left.
  Dims pad;
};

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// Also the hint the backward passes are made from.
dnnl::convolution_forward::primitive_desc forward_pd(const ConvDims& d) {
  const dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, any(d.x), any(d.w),
      plain(d.b, Tag::x), any(d.y), d.strides, d.pad, d.pad);
  return {desc, user_scratchpad(), cpu_engine()};
}

std::unique_ptr<BoundPrimitive> make_primitive(Pass pass, const Conv2dGeometry& g) {
  const ConvDims d(g);
  const auto hint = forward_pd(d);
  const ArgumentSpec x{DNNL_ARG_SRC, plain(d.x, Tag::nchw)};
  const ArgumentSpec w{DNNL_ARG_WEIGHTS, plain(d.w, Tag::oihw)};
  const ArgumentSpec b{DNNL_ARG_BIAS, plain(d.b, Tag::x)};
  const ArgumentSpec y{DNNL_ARG_DST, plain(d.y, Tag::nchw)};
  const ArgumentSpec dx{DNNL_ARG_DIFF_SRC, x.plain};
  const ArgumentSpec dw{DNNL_ARG_DIFF_WEIGHTS, w.plain};
  const ArgumentSpec db{DNNL_ARG_DIFF_BIAS, b.plain};
  const ArgumentSpec dy{DNNL_ARG_DIFF_DST, y.plain};
  switch (pass) {
    case Pass::forward:
      return std::make_unique<BoundPrimitive>(hint, std::vector{x, w, b}, std::vector{y});
    case Pass::backward_data: {
      const dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct,
                                                       any(d.x), any(d.w), any(d.y), d.strides,
                                                       d.pad, d.pad);
      const dnnl::convolution_backward_data::primitive_desc pd(desc, user_scratchpad(),
                                                               cpu_engine(), hint);
      return std::make_unique<BoundPrimitive>(pd, std::vector{dy, w}, std::vector{dx});
    }
    case Pass::backward_weights: {
      const dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct,
                                                          any(d.x), any(d.w), plain(d.b, Tag::x),
                                                          any(d.y), d.strides, d.pad, d.pad);
      const dnnl::convolution_backward_weights::primitive_desc pd(desc, user_scratchpad(),
                                                                  cpu_engine(), hint);
      return std::make_unique<BoundPrimitive>(pd, std::vector{x, dy}, std::vector{dw, db});
    }
  }
  return nullptr;
}

// oneDNN's errors as tapegrad's: the op, the pass and the shapes first.
[[noreturn]] void rethrow(const dnnl::error& e, Pass pass, const Conv2dGeometry& g) {
  const std::string message =
      fmt::format("conv2d: oneDNN's {} of x ({},{},{},{}), w ({},{},{},{}) failed: {}",
                  name_of(pass), g.n, g.c, g.h, g.w, g.f, g.c, g.kh, g.kw, e.what());
  if (e.status == dnnl_out_of_memory) throw MemoryError(message);
  throw Error(message);
}

// The primitive of this pass and geometry, created for `threads` threads on
// first use and kept (see the header).
const BoundPrimitive& primitive_for(Pass pass, const Conv2dGeometry& g, int threads) {
  using Key = std::array<std::int64_t, 11>;
  static std::mutex mutex;
  static std::map<Key, std::unique_ptr<const BoundPrimitive>> cache;
  const Key key{static_cast<std::int64_t>(pass),
                g.n,
                g.c,
                g.h,
                g.w,
                g.f,
                g.kh,
                g.kw,
                g.stride,
                g.pad,
                threads};
  const std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<const BoundPrimitive>& slot = cache[key];
  if (!slot) {
    const ThreadCountScope scope(threads);
    try {
      slot = make_primitive(pass, g);
    } catch (const dnnl::error& e) {
      rethrow(e, pass, g);
    }
  }
  return *slot;
}

void run(const BoundPrimitive& primitive, const std::vector<void*>& data, Pass pass,
         const Conv2dGeometry& g) {
  try {
    primitive.run(data);
  } catch (const dnnl::error& e) {
    rethrow(e, pass, g);
  }
}

// A float32 input as oneDNN takes it (it only reads inputs).
void* input(const Tensor& t) { return const_cast<float*>(t.data<float>()); }

// The address of image `first` of a float32 batch tensor, an input.
void* images_from(const Tensor& t, std::int64_t first) {
  return static_cast<float*>(input(t)) + first * (t.numel() / t.dim(0));
}

// The same convolution over `n` images.
Conv2dGeometry with_batch(Conv2dGeometry g, std::int64_t n) {
  g.n = n;
  return g;
}

}  // namespace

Tensor conv2d_onednn_forward(const Conv2dGeometry& g, const Tensor& x, const Tensor& w,
                             const Tensor& b) {
  Tensor out = Tensor::empty({g.n, g.f, g.oh, g.ow});
  const BoundPrimitive& primitive = primitive_for(Pass::forward, g, current_threads());
  enter_compute_on_all_threads();
  run(primitive, {input(x), input(w), input(b), out.data<float>()}, Pass::forward, g);
  return out;
}

Tensor conv2d_onednn_backward_data(const Conv2dGeometry& g, const Tensor& dout, const Tensor& w) {
  Tensor dx = Tensor::empty({g.n, g.c, g.h, g.w});
  const BoundPrimitive& primitive = primitive_for(Pass::backward_data, g, current_threads());
  enter_compute_on_all_threads();
  run(primitive, {input(dout), input(w), dx.data<float>()}, Pass::backward_data, g);
  return dx;
}

Conv2dGrads conv2d_onednn_backward_weights(const Conv2dGeometry& g, const Tensor& dout,
                                           const Tensor& x) {
  // dW = sum over chunks of the chunk's dW, in chunk order; each chunk on
  // one thread (see the header). Primitives are made here, before the
  // threads start.
  const std::int64_t chunks = (g.n + kImagesPerWeightChunk - 1) / kImagesPerWeightChunk;
  const std::int64_t last_chunk_images = g.n - (chunks - 1) * kImagesPerWeightChunk;
  const BoundPrimitive& full_chunk =
      primitive_for(Pass::backward_weights, with_batch(g, std::min(g.n, kImagesPerWeightChunk)), 1);
  const BoundPrimitive& last_chunk =
      primitive_for(Pass::backward_weights, with_batch(g, last_chunk_images), 1);
  std::vector<Tensor> dw_parts(static_cast<std::size_t>(chunks));
  std::vector<Tensor> db_parts(static_cast<std::size_t>(chunks));
  parallel_for(chunks, 1, [&](std::int64_t first_chunk, std::int64_t end_chunk) {
    // One chunk runs on the calling thread outside a parallel region, where
    // oneDNN would execute the primitive on all threads (its GEMM-based
    // kernels then split dW's sums by thread count): one thread, always.
    const ThreadCountScope one_thread(1);
    for (std::int64_t chunk = first_chunk; chunk < end_chunk; ++chunk) {
      Tensor& dw = dw_parts[chunk] = Tensor::empty({g.f, g.c, g.kh, g.kw});
      Tensor& db = db_parts[chunk] = Tensor::empty({g.f});
      const std::int64_t first = chunk * kImagesPerWeightChunk;
      run(chunk + 1 < chunks ? full_chunk : last_chunk,
          {images_from(x, first), images_from(dout, first), dw.data<float>(), db.data<float>()},
          Pass::backward_weights, g);
    }
  });
  Conv2dGrads grads;
  grads.dw = std::move(dw_parts[0]);
  grads.db = std::move(db_parts[0]);
  for (std::int64_t chunk = 1; chunk < chunks; ++chunk) {
    grads.dw.add_(dw_parts[chunk]);
    grads.db.add_(db_parts[chunk]);
  }
  return grads;
}

bool conv2d_onednn_has_direct_kernel(const Conv2dGeometry& g, Conv2dPass pass) {
  if (pass == Pass::backward_weights) return true;
  const std::string name = conv2d_onednn_implementation(g, pass);
  return name.rfind("jit:", 0) == 0 || name.rfind("jit_1x1:", 0) == 0;
}

std::string conv2d_onednn_implementation(const Conv2dGeometry& g, Conv2dPass pass) {
  if (pass == Pass::backward_weights) {
    return primitive_for(pass, with_batch(g, std::min(g.n, kImagesPerWeightChunk)), 1)
        .implementation();
  }
  return primitive_for(pass, g, current_threads()).implementation();
}

}  // namespace tg
