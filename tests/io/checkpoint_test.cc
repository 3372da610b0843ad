// The checkpoint format and .npy export: round trips, and every kind of
// damage turned into a FileError that names the file.
#include "io/checkpoint.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "graph/errors.h"
#include "graph/rng.h"
#include "io/npy.h"
#include "tests/support/test_folder.h"

using namespace tg;

namespace {

Checkpoint sample_checkpoint() {
  Rng rng(1);
  Checkpoint c;
  c.put("param/W1", Tensor::randn({3, 4}, rng));
  c.put("param/scalar", Tensor::full({}, 2.5, DType::f64));
  c.put("empty", Tensor::zeros({0, 3}));
  c.put_int("solver/iteration", -42);
  c.put_real("solver/lr", 1e-3);
  c.put_string("meta/model", "ThreeLayerConvNet");
  return c;
}

}  // namespace

TEST_CASE("A checkpoint round-trips every kind of entry exactly") {
  const Checkpoint c = sample_checkpoint();
  const Checkpoint back = Checkpoint::parse("memory", c.serialize());
  CHECK(back.tensor("param/W1").to_vector() == c.tensor("param/W1").to_vector());
  CHECK(back.tensor("param/W1").dtype() == DType::f32);
  CHECK(back.tensor("param/scalar").item() == 2.5);
  CHECK(back.tensor("param/scalar").dtype() == DType::f64);
  CHECK(back.tensor("empty").shape() == Shape{0, 3});
  CHECK(back.get_int("solver/iteration") == -42);
  CHECK(back.get_real("solver/lr") == 1e-3);
  CHECK(back.get_string("meta/model") == "ThreeLayerConvNet");
  CHECK(back.names_with_prefix("param/") == std::vector<std::string>{"param/W1", "param/scalar"});
  CHECK(back.serialize() == c.serialize());
}

TEST_CASE("Saving is atomic and loading names the file") {
  const std::string folder = tg::testing::fresh_test_folder("checkpoint_save");
  const std::string path = folder + "/run.tgck";
  sample_checkpoint().save(path);
  sample_checkpoint().save(path);  // replaces
  CHECK(tg::testing::entries_of(folder) == std::vector<std::string>{"run.tgck"});
  const Checkpoint loaded = Checkpoint::load(path);
  CHECK(loaded.source() == path);
  const std::string missing_entry = path + ": no entry 'param/W9'";
  CHECK_THROWS_WITH_AS(loaded.tensor("param/W9"), doctest::Contains(missing_entry.c_str()),
                       FileError);
  CHECK_THROWS_WITH_AS(loaded.get_int("meta/model"),
                       doctest::Contains("entry 'meta/model' is not an integer"), FileError);
  CHECK_THROWS_WITH_AS(Checkpoint::load(folder + "/missing.tgck"),
                       doctest::Contains("missing.tgck"), FileError);
}

TEST_CASE("Every truncation of a checkpoint is rejected with the file named") {
  const std::string bytes = sample_checkpoint().serialize();
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    CAPTURE(size);
    CHECK_THROWS_WITH_AS(Checkpoint::parse("cut.tgck", bytes.substr(0, size)),
                         doctest::Contains("cut.tgck: "), FileError);
  }
}

TEST_CASE("Every single flipped bit is caught") {
  const std::string bytes = sample_checkpoint().serialize();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      CAPTURE(i);
      CAPTURE(bit);
      CHECK_THROWS_AS(Checkpoint::parse("flip.tgck", damaged), FileError);
    }
  }
}

TEST_CASE("Wrong magic, version and padding are named") {
  const std::string bytes = sample_checkpoint().serialize();
  std::string other = bytes;
  other[0] = 'X';
  CHECK_THROWS_WITH_AS(Checkpoint::parse("a.bin", other),
                       "a.bin: byte 0: not a tapegrad checkpoint (the magic is not \"TGCKPT01\")",
                       FileError);
  std::string future = bytes;
  future[8] = 2;
  CHECK_THROWS_WITH_AS(Checkpoint::parse("b.tgck", future),
                       "b.tgck: byte 8: checkpoint format version 2, this build reads version 1",
                       FileError);
  CHECK_THROWS_WITH_AS(Checkpoint::parse("c.tgck", bytes + "x"),
                       doctest::Contains("c.tgck: byte 16: the header promises"), FileError);
}

