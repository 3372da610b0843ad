#!/usr/bin/env python3
"""Runs a model trained by tapegrad in NumPy alone and prints its test accuracy.

Usage:
    python3 tools/npy_predict.py RUN_FOLDER [--data-dir DIR] [--num-test N]
                                 [--batch-size N] [--save-scores FILE.npy]

It reads RUN_FOLDER/params/: model.json (the model, the input preprocessing and
the layers of the forward pass in order, a residual block's body and shortcut
nested, see models/model_export.h; tools/npy_layers.py runs each) and the .npy
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

try:
    import numpy as np
except ImportError:
    # Debian's python3-numpy is for Debian's interpreter: use it when this one lacks NumPy.
    DEBIAN_PYTHON = "/usr/bin/python3"
    if os.path.exists(DEBIAN_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(
            DEBIAN_PYTHON):
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    sys.exit("npy_predict: NumPy is missing: apt-get install python3-numpy")

from npy_layers import (DTYPES, LAYER_KINDS, MAX_EXAMPLE_SIZE, Mismatch,  # noqa: E402
                        positive_number, shape_text, whole_number)

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
        self.files = []  # per layer, nested ones too: (where, {role: the .npy file's path})
        self.layers = [self.read_layer(f"layer {i}", entry)
                       for i, entry in enumerate(self.doc["layers"])]
        self.check_names()
        if self.input_shape is not None:
            self.check_shapes(self.input_shape, "the model's input")

    def fail(self, what):
        raise ExportError(self.path, what)

    def check_header(self):
        doc = self.doc
        if not isinstance(doc, dict):
            self.fail("not a JSON object")
        if doc.get("format") != "tapegrad-params" or type(doc.get("version")) is not int:
            self.fail("not a tapegrad model.json")
        if doc["version"] != 2:
            self.fail(f"a model.json of version {doc['version']}; this script reads version 2"
                      + (" (version 1 is from before the module tree: train again)"
                         if doc["version"] == 1 else ""))
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
        if layers is None and isinstance(doc.get("not_exportable"), str):
            self.fail(f"this model cannot be run in NumPy: {doc['not_exportable']}")
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

    def read_layer(self, label, entry):
        """The layer's entry with its arrays loaded, after its keys and settings are checked;
        a residual block's body and shortcut the same, recursively."""
        if not isinstance(entry, dict) or not isinstance(entry.get("op"), str):
            self.fail(f"{label} is not an object with an \"op\"")
        op = entry["op"]
        where = f"{label} ({op})"
        if op == "residual":
            return self.read_residual(where, entry)
        kind = LAYER_KINDS.get(op)
        if kind is None:
            self.fail(f"{label}: unknown op \"{op}\" (known: {', '.join(LAYER_KINDS)}, residual)")
        known = ("op",) + kind.arrays + tuple(kind.settings)
        for key in entry:
            if key not in known:
                self.fail(f"{where}: unknown key \"{key}\" (a {op} layer has: "
                          f"{', '.join(known[1:]) or 'no keys but op'})")
        for key in known[1:]:
            if key not in entry and key not in kind.optional:
                self.fail(f"{where} has no \"{key}\"")
        for name, check in kind.settings.items():
            problem = check(entry[name])
            if problem:
                self.fail(f"{where}: {name} {problem}, got {json.dumps(entry[name])}")
        layer, files = dict(entry), {}
        for role in kind.arrays:
            if role not in entry:
                continue
            if not is_npy_name(entry[role]):
                self.fail(f"{where}: {role} must name a .npy file in params/, "
                          f"got {json.dumps(entry[role])}")
            files[role] = os.path.join(self.params, entry[role])
            layer[role] = self.checked_array(files[role], self.dtype,
                                             f"the model's numbers (model.json: dtype)")
            if role in kind.non_negative and (layer[role] < 0).any():
                raise ExportError(files[role], f"{where}: {role} holds negative values")
        self.files.append((where, files))
        layer["where"], layer["files"] = where, files
        return layer

    def read_residual(self, where, entry):
        for key in entry:
            if key not in ("op", "body", "shortcut"):
                self.fail(f"{where}: unknown key \"{key}\" (a residual layer has: body, shortcut)")
        for key in ("body", "shortcut"):
            if not isinstance(entry.get(key), list):
                self.fail(f"{where}: {key} must be a list of layers")
        if not entry["body"]:
            self.fail(f"{where}: its body has no layers")
        return {"op": "residual", "where": where, "files": {},
                "body": [self.read_layer(f"{where} body {j}", e)
                         for j, e in enumerate(entry["body"])],
                "shortcut": [self.read_layer(f"{where} shortcut {j}", e)
                             for j, e in enumerate(entry["shortcut"])]}

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
        for where, files in self.files:
            for role, path in files.items():
                used.setdefault(os.path.basename(path)[:-len(".npy")], (where, role))
        for name, (where, role) in used.items():
            if name not in listed:
                self.fail(f"{where}: {role} {name}.npy is none of "
                          f"the model's \"parameters\" and \"buffers\"")
        unused = [n for n in listed if n not in used]
        if unused:
            self.fail(f"no layer uses {', '.join(unused)} (of \"parameters\" and \"buffers\"): "
                      f"is a layer missing?")

    def follow(self, layers, x, came_from):
        """An example's shape through `layers`: each must take what the one before gives.
        Returns the last shape and the layer that gave it."""
        for layer in layers:
            where = layer["where"]
            if layer["op"] == "residual":
                body, _ = self.follow(layer["body"], x, came_from)
                shortcut = self.follow(layer["shortcut"], x, came_from)[0] if layer[
                    "shortcut"] else x
                if body != shortcut:
                    self.fail(f"{where} gets {shape_text(x)} per example from {came_from}: its "
                              f"body gives {shape_text(body)}, its shortcut {shape_text(shortcut)}")
                out = body
            else:
                try:
                    out = LAYER_KINDS[layer["op"]].shape(x, layer)
                except Mismatch as m:
                    path = self.path if m.role is None else layer["files"][m.role]
                    raise ExportError(path, f"{where} gets {shape_text(x)} per example "
                                      f"from {came_from}: {m}") from None
            if math.prod(out) > MAX_EXAMPLE_SIZE:
                self.fail(f"{where} gives {shape_text(out)} per example: more than "
                          f"{MAX_EXAMPLE_SIZE} numbers")
            x, came_from = out, where
        return x, came_from

    def check_shapes(self, shape, source):
        """Follows an example's shape through the layers, which must end with one score
        per class."""
        x, came_from = self.follow(self.layers, tuple(shape), source)
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
        return run_layers(self.layers, self.prepare(images))


def run_layers(layers, x):
    for layer in layers:
        if layer["op"] == "residual":
            skip = run_layers(layer["shortcut"], x) if layer["shortcut"] else x
            x = run_layers(layer["body"], x) + skip
        else:
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
