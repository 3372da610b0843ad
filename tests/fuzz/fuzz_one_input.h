// What every fuzz target does with one input, shared by the libFuzzer targets
// (tests/fuzz/*_fuzz.cc) and the replay of the regression corpus
// (tests/fuzz/fuzz_corpus_test.cc). The contract of a reader: for any bytes it
// returns a value or throws tg::Error. So a reader that throws anything else,
// crashes, reads out of bounds, allocates absurd memory or hangs has a bug.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "io/byte_reader.h"

namespace tg::fuzz {

// The readers with a fuzz target. Each has a folder of inputs named after it
// under tests/fuzz/corpus/.
enum class Reader { idx, cifar10, checkpoint, npy, model, image };

inline constexpr std::array<Reader, 6> kReaders = {Reader::idx, Reader::cifar10, Reader::checkpoint,
                                                   Reader::npy, Reader::model,   Reader::image};

// "idx", "cifar10", "checkpoint", "npy", "model", "image": the target's name
// and corpus folder.
std::string_view target_name(Reader reader);
std::optional<Reader> reader_of_target(std::string_view name);

// Hands `bytes` to the reader's parsers and returns when each of them returned
// a value or threw tg::Error. A value must also be consistent with the bytes
// (sizes, label range, a lossless round trip through the writer where there
// is one); an inconsistent one throws std::logic_error. Any other exception
// escapes: for libFuzzer and for the replay test alike, that is a finding.
//   idx:        gunzip first when the bytes start with 1f 8b (as the loader
//               does), then parse_idx_images and parse_idx_labels.
//   cifar10:    parse_cifar10.
//   checkpoint: Checkpoint::parse on the bytes, then on a copy whose payload
//               size and CRC-32 are made to match, so that mutations get past
//               the checksum to the entries.
//   npy:        parse_npy.
//   model:      parse_model (models/model_file.h) on the bytes and on a copy
//               with matching size and CRC-32, as for checkpoints; a model it
//               returns must classify one example, and be written and read
//               back to the same bytes.
//   image:      parse_netpbm, and parse_png for a gray and for an RGB model
//               (a PNG of the other kind is refused: images are not
//               converted); an image must be (1, C, H, W) with pixel values
//               in 0..255.
void fuzz_one_input(Reader reader, ByteSpan bytes);

}  // namespace tg::fuzz
