#include "io/checkpoint.h"

#include <zlib.h>

#include <cstring>
#include <limits>
#include <optional>

#include "graph/errors.h"
#include "io/array_bytes.h"
#include "io/atomic_file.h"
#include "io/byte_reader.h"
#include "io/file_error.h"

namespace tg {
namespace {

constexpr std::size_t kMagicBytes = 8;
constexpr std::size_t kHeaderBytes = 24;
constexpr std::size_t kChecksumBytes = 4;
constexpr std::uint64_t kMaxEntries = 1 << 20;

enum Kind : std::uint8_t { kTensor = 1, kInt = 2, kReal = 3, kString = 4 };

void append_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t bits_of(double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

std::uint32_t crc32_of(const char* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes lengths as uInt: feed large buffers in pieces.
  while (size > 0) {
    const auto piece = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), piece);
    data += piece;
    size -= piece;
  }
  return static_cast<std::uint32_t>(crc);
}

// The kind of container whose magic this is, if tapegrad writes it.
const ContainerKind* kind_of_magic(std::string_view magic) {
  for (const ContainerKind* kind : {&kCheckpointKind, &kModelFileKind}) {
    if (magic == kind->magic) return kind;
  }
  return nullptr;
}

}  // namespace

void Checkpoint::put(const std::string& name, const Tensor& tensor) {
  if (!tensor.defined()) throw ArgumentError("Checkpoint::put: tensor '" + name + "' is undefined");
  entries_[name] = tensor.clone();
}

void Checkpoint::put_int(const std::string& name, std::int64_t value) { entries_[name] = value; }

void Checkpoint::put_real(const std::string& name, double value) { entries_[name] = value; }

void Checkpoint::put_string(const std::string& name, const std::string& value) {
  entries_[name] = value;
}

const Checkpoint::Entry& Checkpoint::entry(const std::string& name, std::size_t kind,
                                           const char* kind_name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end())
    fail_file(source_, "no entry '{}' (a checkpoint of another model or run?)", name);
  if (it->second.index() != kind) fail_file(source_, "entry '{}' is not {}", name, kind_name);
  return it->second;
}

Checkpoint::EntryKind Checkpoint::kind(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) fail_file(source_, "no entry '{}'", name);
  return static_cast<EntryKind>(it->second.index());
}

const Tensor& Checkpoint::tensor(const std::string& name) const {
  return std::get<Tensor>(entry(name, 0, "a tensor"));
}

std::int64_t Checkpoint::get_int(const std::string& name) const {
  return std::get<std::int64_t>(entry(name, 1, "an integer"));
}

double Checkpoint::get_real(const std::string& name) const {
  return std::get<double>(entry(name, 2, "a real number"));
}

const std::string& Checkpoint::get_string(const std::string& name) const {
  return std::get<std::string>(entry(name, 3, "a string"));
}

std::vector<std::string> Checkpoint::names_with_prefix(std::string_view prefix) const {
  std::vector<std::string> names;
  for (auto it = entries_.lower_bound(std::string(prefix));
       it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    names.push_back(it->first);
  }
  return names;
}

std::string Checkpoint::serialize(const ContainerKind& kind) const {
  std::string payload;
  for (const auto& [name, value] : entries_) {
    if (name.size() > std::numeric_limits<std::uint16_t>::max()) {
      throw ArgumentError("Checkpoint: an entry name is longer than 65535 bytes");
    }
    append_le(payload, name.size(), 2);
    payload += name;
    if (const auto* t = std::get_if<Tensor>(&value)) {
      payload.push_back(static_cast<char>(kTensor));
      payload.push_back(static_cast<char>(t->dtype() == DType::f32 ? 0 : 1));
      payload.push_back(static_cast<char>(t->rank()));
      for (std::int64_t d : t->shape()) append_le(payload, static_cast<std::uint64_t>(d), 8);
      payload.append(static_cast<const char*>(t->raw_data()), t->bytes());
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      payload.push_back(static_cast<char>(kInt));
      append_le(payload, static_cast<std::uint64_t>(*i), 8);
    } else if (const auto* r = std::get_if<double>(&value)) {
      payload.push_back(static_cast<char>(kReal));
      append_le(payload, bits_of(*r), 8);
    } else {
      const auto& s = std::get<std::string>(value);
      payload.push_back(static_cast<char>(kString));
      append_le(payload, s.size(), 4);
      payload += s;
    }
  }
  std::string file(kind.magic);
  append_le(file, kind.version, 4);
  append_le(file, entries_.size(), 4);
  append_le(file, payload.size(), 8);
  file += payload;
  append_le(file, crc32_of(file.data(), file.size()), 4);
  return file;
}

