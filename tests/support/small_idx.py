#!/usr/bin/env python3
"""The first images of an MNIST-style data set, as a data folder of its own.

    small_idx.py SOURCE_FOLDER TARGET_FOLDER TRAIN_IMAGES TEST_IMAGES

Reads the four IDX files of SOURCE_FOLDER (plain or .gz) and writes the
first TRAIN_IMAGES training and TEST_IMAGES test images and labels, plain,
into TARGET_FOLDER. The shell tests train on such a folder: loading it takes
no time, so a test's time goes to what it tests.
"""
import gzip
import os
import struct
import sys


def read(folder, name):
    path = os.path.join(folder, name)
    if os.path.exists(path):
        with open(path, "rb") as f:
            return f.read()
    with gzip.open(path + ".gz", "rb") as f:
        return f.read()


def first(data, count):
    """The IDX file `data` cut to its first `count` entries."""
    magic, total = struct.unpack(">II", data[:8])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * (dims - 1), data[8 : 4 + 4 * dims])
    if count > total:
        sys.exit(f"small_idx.py: {count} entries asked for, the file has {total}")
    per_entry = 1
    for d in shape:
        per_entry *= d
    header = 4 + 4 * dims
    return data[:4] + struct.pack(">I", count) + data[8:header] + data[header : header + count * per_entry]


def main():
    source, target, train, test = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.makedirs(target, exist_ok=True)
    for name, count in [("train-images-idx3-ubyte", train), ("train-labels-idx1-ubyte", train),
                        ("t10k-images-idx3-ubyte", test), ("t10k-labels-idx1-ubyte", test)]:
        with open(os.path.join(target, name), "wb") as f:
            f.write(first(read(source, name), count))


if __name__ == "__main__":
    main()
