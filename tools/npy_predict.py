#!/usr/bin/env python3
"""Runs a model trained by tapegrad in NumPy alone and prints its test accuracy.

Usage:
    python3 tools/npy_predict.py RUN_FOLDER [--data-dir DIR] [--num-test N]
                                 [--batch-size N] [--save-scores FILE.npy]

It reads RUN_FOLDER/params/: model.json (the model, the input preprocessing and
the layers of the forward pass in order, see models/model_export.h) and the .npy
files it names, loads the test split of the data set the model was trained on
(Fashion-MNIST from Debian's dataset-fashion-mnist by default; MNIST and
CIFAR-10 from --data-dir), prepares the images as training did,
x = (image - mean_image) * scale in the model's dtype, runs the layers and
prints the accuracy. No tapegrad code is used: this is the proof that params/
holds everything the model is. Needs python3-numpy.

Before computing anything it checks model.json and every array it names (each
layer kind's arrays, settings and shapes, in the order of the forward pass), and
a problem is one line on stderr, "npy_predict: FILE: what is wrong".

Exit status: 0 done, 1 a file is missing or not what model.json says, 2 bad usage.
"""

import argparse
import gzip
import json
import math
import os
import sys
from dataclasses import dataclass, field

try:
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view
except ImportError:
    # Debian's python3-numpy is for Debian's interpreter: use it when this one lacks NumPy.
    DEBIAN_PYTHON = "/usr/bin/python3"
    if os.path.exists(DEBIAN_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(
            DEBIAN_PYTHON):
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    sys.exit("npy_predict: NumPy is missing: apt-get install python3-numpy")

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


class ExportError(Exception):
    """A file is missing or not what model.json says; the message starts with the file."""

    def __init__(self, path, what):
        super().__init__(f"{path}: {what}")


# ----------------------------------------------------------------------------- data

def read_maybe_gzip(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    except FileNotFoundError:
        raise ExportError(path, "no such file") from None
    except (OSError, EOFError) as e:  # gzip's errors are OSError or EOFError
        raise ExportError(path, f"cannot be read ({getattr(e, 'strerror', None) or e})") from None


def plain_or_gz(folder, name):
    for candidate in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
        if os.path.exists(candidate):
            return candidate
    raise ExportError(os.path.join(folder, name), f"no such file (nor {name}.gz)")


def idx_test_set(folder):
    """Images (N, 1, rows, cols) as float32 pixel values, and labels."""
    images_path = plain_or_gz(folder, "t10k-images-idx3-ubyte")
    labels_path = plain_or_gz(folder, "t10k-labels-idx1-ubyte")
    images, labels = read_maybe_gzip(images_path), read_maybe_gzip(labels_path)
    magic, n, rows, cols = np.frombuffer(images[:16].ljust(16, b"\0"), dtype=">u4")
    if magic != 0x803 or len(images) != 16 + n * rows * cols:
        raise ExportError(images_path, "not an IDX images file")
    magic, count = np.frombuffer(labels[:8].ljust(8, b"\0"), dtype=">u4")
    if magic != 0x801 or len(labels) != 8 + count or count != n:
        raise ExportError(labels_path, f"not an IDX labels file of {n} labels")
    pixels = np.frombuffer(images[16:], dtype=np.uint8).reshape(n, 1, rows, cols)
    return pixels.astype(np.float32), np.frombuffer(labels[8:], dtype=np.uint8).astype(np.int64)


def cifar10_test_set(folder):
    """CIFAR-10's test_batch.bin: records of a label byte and a (3, 32, 32) image."""
    path = os.path.join(folder, "test_batch.bin")
    data = read_maybe_gzip(path)
    if not data or len(data) % 3073:
        raise ExportError(path, "not a CIFAR-10 batch (records of 3073 bytes)")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3073)
    return records[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32), records[:, 0].astype(np.int64)


def idx_or_default(default):
    def load(data_dir):
        return idx_test_set(data_dir or default)
    return load


class UsageError(Exception):
    """The command line lacks what the model needs: exit status 2, as argparse's errors."""


def needs_data_dir(data_set, load, files):
    def checked(data_dir):
        if not data_dir:
            raise UsageError(f"{data_set} needs --data-dir: the folder with {files}")
        return load(data_dir)
    return checked


# The data sets a model.json's input may name, each a function of --data-dir.
DATA_SETS = {
    "fashion-mnist": idx_or_default(FASHION_MNIST),
    "mnist": needs_data_dir("mnist", idx_or_default(None), "the t10k IDX files"),
    "cifar10": needs_data_dir("cifar10", cifar10_test_set, "test_batch.bin"),
}
# What a language model reads instead of images: tools/sample uses such a model.
LANGUAGE_DATA = {"words"}


# ----------------------------------------------------------------------------- .npy files

def read_npy(path):
    """The one array of a .npy file, read strictly: a header NumPy reads, no Python objects,
    exactly the bytes the header promises (a truncated file is named as such)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            try:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise ValueError(f".npy format version {version[0]}.{version[1]}")
            except Exception as e:  # pylint: disable=broad-except
                # Damaged bytes make NumPy's header parser raise ValueError, EOFError or
                # tokenize's errors: each means the file is not a .npy file.
                raise ExportError(path, f"not a .npy file NumPy can read ({e})") from None
            if dtype.hasobject:
                raise ExportError(path, "holds Python objects, not numbers")
            expected = math.prod(shape) * dtype.itemsize
            # Compared before reading: a damaged header may claim terabytes.
            left = size - f.tell()
            if left != expected:
                raise ExportError(path, f"{'truncated' if left < expected else 'damaged'}: its "
                                  f"header says {shape_text(shape)} {dtype.name} ({expected} "
                                  f"bytes), {left} bytes follow it")
            data = f.read(expected)
    except FileNotFoundError:
        raise ExportError(path, "no such file (model.json names it)") from None
    except OSError as e:
        raise ExportError(path, f"cannot be read ({e.strerror})") from None
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return array.astype(dtype.newbyteorder("="), copy=False)


def shape_text(shape):
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


# ----------------------------------------------------------------------------- layers
# Each takes x (N, ...) and the layer's entry of model.json with its arrays
# loaded (see models/layer_spec.h for the definitions).

def conv2d(x, layer):
    w, b, stride, pad = layer["w"], layer["b"], layer["stride"], layer["pad"]
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # im2col as a view: (N, C, H_out, W_out, HH, WW).
    windows = sliding_window_view(padded, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, H_out, W_out, F)
    return out.transpose(0, 3, 1, 2) + b[None, :, None, None]


def batchnorm(x, layer):
    """Test mode, with the running statistics; per channel (axis 1)."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    eps = x.dtype.type(layer["eps"])
    inv_std = 1 / np.sqrt(layer["running_var"] + eps)
    x_hat = (x - layer["running_mean"].reshape(shape)) * inv_std.reshape(shape)
    return x_hat * layer["gamma"].reshape(shape) + layer["beta"].reshape(shape)


def layernorm(x, layer):
    eps = x.dtype.type(layer["eps"])
    mean = x.mean(axis=1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * layer["gamma"] + layer["beta"]


def max_pool2d(x, layer):
    size, stride = (layer["pool_height"], layer["pool_width"]), layer["stride"]
    windows = sliding_window_view(x, size, axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.max(axis=(4, 5))


def linear(x, layer):
    return x.reshape(x.shape[0], -1) @ layer["w"] + layer["b"]


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


def max_pool2d_shape(x, layer):
    c, h, w = takes_rank(x, 3, "images (C, H, W)")
    stride = layer["stride"]
    return (c, windows(h, layer["pool_height"], stride, "pool height"),
            windows(w, layer["pool_width"], stride, "pool width"))


def linear_shape(x, layer):
    features = math.prod(x)
    _, m = fit(layer, "w", (features, "M"), f"its input has {features} features per example")
    fit(layer, "b", (m,), f"one bias per column of w ({m})")
    return (m,)


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


BATCHNORM_ARRAYS = ("gamma", "beta", "running_mean", "running_var")

# Every kind of layer model.json may hold (models/layer_spec.h defines them).
LAYER_KINDS = {
    "conv2d": LayerKind(conv2d, conv2d_shape, ("w", "b"),
                        {"stride": whole_number(1), "pad": whole_number(0)}),
    "spatial_batchnorm": LayerKind(batchnorm,
                                   per_feature(3, "images (C, H, W)", "channel", BATCHNORM_ARRAYS),
                                   BATCHNORM_ARRAYS, {"eps": positive_number}, ("running_var",)),
    "batchnorm": LayerKind(batchnorm, per_feature(1, "vectors (D,)", "feature", BATCHNORM_ARRAYS),
                           BATCHNORM_ARRAYS, {"eps": positive_number}, ("running_var",)),
    "layernorm": LayerKind(layernorm, per_feature(1, "vectors (D,)", "feature", ("gamma", "beta")),
                           ("gamma", "beta"), {"eps": positive_number}),
    "relu": LayerKind(lambda x, layer: np.maximum(x, x.dtype.type(0)), same_shape),
    "max_pool2d": LayerKind(max_pool2d, max_pool2d_shape, (),
                            {"pool_height": whole_number(1), "pool_width": whole_number(1),
                             "stride": whole_number(1)}),
    "linear": LayerKind(linear, linear_shape, ("w", "b")),
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


# ----------------------------------------------------------------------------- the model

def read_model_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ExportError(path,
                          "no such file (is the folder a run folder of tools/train?)") from None
    except OSError as e:
        raise ExportError(path, f"cannot be read ({e.strerror})") from None
    except json.JSONDecodeError as e:
        raise ExportError(path, f"not JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except (UnicodeDecodeError, RecursionError) as e:
        raise ExportError(path, f"not JSON ({e})") from None


def one_of(value, table):
    return isinstance(value, str) and value in table


def is_npy_name(value):
    """A .npy file in params/ itself: a plain name, so model.json cannot point elsewhere."""
    return (isinstance(value, str) and value.endswith(".npy") and os.path.basename(value) == value
            and value not in (".npy", "..npy"))


class Model:
    def __init__(self, run_folder):
        self.params = os.path.join(run_folder, "params")
        self.path = os.path.join(self.params, "model.json")
        self.doc = read_model_json(self.path)
        self.check_header()
        self.dtype = np.dtype(DTYPES[self.doc["dtype"]])
        self.read_input()
        self.files = []  # per layer: role -> the .npy file's path
        self.layers = [self.read_layer(i, entry) for i, entry in enumerate(self.doc["layers"])]
        self.check_names()
        if self.input_shape is not None:
            self.check_shapes(self.input_shape, "the model's input")

    def fail(self, what):
        raise ExportError(self.path, what)

    def check_header(self):
        doc = self.doc
        if not isinstance(doc, dict):
            self.fail("not a JSON object")
        if doc.get("format") != "tapegrad-params" or type(doc.get("version")) is not int or \
                doc["version"] != 1:
            self.fail("not a tapegrad model.json of version 1")
        if not isinstance(doc.get("model"), str) or not doc["model"]:
            self.fail(f"model must be the model's name, got {json.dumps(doc.get('model'))}")
        self.name = doc["model"]
        spec = doc.get("input")
        if not isinstance(spec, dict):
            self.fail('no "input" (the input preprocessing)')
        if one_of(spec.get("data_set"), LANGUAGE_DATA) or self.name == "CharRNN":
            self.fail(f"{self.name} is a language model: use tools/sample")
        if not one_of(doc.get("dtype"), DTYPES):
            self.fail(f"dtype must be one of {', '.join(DTYPES)}, "
                      f"got {json.dumps(doc.get('dtype'))}")
        layers = doc.get("layers")
        if not isinstance(layers, list):
            self.fail('no "layers" (the list of the forward pass\'s layers)')
        if not layers:
            self.fail(f"the model ({self.name}) lists no layers")

    def read_input(self):
        spec = self.doc["input"]
        data_set = spec.get("data_set")
        if data_set is None or data_set == "":
            data_set = "fashion-mnist"  # a model saved without its data set's name
        if not one_of(data_set, DATA_SETS):
            self.fail(f"input.data_set {json.dumps(spec.get('data_set'))} is none of "
                      f"{', '.join(DATA_SETS)}")
        self.data_set = data_set
        shape = spec.get("shape")
        if shape is not None and not (isinstance(shape, list) and len(shape) == 3 and all(
                whole_number(1)(d) is None for d in shape)):
            self.fail(f"input.shape must be null or (C, H, W) of positive whole numbers, "
                      f"got {json.dumps(shape)}")
        self.input_shape = None if shape is None else tuple(shape)
        if positive_number(spec.get("scale")):
            self.fail(f"input.scale must be a positive number, got {json.dumps(spec.get('scale'))}")
        self.scale = self.dtype.type(spec["scale"])
        self.mean_image = None
        mean = spec.get("mean_image")
        if mean is None:
            return
        if not is_npy_name(mean):
            self.fail(f"input.mean_image must be null or a .npy file in params/, "
                      f"got {json.dumps(mean)}")
        if self.input_shape is None:
            self.fail("input.mean_image needs input.shape, the shape of the images")
        path = os.path.join(self.params, mean)
        self.mean_image = self.checked_array(path, np.dtype(np.float32), "input images")
        if self.mean_image.shape != self.input_shape:
            raise ExportError(path, f"the mean image is {shape_text(self.mean_image.shape)}, but "
                              f"input.shape in model.json is {shape_text(self.input_shape)}")

    def checked_array(self, path, dtype, user):
        """The array in `path` if it holds finite numbers of `dtype` (any byte order)."""
        array = read_npy(path)
        if array.dtype != dtype:
            raise ExportError(path, f"dtype {array.dtype.name}, but {user} are {dtype.name}")
        if array.size == 0:
            raise ExportError(path, f"holds no numbers: {shape_text(array.shape)}")
        bad = np.count_nonzero(~np.isfinite(array))
        if bad:
            raise ExportError(path, f"holds {bad} NaN or infinite values")
        return array

    def read_layer(self, i, entry):
        """The layer's entry with its arrays loaded, after its keys and settings are checked."""
        if not isinstance(entry, dict) or not isinstance(entry.get("op"), str):
            self.fail(f"layer {i} is not an object with an \"op\"")
        op = entry["op"]
        kind = LAYER_KINDS.get(op)
        if kind is None:
            self.fail(f"layer {i}: unknown op \"{op}\" (known: {', '.join(LAYER_KINDS)})")
        where = f"layer {i} ({op})"
        known = ("op",) + kind.arrays + tuple(kind.settings)
        for key in entry:
            if key not in known:
                self.fail(f"{where}: unknown key \"{key}\" (a {op} layer has: "
                          f"{', '.join(known[1:]) or 'no keys but op'})")
        for key in known[1:]:
            if key not in entry:
                self.fail(f"{where} has no \"{key}\"")
        for name, check in kind.settings.items():
            problem = check(entry[name])
            if problem:
                self.fail(f"{where}: {name} {problem}, got {json.dumps(entry[name])}")
        layer, files = dict(entry), {}
        for role in kind.arrays:
            if not is_npy_name(entry[role]):
                self.fail(f"{where}: {role} must name a .npy file in params/, "
                          f"got {json.dumps(entry[role])}")
            files[role] = os.path.join(self.params, entry[role])
            layer[role] = self.checked_array(files[role], self.dtype,
                                             f"the model's numbers (model.json: dtype)")
            if role in kind.non_negative and (layer[role] < 0).any():
                raise ExportError(files[role], f"{where}: {role} holds negative values")
        self.files.append(files)
        return layer

    def check_names(self):
        """The layers use exactly the model's parameters and buffers, each listed once: a
        layer dropped or given another layer's file is found even when the shapes fit."""
        listed = []
        for key in ("parameters", "buffers"):
            names = self.doc.get(key)
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                self.fail(f"\"{key}\" must be a list of names")
            listed += names
        duplicates = sorted({n for n in listed if listed.count(n) > 1})
        if duplicates:
            self.fail(f"{', '.join(duplicates)} listed twice in \"parameters\" and \"buffers\"")
        used = {}
        for i, files in enumerate(self.files):
            for role, path in files.items():
                used.setdefault(os.path.basename(path)[:-len(".npy")], (i, role))
        for name, (i, role) in used.items():
            if name not in listed:
                self.fail(f"layer {i} ({self.layers[i]['op']}): {role} {name}.npy is none of "
                          f"the model's \"parameters\" and \"buffers\"")
        unused = [n for n in listed if n not in used]
        if unused:
            self.fail(f"no layer uses {', '.join(unused)} (of \"parameters\" and \"buffers\"): "
                      f"is a layer missing?")

    def check_shapes(self, shape, source):
        """Follows an example's shape through the layers: each layer must take what the one
        before gives, and the last give one score per class."""
        x, came_from = tuple(shape), source
        for i, layer in enumerate(self.layers):
            op = layer["op"]
            try:
                out = LAYER_KINDS[op].shape(x, layer)
            except Mismatch as m:
                path = self.path if m.role is None else self.files[i][m.role]
                raise ExportError(path, f"layer {i} ({op}) gets {shape_text(x)} per example "
                                  f"from {came_from}: {m}") from None
            if math.prod(out) > MAX_EXAMPLE_SIZE:
                self.fail(f"layer {i} ({op}) gives {shape_text(out)} per example: more than "
                          f"{MAX_EXAMPLE_SIZE} numbers")
            x, came_from = out, f"layer {i} ({op})"
        if len(x) != 1:
            self.fail(f"the layers end with {shape_text(x)} per example, after {came_from}: "
                      f"not a vector of class scores")
        classes = self.doc.get("config", {}).get("num_classes") if isinstance(
            self.doc.get("config"), dict) else None
        if whole_number(1)(classes) is None and x[0] != classes:
            self.fail(f"the layers end with {x[0]} scores per example, after {came_from}, but "
                      f"the model has {classes} classes (config.num_classes)")
        self.num_scores = x[0]

    def check_images(self, images, labels, data_folder):
        """The test images are what the model takes, and every label one of its classes."""
        if self.input_shape is None:
            self.check_shapes(images.shape[1:], "the test images")
        elif images.shape[1:] != self.input_shape:
            raise ExportError(data_folder, f"the test images are {shape_text(images.shape[1:])}, "
                              f"the model takes {shape_text(self.input_shape)}")
        if len(labels) and labels.max() >= self.num_scores:
            raise ExportError(data_folder, f"a test label is {labels.max()}, but the model "
                              f"scores {self.num_scores} classes")

    def prepare(self, images):
        """Raw pixel values to what the first layer takes, as tapegrad's preprocessing."""
        x = images.astype(np.float32)
        if self.mean_image is not None:
            x = x - self.mean_image
        return (x * np.float32(self.scale)).astype(self.dtype)

    def scores(self, images):
        x = self.prepare(images)
        for layer in self.layers:
            x = LAYER_KINDS[layer["op"]].run(x, layer)
        return x


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_folder")
    parser.add_argument("--data-dir", help="the data set's folder (default for fashion-mnist: "
                        + FASHION_MNIST + ")")
    parser.add_argument("--num-test", type=int, default=0, help="test examples (0: all)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--save-scores", help="also write the class scores (N, classes) here")
    args = parser.parse_args(argv)
    if args.num_test < 0 or args.batch_size < 1:
        parser.error("--num-test must be >= 0 and --batch-size positive")
    if not os.path.isdir(args.run_folder):
        parser.error(f"{args.run_folder!r} is not a folder (give a run folder of tools/train)")
    try:
        model = Model(args.run_folder)
        data_folder = args.data_dir or FASHION_MNIST
        images, labels = DATA_SETS[model.data_set](args.data_dir)
        model.check_images(images, labels, data_folder)
    except ExportError as e:
        print(f"npy_predict: {e}", file=sys.stderr)
        return 1
    except UsageError as e:
        parser.error(str(e))
    if args.num_test:
        images, labels = images[:args.num_test], labels[:args.num_test]
    scores = np.concatenate([model.scores(images[i:i + args.batch_size])
                             for i in range(0, len(images), args.batch_size)])
    right = int((scores.argmax(axis=1) == labels).sum())
    print(f"{model.doc['model']} in NumPy on the {model.data_set} test set: {len(labels)} images")
    print(f"test accuracy {right / len(labels):.4f} ({right} of {len(labels)} right)")
    if args.save_scores:
        try:
            np.save(args.save_scores, scores)
        except OSError as e:
            print(f"npy_predict: {args.save_scores}: cannot be written ({e.strerror})",
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
