// Replays the fuzz corpus: every file under tests/fuzz/corpus/<target>/ (the
// targets' seeds, and every input that once made a reader crash) goes through
// the fuzz targets' own fuzz_one_input, and each must parse or throw
// tg::Error. Under --config=asan this is the fuzzers' check on every input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "io/byte_reader.h"
#include "tests/fuzz/fuzz_one_input.h"

using namespace tg::fuzz;
namespace fs = std::filesystem;

namespace {

// Relative to the runfiles root of the workspace, a cc_test's working folder
// (the data dependency glob(["fuzz_corpus/**"]) puts the files there).
const fs::path kCorpus = "tests/fuzz/corpus";

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("Every folder of the fuzz corpus is named after a fuzz target") {
  REQUIRE_MESSAGE(fs::is_directory(kCorpus), kCorpus.string() << " is missing from the runfiles");
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    const std::string name = entry.path().filename().string();
    CHECK_MESSAGE(reader_of_target(name).has_value(), name << " is no fuzz target");
  }
}

TEST_CASE("Every input of the fuzz corpus parses or throws tg::Error") {
  for (Reader reader : kReaders) {
    const fs::path folder = kCorpus / std::string(target_name(reader));
    REQUIRE_MESSAGE(fs::is_directory(folder), folder.string() << " is missing");
    const std::vector<fs::path> files = files_in(folder);
    REQUIRE_MESSAGE(!files.empty(), folder.string() << " holds no inputs to replay");
    for (const fs::path& file : files) {
      INFO(file.string());
      const std::vector<std::uint8_t> bytes = read_bytes(file);
      CHECK_NOTHROW(fuzz_one_input(reader, tg::ByteSpan(bytes)));
    }
  }
}