TEST_CASE("A model file and a checkpoint share the container and tell each other apart") {
  const Checkpoint c = sample_checkpoint();
  const std::string model_bytes = c.serialize(kModelFileKind);
  CHECK(model_bytes.substr(0, 8) == "TGMODEL1");
  CHECK(Checkpoint::parse("m.tgm", model_bytes, kModelFileKind).serialize() == c.serialize());
  CHECK_THROWS_WITH_AS(Checkpoint::parse("m.tgm", model_bytes),
                       "m.tgm: byte 0: a tapegrad model file, not a checkpoint (the magic is "
                       "\"TGMODEL1\", not \"TGCKPT01\")",
                       FileError);
  CHECK_THROWS_WITH_AS(Checkpoint::parse("c.tgck", c.serialize(), kModelFileKind),
                       "c.tgck: byte 0: a tapegrad checkpoint, not a model file (the magic is "
                       "\"TGCKPT01\", not \"TGMODEL1\")",
                       FileError);
  CHECK_THROWS_WITH_AS(Checkpoint::parse("short.tgm", "TGMODEL1", kModelFileKind),
                       "short.tgm: 8 bytes is too short for a model file (at least 28)", FileError);
}

TEST_CASE("Entries say what kind they are") {
  const Checkpoint c = sample_checkpoint();
  for (const std::string& name : c.names_with_prefix("")) {
    CAPTURE(name);
    switch (c.kind(name)) {
      case Checkpoint::EntryKind::tensor:
        CHECK_NOTHROW(c.tensor(name));
        break;
      case Checkpoint::EntryKind::integer:
        CHECK_NOTHROW(c.get_int(name));
        break;
      case Checkpoint::EntryKind::real:
        CHECK_NOTHROW(c.get_real(name));
        break;
      case Checkpoint::EntryKind::string:
        CHECK_NOTHROW(c.get_string(name));
        break;
    }
  }
  CHECK_THROWS_WITH_AS(c.kind("nothing"), "(in memory): no entry 'nothing'", FileError);
}

// Regression (tools/fuzz.sh, tests/fuzz/corpus/checkpoint/crash-fa8ffdfc...):
// a dimension after a zero was checked against the bytes left in the file,
// so an empty tensor as the last entry could not be read back.
TEST_CASE("An empty tensor round-trips wherever it is in the checkpoint") {
  Checkpoint c;
  c.put("a", Tensor::zeros({2}));
  c.put("z/empty", Tensor::zeros({0, 4, 1000}, DType::f64));
  const Checkpoint back = Checkpoint::parse("last.tgck", c.serialize());
  CHECK(back.tensor("z/empty").shape() == Shape{0, 4, 1000});
  CHECK(back.tensor("z/empty").dtype() == DType::f64);
  CHECK(back.serialize() == c.serialize());
}

namespace {

void append_little_endian(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(value >> (8 * i) & 0xff));
}

// A valid checkpoint (header, checksum) whose one entry is a float32 tensor
// "t" of these dimensions, without element bytes.
std::string checkpoint_with_empty_tensor(const std::vector<std::uint64_t>& dims) {
  std::string payload;
  append_little_endian(payload, 1, 2);
  payload += "t";
  payload += {'\x01', '\x00', static_cast<char>(dims.size())};  // tensor, float32, rank
  for (std::uint64_t d : dims) append_little_endian(payload, d, 8);
  std::string file = "TGCKPT01";
  append_little_endian(file, Checkpoint::kVersion, 4);
  append_little_endian(file, 1, 4);
  append_little_endian(file, payload.size(), 8);
  file += payload;
  const auto* bytes = reinterpret_cast<const Bytef*>(file.data());
  append_little_endian(file, crc32(0, bytes, static_cast<uInt>(file.size())), 4);
  return file;
}

}  // namespace

