#include "io/npy.h"

#include <fmt/format.h>

#include <cstring>
#include <optional>

#include "io/byte_reader.h"
#include "io/file_error.h"
#include "io/array_bytes.h"
#include "io/atomic_file.h"

namespace tg {
namespace {

constexpr char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

// The text after `key` in the header dict, e.g. after "'descr':".
std::string_view value_after(std::string_view source, std::string_view header,
                             std::string_view key) {
  const std::size_t at = header.find(key);
  if (at == std::string_view::npos) fail_file(source, "the .npy header has no {}", key);
  std::string_view rest = header.substr(at + key.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest;
}

}  // namespace

std::string npy_bytes(const Tensor& tensor) {
  // Python tuple syntax: "()", "(4,)", "(2, 3)".
  std::string shape =
      fmt::format("({})", fmt::join(tensor.shape().begin(), tensor.shape().end(), ", "));
  if (tensor.rank() == 1) shape = fmt::format("({},)", tensor.dim(0));
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   tensor.dtype() == DType::f32 ? "<f4" : "<f8", shape);
  // Pad with spaces so that magic + version + length + header is a multiple of 64, ending in '\n'.
  const std::size_t prefix = sizeof kMagic + 2 + 2;
  header.append(63 - (prefix + header.size()) % 64, ' ');
  header += '\n';
  std::string out(kMagic, sizeof kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(tensor.raw_data()), tensor.bytes());
  return out;
}

void save_npy(const std::string& path, const Tensor& tensor) {
  write_file_atomically(path, npy_bytes(tensor));
}

Tensor parse_npy(std::string_view source, std::string_view bytes) {
  ByteReader in(source,
                ByteSpan(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  if (std::memcmp(in.take(sizeof kMagic, "magic"), kMagic, sizeof kMagic) != 0) {
    fail_at_byte(source, 0, "not a .npy file (bad magic)");
  }
  const std::uint8_t major = in.u8("major version");
  in.u8("minor version");
  if (major != 1 && major != 2) fail_at_byte(source, 6, ".npy version {} is not supported", major);
  const std::size_t header_size =
      major == 1 ? in.u16_little_endian("header length") : in.u32_little_endian("header length");
  const std::string_view header(reinterpret_cast<const char*>(in.take(header_size, "header")),
                                header_size);
  const std::string_view descr = value_after(source, header, "'descr':");
  DType dtype;
  if (descr.substr(0, 5) == "'<f4'") {
    dtype = DType::f32;
  } else if (descr.substr(0, 5) == "'<f8'") {
    dtype = DType::f64;
  } else {
    fail_file(source, "dtype {} is not supported (only '<f4' and '<f8')",
              descr.substr(0, descr.find(',')));
  }
  if (value_after(source, header, "'fortran_order':").substr(0, 5) != "False") {
    fail_file(source, "Fortran-order arrays are not supported");
  }
  const std::string_view shape_text = value_after(source, header, "'shape':");
  if (shape_text.empty() || shape_text.front() != '(')
    fail_file(source, "the shape is not a tuple");
  std::vector<std::int64_t> dims;
  std::size_t i = 1;
  while (i < shape_text.size() && shape_text[i] != ')') {
    if (shape_text[i] == ' ' || shape_text[i] == ',') {
      ++i;
      continue;
    }
    std::int64_t d = 0;
    bool digits = false;
    while (i < shape_text.size() && shape_text[i] >= '0' && shape_text[i] <= '9') {
      d = d * 10 + (shape_text[i++] - '0');
      digits = true;
      if (d > (std::int64_t{1} << 40)) fail_file(source, "a dimension is too large");
    }
    if (!digits)
      fail_file(source, "cannot read the shape {}", shape_text.substr(0, shape_text.find(')') + 1));
    dims.push_back(d);
  }
  if (dims.size() > static_cast<std::size_t>(Shape::kMaxRank)) {
    fail_file(source, "rank {} is above the maximum {}", dims.size(), Shape::kMaxRank);
  }
  const std::optional<std::uint64_t> data_bytes = array_data_bytes(dims, dtype);
  if (!data_bytes)
    fail_file(source, "shape {} is too big (its size overflows 64 bits)", dims_str(dims));
  const Shape shape(dims);
  if (*data_bytes != in.remaining()) {
    fail_at_byte(source, in.offset(), "shape {} needs {} bytes of data, the file has {}",
                 shape.str(), *data_bytes, in.remaining());
  }
  Tensor t = Tensor::empty(shape, dtype);
  if (*data_bytes > 0) std::memcpy(t.raw_data(), in.take(*data_bytes, "data"), *data_bytes);
  return t;
}

Tensor load_npy(const std::string& path) { return parse_npy(path, read_file(path)); }

}  // namespace tg
