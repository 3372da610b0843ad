// Images to classify, from files: PNG (read by libpng), the netpbm formats
// PGM and PPM (P2, P5 gray; P3, P6 RGB) and IDX image files (data/idx.h),
// plain or gzip. Every reader returns float32 (N, C, H, W) holding pixel
// values 0..255, as the data sets do: one image for PNG and netpbm, every
// image of an IDX file. Samples are read as stored: no gamma or colour
// conversion; samples of more than 8 bits are scaled to 0..255 and rounded to
// the nearest value (halves up), round(v * 255 / maxval), in every format. An
// image with other channels than the model takes is refused the same way in
// every format (an RGB image is not made gray, nor a gray one RGB).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "graph/tensor.h"
#include "io/byte_reader.h"

namespace tg {

// The most pixels (H * W) an image may have: far above any model here, far
// below what a damaged header could claim.
inline constexpr std::int64_t kMaxImagePixels = std::int64_t{1} << 26;

// A netpbm image: (1, 1, H, W) for P2/P5, (1, 3, H, W) for P3/P6. Samples are
// rescaled to 0..255 (rounded) when maxval is not 255. Throws FileError naming
// the file (and the byte offset) for anything malformed.
Tensor parse_netpbm(std::string_view file, ByteSpan bytes);

// A PNG image of any colour type, bit depth and interlacing, its samples as
// stored (libpng's full API: no gAMA, sRGB, iCCP or sBIT conversion), 16-bit
// samples scaled to 8 bits (round(v * 255 / 65535), halves up), a palette
// expanded, transparency (an alpha channel or tRNS) composited on black on the
// stored values: (1, channels, H, W). Gray and gray + alpha images, and
// palettes of grays only, have 1 channel; RGB, RGBA and colour palettes 3.
// Throws FileError naming the file when its channels are not `channels` ("the
// image is RGB (3 channels), the model takes gray (1 channel): images are not
// converted") or with libpng's reason.
Tensor parse_png(std::string_view file, ByteSpan bytes, std::int64_t channels);

// The images in the file at `path`, told apart by their first bytes, with
// `channels` channels (what the model takes). An image with other channels,
// whatever its format, or a file of another format, is a FileError naming it.
Tensor load_images(const std::string& path, std::int64_t channels);

}  // namespace tg