Checkpoint Checkpoint::parse(std::string_view source, std::string_view bytes,
                             const ContainerKind& kind) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  ByteReader header(source, ByteSpan(data, bytes.size()));
  if (bytes.size() < kHeaderBytes + kChecksumBytes) {
    fail_file(source, "{} bytes is too short for a {} (at least {})", bytes.size(),
              kind.description, kHeaderBytes + kChecksumBytes);
  }
  const std::string_view magic(reinterpret_cast<const char*>(header.take(kMagicBytes, "magic")),
                               kMagicBytes);
  if (magic != kind.magic) {
    if (const ContainerKind* other = kind_of_magic(magic)) {
      fail_at_byte(source, 0, "a tapegrad {}, not a {} (the magic is \"{}\", not \"{}\")",
                   other->description, kind.description, other->magic, kind.magic);
    }
    fail_at_byte(source, 0, "not a tapegrad {} (the magic is not \"{}\")", kind.description,
                 kind.magic);
  }
  const std::uint32_t version = header.u32_little_endian("version");
  if (version != kind.version) {
    fail_at_byte(source, 8, "{} format version {}, this build reads version {}", kind.description,
                 version, kind.version);
  }
  const std::uint32_t count = header.u32_little_endian("entry count");
  const std::uint64_t payload_size = header.u64_little_endian("payload size");
  if (payload_size != bytes.size() - kHeaderBytes - kChecksumBytes) {
    fail_at_byte(
        source, 16,
        "the header promises {} bytes of entries but the file holds {} (truncated or padded?)",
        payload_size, bytes.size() - kHeaderBytes - kChecksumBytes);
  }
  const std::size_t checked = bytes.size() - kChecksumBytes;
  ByteReader trailer(source, ByteSpan(data + checked, kChecksumBytes));
  const std::uint32_t stored = trailer.u32_little_endian("checksum");
  const std::uint32_t actual = crc32_of(bytes.data(), checked);
  if (stored != actual) {
    fail_at_byte(source, checked,
                 "checksum mismatch (stored {:08x}, computed {:08x}): the file is corrupt", stored,
                 actual);
  }
  if (count > kMaxEntries)
    fail_at_byte(source, 12, "{} entries is more than the limit {}", count, kMaxEntries);

  Checkpoint checkpoint;
  checkpoint.source_ = std::string(source);
  ByteReader in(source, ByteSpan(data, checked));
  in.take(kHeaderBytes, "header");
  for (std::uint32_t e = 0; e < count; ++e) {
    const std::size_t at = in.offset();
    const std::uint16_t name_size = in.u16_little_endian("entry name length");
    const std::string name(reinterpret_cast<const char*>(in.take(name_size, "entry name")),
                           name_size);
    if (checkpoint.entries_.count(name)) fail_at_byte(source, at, "entry '{}' appears twice", name);
    const std::uint8_t kind = in.u8("entry kind");
    if (kind == kTensor) {
      const std::uint8_t dtype_code = in.u8("tensor dtype");
      if (dtype_code > 1)
        fail_at_byte(source, in.offset() - 1, "entry '{}': unknown dtype code {}", name,
                     dtype_code);
      const DType dtype = dtype_code == 0 ? DType::f32 : DType::f64;
      const std::uint8_t rank = in.u8("tensor rank");
      if (rank > Shape::kMaxRank)
        fail_at_byte(source, in.offset() - 1, "entry '{}': rank {} is above {}", name, rank,
                     Shape::kMaxRank);
      const std::size_t dims_offset = in.offset();
      std::vector<std::int64_t> dims(rank);
      for (auto& d : dims) {
        const std::uint64_t dim = in.u64_little_endian("tensor dimension");
        if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          fail_at_byte(source, in.offset() - 8, "entry '{}': dimension {} is above 2^63 - 1", name,
                       dim);
        }
        d = static_cast<std::int64_t>(dim);
      }
      // Sized without overflow, and taken from the file before anything is allocated.
      const std::optional<std::uint64_t> data_bytes = array_data_bytes(dims, dtype);
      if (!data_bytes) {
        fail_at_byte(source, dims_offset,
                     "entry '{}': shape {} is too big (its size overflows 64 bits)", name,
                     dims_str(dims));
      }
      const std::uint8_t* values = in.take(*data_bytes, "tensor elements");
      Tensor t = Tensor::empty(Shape(dims), dtype);
      if (*data_bytes > 0) std::memcpy(t.raw_data(), values, *data_bytes);
      checkpoint.entries_[name] = std::move(t);
    } else if (kind == kInt) {
      checkpoint.entries_[name] = static_cast<std::int64_t>(in.u64_little_endian("integer"));
    } else if (kind == kReal) {
      checkpoint.entries_[name] = in.f64_little_endian("real");
    } else if (kind == kString) {
      const std::uint32_t size = in.u32_little_endian("string length");
      checkpoint.entries_[name] =
          std::string(reinterpret_cast<const char*>(in.take(size, "string")), size);
    } else {
      fail_at_byte(source, in.offset() - 1, "entry '{}': unknown kind {}", name, kind);
    }
  }
  if (in.remaining() != 0) {
    fail_at_byte(source, in.offset(), "{} bytes after the last of {} entries", in.remaining(),
                 count);
  }
  return checkpoint;
}

void Checkpoint::save(const std::string& path, const ContainerKind& kind) const {
  write_file_atomically(path, serialize(kind));
}

Checkpoint Checkpoint::load(const std::string& path, const ContainerKind& kind) {
  return parse(path, read_file(path), kind);
}

}  // namespace tg
