// Reading a whole file into memory, decompressing it when it is gzip. Parsers
// then work on the bytes in memory (see byte_reader.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/byte_reader.h"

namespace tg {

// The largest file (after decompression) read_file_bytes accepts: far above
// the data sets here (47 MB for Fashion-MNIST's training images), far below
// what a corrupt or malicious gzip stream could claim.
inline constexpr std::size_t kMaxFileBytes = std::size_t{1} << 30;

// The decompressed contents of a gzip stream (one or more members). Throws
// FileError naming `file` when the stream is corrupt or truncated, or would
// exceed max_bytes. The offset in the message counts compressed bytes: how far
// zlib had read when it found the fault (it reads ahead a little).
std::vector<std::uint8_t> gunzip(std::string_view file, ByteSpan compressed,
                                 std::size_t max_bytes = kMaxFileBytes);

// `bytes` gunzipped when they start with the gzip magic bytes 1f 8b, else as
// they are. Throws as gunzip does.
std::vector<std::uint8_t> decompress_if_gzip(std::string_view file, std::vector<std::uint8_t> bytes,
                                             std::size_t max_bytes = kMaxFileBytes);

// The file's bytes; a file starting with the gzip magic bytes 1f 8b is
// decompressed, whatever its name. Throws FileError naming the path when the
// file is missing, unreadable, corrupt or larger than max_bytes.
std::vector<std::uint8_t> read_file_bytes(const std::string& path,
                                          std::size_t max_bytes = kMaxFileBytes);

}  // namespace tg
