// CIFAR-10's binary version: data_batch_1.bin .. data_batch_5.bin (training)
// and test_batch.bin, each 10000 records of 3073 bytes: one label byte (0..9),
// then a 32x32 image as 1024 red, 1024 green and 1024 blue bytes, each plane
// row-major. That is already (C, H, W) order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "io/byte_reader.h"

namespace tg {

// The bytes of one batch file and the name to use for it in errors.
struct NamedBytes {
  std::string file;
  std::vector<std::uint8_t> bytes;
};

// The parsers: pure functions on bytes in memory. Any whole, positive number
// of records per file is accepted; a partial record or a label above 9 throws
// FileError naming the file and the byte offset. Images are float32
// (N, 3, 32, 32) holding the pixel values 0..255; num_classes is 10.
Dataset parse_cifar10(std::string_view file, ByteSpan bytes);
// Several batch files into one Dataset, records in the order given.
Dataset parse_cifar10(const std::vector<NamedBytes>& files);

// Reads data_batch_1.bin .. data_batch_5.bin as train and test_batch.bin as
// test from the folder (gzip-compressed files are decompressed too).
TrainAndTest load_cifar10(const std::string& folder);
// The test part alone (test_batch.bin).
Dataset load_cifar10_test_set(const std::string& folder);

}  // namespace tg
