"""The layers of a tapegrad model in NumPy, for tools/npy_predict.py: how each kind of
layer of params/model.json runs (see nn/layer_spec.h for their definitions) and the
checks of its arrays, settings and shapes. Needs python3-numpy."""

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def shape_text(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


# ----------------------------------------------------------------------------- layers
# Each takes x (N, ...) and the layer's entry of model.json with its arrays
# loaded (see nn/layer_spec.h for the definitions).


def conv2d(x, layer):
    w, stride, pad = layer["w"], layer["stride"], layer["pad"]
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # im2col as a view: (N, C, H_out, W_out, HH, WW).
    windows = sliding_window_view(padded, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, H_out, W_out, F)
    out = out.transpose(0, 3, 1, 2)
    return out + layer["b"][None, :, None, None] if "b" in layer else out


def batchnorm(x, layer):
    """Test mode, with the running statistics; per channel (axis 1)."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    eps = x.dtype.type(layer["eps"])
    inv_std = 1 / np.sqrt(layer["running_var"] + eps)
    x_hat = (x - layer["running_mean"].reshape(shape)) * inv_std.reshape(shape)
    return x_hat * layer["gamma"].reshape(shape) + layer["beta"].reshape(shape)


def layernorm(x, layer):
    """Over the last axis."""
    eps = x.dtype.type(layer["eps"])
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * layer["gamma"] + layer["beta"]


def pool2d(reduce):
    def run(x, layer):
        size, stride = (layer["pool_height"], layer["pool_width"]), layer["stride"]
        windows = sliding_window_view(x, size, axis=(2, 3))[:, :, ::stride, ::stride]
        return reduce(windows, axis=(4, 5))
    return run


def groupnorm(x, layer):
    """Per example and group of channels, over its channels, H and W."""
    n, c, h, w = x.shape
    groups, eps = int(layer["groups"]), x.dtype.type(layer["eps"])
    g = x.reshape(n, groups, -1)
    mean = g.mean(axis=2, keepdims=True)
    var = ((g - mean) ** 2).mean(axis=2, keepdims=True)
    x_hat = ((g - mean) / np.sqrt(var + eps)).reshape(n, c, h, w)
    return x_hat * layer["gamma"][None, :, None, None] + layer["beta"][None, :, None, None]


def linear(x, layer):
    out = x.reshape(x.shape[0], -1) @ layer["w"]
    return out + layer["b"] if "b" in layer else out


def linear_last_axis(x, layer):
    out = x @ layer["w"]
    return out + layer["b"] if "b" in layer else out


def gelu(x, layer):
    """x Phi(x): with erf (approximate 0) or the tanh form (1)."""
    if layer["approximate"]:
        inner = np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)
        return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype)
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return (0.5 * x * (1 + erf(x.astype(np.float64) / math.sqrt(2)))).astype(x.dtype)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def word_embedding(x, layer):
    return layer["w"][x.astype(np.int64)]


def recurrent(cell):
    """The recurrence of ops/recurrent/rnn.h, lstm.h or gru.h from a zero state over x reshaped to
    (N, T, input_dim); every step's hidden state (N, T, H)."""

    def run(x, layer):
        wx, wh = layer["wx"], layer["wh"]
        x = x.reshape(x.shape[0], -1, int(layer["input_dim"]))
        n, steps, hidden = x.shape[0], x.shape[1], wh.shape[0]
        h = np.zeros((n, hidden), x.dtype)
        c = np.zeros((n, hidden), x.dtype)
        states = []
        for t in range(steps):
            if cell == "rnn":
                h = np.tanh(x[:, t] @ wx + h @ wh + layer["b"])
            elif cell == "lstm":  # gates i, f, o, g
                a = x[:, t] @ wx + h @ wh + layer["b"]
                i, f, o = (sigmoid(a[:, k * hidden:(k + 1) * hidden]) for k in range(3))
                c = f * c + i * np.tanh(a[:, 3 * hidden:])
                h = o * np.tanh(c)
            else:  # gru, PyTorch's equations, gates r, z, n
                gx = x[:, t] @ wx + layer["bx"]
                gh = h @ wh + layer["bh"]
                r = sigmoid(gx[:, :hidden] + gh[:, :hidden])
                z = sigmoid(gx[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
                candidate = np.tanh(gx[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
                h = (1 - z) * candidate + z * h
            states.append(h)
        return np.stack(states, axis=1)

    return run


# ----------------------------------------------------------------------------- checks
# Everything model.json says is checked before anything is computed, against one
# table, LAYER_KINDS (below the layers): for each kind of layer the function that
# runs it, the arrays it takes by role, its settings with their checks, and the
# shape it gives for the shape it gets. A new kind of layer (or of op, when the
# export becomes a graph) is one entry there, not new code in the checks.

class Mismatch(Exception):
    """A layer does not fit what it gets: `role` names the array at fault (its .npy
    file is named), None the layer itself (model.json is)."""

    def __init__(self, role, what):
        super().__init__(what)
        self.role = role


def whole_number(minimum):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            return f"must be a whole number of at least {minimum}"
        return None
    return check


def is_number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def positive_number(value):
    # Within float32's range: the model computes with it in its dtype.
    if is_number(value) and 0 < value <= np.finfo(np.float32).max:
        return None
    return "must be a positive number"


def finite_number(value):
    return None if is_number(value) else "must be a finite number"


def zero_or_one(value):
    return None if value in (0, 1) and not isinstance(value, bool) else "must be 0 or 1"


def keep_probability(value):
    return None if is_number(value) and 0 < value <= 1 else "must be a number in (0, 1]"


def pattern_text(pattern):
    return "(" + ", ".join(str(d) for d in pattern) + ("," if len(pattern) == 1 else "") + ")"


def fit(layer, role, pattern, why):
    """The shape of the layer's array `role`, which must match `pattern` (a size, or a
    letter for any size); `why` says where the pattern's sizes come from."""
    shape = layer[role].shape
    if len(shape) != len(pattern) or any(
            isinstance(p, int) and s != p for s, p in zip(shape, pattern)):
        raise Mismatch(role, f"{role} is {shape_text(shape)}, expected {pattern_text(pattern)}: "
                             f"{why}")
    return shape


def takes_rank(x, rank, form):
    if len(x) != rank:
        raise Mismatch(None, f"it takes {form} per example")
    return x


def windows(size, window, stride, what):
    """How many windows of `window` at `stride` tile `size`, as tapegrad's conv and pool
    require (no partial window left over)."""
    if window > size:
        raise Mismatch(None, f"the {what} ({window}) is larger than the input ({size})")
    if (size - window) % stride:
        raise Mismatch(None, f"the {what} ({window}) at stride {stride} does not tile the "
                             f"input ({size}): {size} - {window} is not divisible by {stride}")
    return 1 + (size - window) // stride


def conv2d_shape(x, layer):
    c, h, w = takes_rank(x, 3, "images (C, H, W)")
    f, _, hh, ww = fit(layer, "w", ("F", c, "HH", "WW"), f"its input has {c} channels")
    if "b" in layer:
        fit(layer, "b", (f,), f"one bias per filter of w ({f})")
    stride, pad = layer["stride"], layer["pad"]
    return (f, windows(h + 2 * pad, hh, stride, "filter height"),
            windows(w + 2 * pad, ww, stride, "filter width"))


def per_feature(rank, form, unit, roles):
    """Batch norm and layer norm: each array holds one value per `unit` (axis 0 of an
    example); the shape is unchanged."""
    def shape(x, layer):
        takes_rank(x, rank, form)
        for role in roles:
            fit(layer, role, (x[0],), f"one value per {unit} of its input ({x[0]})")
        return x
    return shape


def last_axis_norm_shape(x, layer):
    """Layer norm: gamma and beta hold one value per feature of the last axis."""
    for role in ("gamma", "beta"):
        fit(layer, role, (x[-1],), f"one value per feature of its input's last axis ({x[-1]})")
    return x


def groupnorm_shape(x, layer):
    c = takes_rank(x, 3, "images (C, H, W)")[0]
    if c % layer["groups"]:
        raise Mismatch(None, f"its {c} channels do not split into {layer['groups']} groups")
    for role in ("gamma", "beta"):
        fit(layer, role, (c,), f"one value per channel of its input ({c})")
    return x


def global_avg_pool2d_shape(x, layer):
    return (takes_rank(x, 3, "images (C, H, W)")[0],)


def flatten_shape(x, layer):
    return (math.prod(x),)


def max_pool2d_shape(x, layer):
    c, h, w = takes_rank(x, 3, "images (C, H, W)")
    stride = layer["stride"]
    return (c, windows(h, layer["pool_height"], stride, "pool height"),
            windows(w, layer["pool_width"], stride, "pool width"))


def linear_shape(x, layer):
    features = math.prod(x)
    _, m = fit(layer, "w", (features, "M"), f"its input has {features} features per example")
    if "b" in layer:
        fit(layer, "b", (m,), f"one bias per column of w ({m})")
    return (m,)


def linear_last_axis_shape(x, layer):
    _, m = fit(layer, "w", (x[-1], "M"), f"its input's last axis has {x[-1]} features")
    if "b" in layer:
        fit(layer, "b", (m,), f"one bias per column of w ({m})")
    return x[:-1] + (m,)


def word_embedding_shape(x, layer):
    takes_rank(x, 1, "word indices (T,)")
    _, d = fit(layer, "w", ("V", "D"), "one row per word of the vocabulary")
    return x + (d,)


def recurrent_shape(gates, biases):
    """rnn (1 gate), lstm (4) and gru (3): wx (input_dim, gates * H), wh (H, gates * H)."""
    def shape(x, layer):
        d, features = layer["input_dim"], math.prod(x)
        if features % d:
            raise Mismatch(None, f"input_dim {d} does not divide its {features} features")
        _, columns = fit(layer, "wx", (d, f"{gates}H"), f"input_dim is {d}")
        if columns % gates:
            raise Mismatch("wx", f"wx has {columns} columns, not {gates} gates of a hidden size")
        hidden = columns // gates
        fit(layer, "wh", (hidden, columns), f"wx gives {gates} gates of {hidden} hidden units")
        for role in biases:
            fit(layer, role, (columns,), f"one bias per column of wx ({columns})")
        return (features // d, hidden)
    return shape


def same_shape(x, layer):
    return x


def last_step_shape(x, layer):
    takes_rank(x, 2, "sequences (T, H)")
    return x[1:]


@dataclass
class LayerKind:
    run: object  # (x, layer) -> the layer's output
    shape: object  # (shape of an example, layer) -> its output's shape, or raises Mismatch
    arrays: tuple = ()  # roles, each naming a .npy file
    settings: dict = field(default_factory=dict)  # name -> check(value): its problem or None
    non_negative: tuple = ()  # arrays whose values must not be negative (variances)
    optional: tuple = ()  # roles that may be absent (a layer without a bias)


BATCHNORM_ARRAYS = ("gamma", "beta", "running_mean", "running_var")
POOL_SETTINGS = {"pool_height": whole_number(1), "pool_width": whole_number(1),
                 "stride": whole_number(1)}

# Every kind of layer model.json may hold (nn/layer_spec.h defines them), but
# "residual", whose body and shortcut are lists of these (tools/npy_predict.py).
LAYER_KINDS = {
    "conv2d": LayerKind(conv2d, conv2d_shape, ("w", "b"),
                        {"stride": whole_number(1), "pad": whole_number(0)}, optional=("b",)),
    "spatial_batchnorm": LayerKind(batchnorm,
                                   per_feature(3, "images (C, H, W)", "channel", BATCHNORM_ARRAYS),
                                   BATCHNORM_ARRAYS, {"eps": positive_number}, ("running_var",)),
    "batchnorm": LayerKind(batchnorm, per_feature(1, "vectors (D,)", "feature", BATCHNORM_ARRAYS),
                           BATCHNORM_ARRAYS, {"eps": positive_number}, ("running_var",)),
    "layernorm": LayerKind(layernorm, last_axis_norm_shape, ("gamma", "beta"),
                           {"eps": positive_number}),
    "groupnorm": LayerKind(groupnorm, groupnorm_shape, ("gamma", "beta"),
                           {"groups": whole_number(1), "eps": positive_number}),
    "relu": LayerKind(lambda x, layer: np.maximum(x, x.dtype.type(0)), same_shape),
    "leaky_relu": LayerKind(lambda x, layer: np.where(x > 0, x, x * x.dtype.type(layer["slope"])),
                            same_shape, (), {"slope": finite_number}),
    "gelu": LayerKind(gelu, same_shape, (), {"approximate": zero_or_one}),
    "tanh": LayerKind(lambda x, layer: np.tanh(x), same_shape),
    "sigmoid": LayerKind(lambda x, layer: sigmoid(x), same_shape),
    "max_pool2d": LayerKind(pool2d(np.max), max_pool2d_shape, (), POOL_SETTINGS),
    "avg_pool2d": LayerKind(pool2d(np.mean), max_pool2d_shape, (), POOL_SETTINGS),
    "global_avg_pool2d": LayerKind(lambda x, layer: x.mean(axis=(2, 3)), global_avg_pool2d_shape),
    "flatten": LayerKind(lambda x, layer: x.reshape(x.shape[0], -1), flatten_shape),
    "linear": LayerKind(linear, linear_shape, ("w", "b"), optional=("b",)),
    "linear_last_axis": LayerKind(linear_last_axis, linear_last_axis_shape, ("w", "b"),
                                  optional=("b",)),
    # The identity at test time.
    "dropout": LayerKind(lambda x, layer: x, same_shape, (), {"keep_prob": keep_probability}),
    "word_embedding": LayerKind(word_embedding, word_embedding_shape, ("w",)),
    "rnn": LayerKind(recurrent("rnn"), recurrent_shape(1, ("b",)), ("wx", "wh", "b"),
                     {"input_dim": whole_number(1)}),
    "lstm": LayerKind(recurrent("lstm"), recurrent_shape(4, ("b",)), ("wx", "wh", "b"),
                      {"input_dim": whole_number(1)}),
    "gru": LayerKind(recurrent("gru"), recurrent_shape(3, ("bx", "bh")), ("wx", "wh", "bx", "bh"),
                     {"input_dim": whole_number(1)}),
    "last_step": LayerKind(lambda x, layer: x[:, -1], last_step_shape),
}

DTYPES = {"float32": np.float32, "float64": np.float64}
# The most numbers one example's activations may hold at any layer: far above the
# shipped models (32 x 28 x 28), far below what a damaged pad or shape could ask for.
MAX_EXAMPLE_SIZE = 1 << 26


