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

Exit status: 0 done, 1 a file is missing or not what model.json says, 2 bad usage.
"""

import argparse
import gzip
import json
import os
import sys

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
    """A run folder's files are missing or not what model.json says."""


# ----------------------------------------------------------------------------- data

def read_maybe_gzip(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def plain_or_gz(folder, name):
    for candidate in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
        if os.path.exists(candidate):
            return candidate
    raise ExportError(f"{os.path.join(folder, name)}: no such file (nor {name}.gz)")


def idx_test_set(folder):
    """Images (N, 1, rows, cols) as float32 pixel values, and labels."""
    images = read_maybe_gzip(plain_or_gz(folder, "t10k-images-idx3-ubyte"))
    labels = read_maybe_gzip(plain_or_gz(folder, "t10k-labels-idx1-ubyte"))
    magic, n, rows, cols = np.frombuffer(images[:16], dtype=">u4")
    if magic != 0x803 or len(images) != 16 + n * rows * cols:
        raise ExportError(f"{folder}: t10k-images-idx3-ubyte is not an IDX images file")
    pixels = np.frombuffer(images[16:], dtype=np.uint8).reshape(n, 1, rows, cols)
    return pixels.astype(np.float32), np.frombuffer(labels[8:], dtype=np.uint8).astype(np.int64)


def cifar10_test_set(folder):
    """CIFAR-10's test_batch.bin: records of a label byte and a (3, 32, 32) image."""
    records = np.frombuffer(read_maybe_gzip(os.path.join(folder, "test_batch.bin")),
                            dtype=np.uint8).reshape(-1, 3073)
    return records[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32), records[:, 0].astype(np.int64)


def test_set(data_set, data_dir):
    if data_set == "cifar10":
        if not data_dir:
            raise ExportError("cifar10 needs --data-dir: the folder with test_batch.bin")
        return cifar10_test_set(data_dir)
    if data_set == "mnist" and not data_dir:
        raise ExportError("mnist needs --data-dir: the folder with the t10k IDX files")
    return idx_test_set(data_dir or FASHION_MNIST)


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


LAYERS = {
    "conv2d": conv2d,
    "spatial_batchnorm": batchnorm,
    "batchnorm": batchnorm,
    "layernorm": layernorm,
    "relu": lambda x, layer: np.maximum(x, x.dtype.type(0)),
    "max_pool2d": max_pool2d,
    "linear": linear,
    "dropout": lambda x, layer: x,  # the identity at test time
    "word_embedding": word_embedding,
    "rnn": recurrent("rnn"),
    "lstm": recurrent("lstm"),
    "gru": recurrent("gru"),
    "last_step": lambda x, layer: x[:, -1],
}


# ----------------------------------------------------------------------------- the model

class Model:
    def __init__(self, run_folder):
        self.params = os.path.join(run_folder, "params")
        path = os.path.join(self.params, "model.json")
        try:
            with open(path) as f:
                self.doc = json.load(f)
        except (OSError, ValueError) as e:
            raise ExportError(f"{path}: {e}") from e
        if self.doc.get("format") != "tapegrad-params" or self.doc.get("version") != 1:
            raise ExportError(f"{path}: not a tapegrad model.json of version 1")
        if not self.doc["layers"]:
            raise ExportError(f"{path}: the model ({self.doc['model']}) lists no layers")
        self.dtype = np.dtype(self.doc["dtype"])
        self.layers = []
        for entry in self.doc["layers"]:
            if entry["op"] not in LAYERS:
                raise ExportError(f"{path}: unknown op '{entry['op']}'")
            self.layers.append({k: self.array(v) if isinstance(v, str) and v.endswith(".npy")
                                else v for k, v in entry.items()})
        spec = self.doc["input"]
        self.mean_image = self.array(spec["mean_image"]) if spec["mean_image"] else None
        self.scale = self.dtype.type(spec["scale"])

    def array(self, name):
        path = os.path.join(self.params, name)
        try:
            return np.load(path)
        except (OSError, ValueError) as e:
            raise ExportError(f"{path}: {e}") from e

    def prepare(self, images):
        """Raw pixel values to what the first layer takes, as tapegrad's preprocessing."""
        x = images.astype(np.float32)
        if self.mean_image is not None:
            x = x - self.mean_image
        return (x * np.float32(self.scale)).astype(self.dtype)

    def scores(self, images):
        x = self.prepare(images)
        for layer in self.layers:
            x = LAYERS[layer["op"]](x, layer)
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
    try:
        model = Model(args.run_folder)
        data_set = model.doc["input"]["data_set"] or "fashion-mnist"
        images, labels = test_set(data_set, args.data_dir)
    except (ExportError, OSError) as e:
        print(f"npy_predict: {e}", file=sys.stderr)
        return 1
    if args.num_test:
        images, labels = images[:args.num_test], labels[:args.num_test]
    scores = np.concatenate([model.scores(images[i:i + args.batch_size])
                             for i in range(0, len(images), args.batch_size)])
    right = int((scores.argmax(axis=1) == labels).sum())
    print(f"{model.doc['model']} in NumPy on the {data_set} test set: {len(labels)} images")
    print(f"test accuracy {right / len(labels):.4f} ({right} of {len(labels)} right)")
    if args.save_scores:
        np.save(args.save_scores, scores)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
