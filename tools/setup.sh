#!/usr/bin/env bash
# Installs everything tapegrad's build, tests and main job need, from Debian's
# packages. Idempotent: when everything is there it only checks and returns.
# Usage: bash tools/setup.sh        (as root, or it tells you the command to run)
set -euo pipefail

packages=(
  bazel-bootstrap        # Bazel 4.2.3 (WORKSPACE mode), with its JDK
  g++                    # the C++17 compiler
  libeigen3-dev          # Eigen 3.4 headers: tensors' math, GEMM
  libfmt-dev             # fmt 9: formatting and printing
  doctest-dev            # doctest 2.4: the test framework
  zlib1g-dev             # reading .gz IDX files
  libpng-dev             # reading PNG images in tools/predict
  libdnnl-dev            # oneDNN 2.6: conv2d's and matrix products' float32 kernels (libdnnl2 brings libOpenCL)
  python3-numpy          # tools/npy_predict.py and its test: the NumPy export, checked
  python3                # the layering test, tools/architecture.py, bench/compare.py
  libopenmpi-dev         # Open MPI 4.1: data-parallel training (distributed/), headers and libmpi
  openmpi-bin            # mpirun: launches a data-parallel training
  libcli11-dev           # CLI11: command-line parsing in tools/
  nlohmann-json3-dev     # JSON: history.json, benchmark records
  dataset-fashion-mnist  # the default data set of tools/train
  wamerican              # /usr/share/dict/american-english: tools/train --model charlm
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then missing+=("$package"); fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run as root, or install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup: done"
