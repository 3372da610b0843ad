#include "io/read_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>

#include "io/file_error.h"

namespace tg {
namespace {

constexpr std::uint8_t kGzipMagic[2] = {0x1f, 0x8b};
// zlib counts in 32-bit uInt: feed and drain it in pieces of at most this.
constexpr std::size_t kZlibPiece = std::size_t{1} << 30;

bool starts_with_gzip_magic(ByteSpan bytes, std::size_t offset) {
  return bytes.size - offset >= 2 && bytes.data[offset] == kGzipMagic[0] &&
         bytes.data[offset + 1] == kGzipMagic[1];
}

struct CloseFile {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// Owns an inflate stream: inflateEnd runs on every exit, thrown or not.
class Inflater {
 public:
  explicit Inflater(std::string_view file) {
    // 16 + MAX_WBITS: a gzip wrapper (not zlib's), the largest window.
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) {
      fail_file(file, "zlib could not start decompressing ({})",
                stream_.msg ? stream_.msg : "no message");
    }
  }
  ~Inflater() { inflateEnd(&stream_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
};

}  // namespace

std::vector<std::uint8_t> gunzip(std::string_view file, ByteSpan compressed,
                                 std::size_t max_bytes) {
  Inflater inflater(file);
  z_stream& stream = inflater.stream();
  std::size_t fed = 0;  // compressed bytes handed to zlib so far
  // A first guess at the size; it doubles as needed, up to max_bytes.
  std::vector<std::uint8_t> out(
      std::min(max_bytes, std::max<std::size_t>(compressed.size * 4, std::size_t{1} << 16)));
  std::size_t produced = 0;
  const auto consumed = [&] { return fed - stream.avail_in; };

  for (;;) {
    if (stream.avail_in == 0 && fed < compressed.size) {
      const std::size_t piece = std::min(compressed.size - fed, kZlibPiece);
      stream.next_in = const_cast<Bytef*>(compressed.data + fed);  // zlib does not write it
      stream.avail_in = static_cast<uInt>(piece);
      fed += piece;
    }
    if (produced == out.size()) {
      if (out.size() >= max_bytes) {
        fail_file(file, "decompresses to at least {} bytes, the limit for one file", max_bytes);
      }
      out.resize(std::min(max_bytes, out.size() * 2));
    }
    const std::size_t space = std::min(out.size() - produced, kZlibPiece);
    stream.next_out = out.data() + produced;
    stream.avail_out = static_cast<uInt>(space);
    const int status = inflate(&stream, Z_NO_FLUSH);
    produced += space - stream.avail_out;

    if (status == Z_STREAM_END) {
      if (consumed() == compressed.size) break;
      // gzip allows several members one after the other; anything else is garbage.
      if (!starts_with_gzip_magic(compressed, consumed())) {
        fail_at_byte(file, consumed(), "{} unexpected bytes after the end of the gzip data",
                     compressed.size - consumed());
      }
      inflateReset(&stream);
    } else if (status == Z_BUF_ERROR && stream.avail_in == 0) {
      // zlib needs more input: the top of the loop feeds it, unless there is none.
      if (fed == compressed.size) {
        fail_at_byte(file, compressed.size,
                     "gzip data is truncated: the file ends before the end of the compressed "
                     "stream");
      }
    } else if (status != Z_OK) {
      fail_at_byte(file, consumed(), "gzip data is corrupt (zlib: {})",
                   stream.msg ? stream.msg : zError(status));
    }
  }
  out.resize(produced);
  return out;
}

std::vector<std::uint8_t> read_file_bytes(const std::string& path, std::size_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found) fail_file(path, "no such file");
  if (error) fail_file(path, "cannot inspect the file ({})", error.message());
  if (!fs::is_regular_file(status)) fail_file(path, "not a regular file");
  const std::uintmax_t size = fs::file_size(path, error);
  if (error) fail_file(path, "cannot read the file size ({})", error.message());
  if (size > max_bytes) {
    fail_file(path, "the file holds {} bytes, more than the limit of {}", size, max_bytes);
  }

  const std::unique_ptr<std::FILE, CloseFile> handle(std::fopen(path.c_str(), "rb"));
  if (!handle) fail_file(path, "cannot open the file ({})", std::strerror(errno));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (bytes.empty()) return bytes;
  const std::size_t read = std::fread(bytes.data(), 1, bytes.size(), handle.get());
  if (read != bytes.size()) {
    fail_at_byte(path, read, "reading stopped ({}), expected {} bytes",
                 std::ferror(handle.get()) ? "read error" : "end of file", bytes.size());
  }

  return decompress_if_gzip(path, std::move(bytes), max_bytes);
}

std::vector<std::uint8_t> decompress_if_gzip(std::string_view file, std::vector<std::uint8_t> bytes,
                                             std::size_t max_bytes) {
  if (starts_with_gzip_magic(bytes, 0)) return gunzip(file, bytes, max_bytes);
  return bytes;
}

}  // namespace tg
