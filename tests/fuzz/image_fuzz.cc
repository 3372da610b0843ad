// libFuzzer target for the image reader; tools/fuzz.sh builds and runs it.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_one_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tg::fuzz::fuzz_one_input(tg::fuzz::Reader::image, tg::ByteSpan(data, size));
  return 0;
}
