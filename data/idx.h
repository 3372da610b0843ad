// IDX files, the format of MNIST and Fashion-MNIST. All numbers big-endian:
//   images: u32 magic 0x00000803, u32 N, u32 rows, u32 cols, then N*rows*cols
//           u8 pixels, image after image, row-major
//   labels: u32 magic 0x00000801, u32 N, then N u8 labels
// Files may be gzip-compressed. Byte offsets in errors count the decompressed
// bytes, except for errors in the gzip data itself.
#pragma once

#include <string>
#include <string_view>

#include "data/dataset.h"
#include "graph/labels.h"
#include "graph/tensor.h"
#include "io/byte_reader.h"

namespace tg {

// Where Debian's dataset-fashion-mnist package puts the (gzipped) files.
inline constexpr std::string_view kFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

// The parsers: pure functions on bytes in memory. `file` names the bytes in
// the FileError thrown for anything malformed: a wrong magic number, a header
// that disagrees with the length, a label outside 0..9.

// Images as float32 (N, 1, rows, cols) holding the pixel values 0..255.
Tensor parse_idx_images(std::string_view file, ByteSpan bytes);
// Labels in 0..9.
Labels parse_idx_labels(std::string_view file, ByteSpan bytes);
// Both, and a check that they count the same examples. num_classes is 10.
Dataset parse_idx(std::string_view images_file, ByteSpan image_bytes, std::string_view labels_file,
                  ByteSpan label_bytes);

// Reads and parses an images file and a labels file (plain or gzip).
Dataset load_idx(const std::string& images_path, const std::string& labels_path);

// The standard folder: train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each taken plain if
// present, otherwise with a .gz suffix.
TrainAndTest load_idx_folder(const std::string& folder);
// The test part alone (t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte).
Dataset load_idx_test_set(const std::string& folder);

}  // namespace tg
