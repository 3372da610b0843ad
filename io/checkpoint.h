// Checkpoints: an ordered set of named entries (tensors, integers, reals,
// strings) in one binary file, written atomically and verified on reading.
// Model files (models/model_file.h) are the same container with their own
// magic and version (ContainerKind).
//
// File format, version 1 (all numbers little-endian):
//   offset 0   8 bytes   magic "TGCKPT01" (a model file: "TGMODEL1")
//          8   u32       format version (1)
//         12   u32       number of entries
//         16   u64       payload size P in bytes
//         24   P bytes   the entries, one after another
//     24 + P   u32       CRC-32 (zlib) of every byte before it
// An entry: u16 name length, the name (UTF-8), u8 kind, then by kind
//   1 tensor: u8 dtype (0 float32, 1 float64), u8 rank, rank x u64 dims, the
//             elements row-major;
//   2 int64: 8 bytes;  3 float64: 8 bytes;  4 string: u32 length, the bytes.
// A reader checks the size, magic, version and checksum before it parses,
// so a truncated file, another format or a flipped bit is an error that
// names the file, the byte offset and the problem.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "graph/tensor.h"

namespace tg {

// What a container file holds, told by its first 8 bytes and its version.
struct ContainerKind {
  std::string_view magic;  // 8 characters
  std::uint32_t version;
  std::string_view description;  // for messages: "checkpoint"
};

// The whole state of a training run (solver/).
inline constexpr ContainerKind kCheckpointKind{"TGCKPT01", 1, "checkpoint"};
// A trained model for inference (models/model_file.h).
// Version 2: the module tree (model/tree); version 1 files (a flat model by
// name and config) are refused, naming their version.
inline constexpr ContainerKind kModelFileKind{"TGMODEL1", 2, "model file"};

class Checkpoint {
 public:
  static constexpr std::uint32_t kVersion = kCheckpointKind.version;

  enum class EntryKind { tensor, integer, real, string };

  Checkpoint() = default;

  void put(const std::string& name, const Tensor& tensor);
  void put_int(const std::string& name, std::int64_t value);
  void put_real(const std::string& name, double value);
  void put_string(const std::string& name, const std::string& value);

  bool has(const std::string& name) const { return entries_.count(name) > 0; }
  // Throws FileError naming the source file when there is no such entry.
  EntryKind kind(const std::string& name) const;
  // Each throws FileError naming the source file when the entry is missing
  // or of another kind.
  const Tensor& tensor(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  double get_real(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  // Names starting with `prefix`, in sorted order.
  std::vector<std::string> names_with_prefix(std::string_view prefix) const;

  // The file's bytes, with the magic and version of `kind`.
  std::string serialize(const ContainerKind& kind = kCheckpointKind) const;
  // `source` names the bytes in errors (the path). A file of another kind
  // (a model file read as a checkpoint) is an error saying what it is.
  static Checkpoint parse(std::string_view source, std::string_view bytes,
                          const ContainerKind& kind = kCheckpointKind);

  // write_file_atomically(path, serialize(kind)).
  void save(const std::string& path, const ContainerKind& kind = kCheckpointKind) const;
  static Checkpoint load(const std::string& path, const ContainerKind& kind = kCheckpointKind);

  // Where the checkpoint came from ("(in memory)" until loaded).
  const std::string& source() const { return source_; }

 private:
  using Entry = std::variant<Tensor, std::int64_t, double, std::string>;
  const Entry& entry(const std::string& name, std::size_t kind, const char* kind_name) const;

  std::map<std::string, Entry> entries_;
  std::string source_ = "(in memory)";
};

}  // namespace tg