TEST_CASE("A tensor whose size overflows 64 bits is rejected, even an empty one") {
  const std::uint64_t huge = std::uint64_t{1} << 62;
  CHECK(Checkpoint::parse("ok.tgck", checkpoint_with_empty_tensor({0, 4})).tensor("t").shape() ==
        Shape{0, 4});
  CHECK_THROWS_WITH_AS(
      Checkpoint::parse("big.tgck", checkpoint_with_empty_tensor({0, huge, huge})),
      doctest::Contains("big.tgck: byte 30: entry 't': shape (0,4611686018427387904,"
                        "4611686018427387904) is too big"),
      FileError);
  CHECK_THROWS_WITH_AS(
      Checkpoint::parse("neg.tgck", checkpoint_with_empty_tensor({0, 2 * huge})),
      doctest::Contains("neg.tgck: byte 38: entry 't': dimension 9223372036854775808 is above"),
      FileError);
  CHECK_THROWS_WITH_AS(Checkpoint::parse("cut.tgck", checkpoint_with_empty_tensor({3, 5})),
                       doctest::Contains("cut.tgck: byte 46: the data ends"), FileError);
}

TEST_CASE(".npy export writes NumPy's format 1.0 and reads back") {
  const Tensor t = Tensor::from_values({2, 3}, {1, 2, 3, 4, 5, 6});
  const std::string bytes = npy_bytes(t);
  CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t header = static_cast<unsigned char>(bytes[8]) |
                             static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8;
  CHECK((10 + header) % 64 == 0);
  CHECK(bytes.substr(10, 59) == "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  CHECK(bytes[10 + header - 1] == '\n');
  CHECK(bytes.size() == 10 + header + 6 * 4);
  CHECK(parse_npy("t.npy", bytes).to_vector() == t.to_vector());
  const Tensor v = Tensor::from_values({4}, {1, 2, 3, 4}, DType::f64);
  CHECK(npy_bytes(v).find("'descr': '<f8', 'fortran_order': False, 'shape': (4,), }") !=
        std::string::npos);
  CHECK(parse_npy("v.npy", npy_bytes(v)).shape() == Shape{4});
  CHECK(npy_bytes(Tensor::full({}, 1.0)).find("'shape': (), }") != std::string::npos);
  const std::string folder = tg::testing::fresh_test_folder("npy");
  save_npy(folder + "/t.npy", t);
  CHECK(load_npy(folder + "/t.npy").to_vector() == t.to_vector());
}

TEST_CASE("Malformed .npy files are rejected with the file named") {
  const std::string bytes = npy_bytes(Tensor::zeros({2, 2}));
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    CHECK_THROWS_WITH_AS(parse_npy("x.npy", bytes.substr(0, size)), doctest::Contains("x.npy"),
                         FileError);
  }
  std::string int_typed = bytes;
  int_typed.replace(int_typed.find("<f4"), 3, "<i4");
  CHECK_THROWS_WITH_AS(parse_npy("i.npy", int_typed), doctest::Contains("i.npy: dtype '<i4'"),
                       FileError);
}

namespace {

// The .npy file of a 2x2 float32 zero tensor, its shape text replaced by
// `shape` (padding absorbs the change, so the header length still holds).
std::string npy_with_shape_text(const std::string& shape) {
  std::string bytes = npy_bytes(Tensor::zeros({2, 2}));
  const std::size_t at = bytes.find("(2, 2)");
  bytes.replace(at, 6, shape);
  bytes.erase(bytes.find("} ") + 1, shape.size() - 6);
  return bytes;
}

}  // namespace

// Regression (tools/fuzz.sh, tests/fuzz/corpus/npy/crash-b45c2c7a...): the
// element count of a lying shape overflowed int64 in Shape::numel.
TEST_CASE("A .npy shape whose size overflows 64 bits is rejected, not multiplied out") {
  CHECK_THROWS_WITH_AS(parse_npy("big.npy", npy_with_shape_text("(1099511627776, 1099511627776)")),
                       doctest::Contains("big.npy: shape (1099511627776,1099511627776) is too big"),
                       FileError);
  CHECK_THROWS_WITH_AS(
      parse_npy("e.npy", npy_with_shape_text("(0, 1099511627776, 1099511627776, 1099511627776)")),
      doctest::Contains("e.npy: shape (0,1099511627776,1099511627776,1099511627776) is too big"),
      FileError);
  CHECK(parse_npy("ok.npy", npy_with_shape_text("(4, 1)")).shape() == Shape{4, 1});
  const std::string empty = npy_with_shape_text("(0, 1099511627776)");
  CHECK(parse_npy("empty.npy", empty.substr(0, empty.size() - 16)).shape() ==
        Shape{0, 1099511627776});
}
