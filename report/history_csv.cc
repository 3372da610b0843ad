#include "report/history_csv.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <utility>

#include "graph/errors.h"
#include "io/atomic_file.h"

namespace tg {
namespace {

// Splits CSV text into lines and fields, and converts fields, with errors
// that name the file and the line.
class CsvReader {
 public:
  CsvReader(std::string_view text, std::string_view file_name)
      : text_(text), file_name_(file_name) {}

  // Reads the next line into `line`; false at the end. A final newline does
  // not start another (empty) line.
  bool next_line(std::string_view& line) {
    if (at_ >= text_.size()) return false;
    const std::size_t end = std::min(text_.find('\n', at_), text_.size());
    line = text_.substr(at_, end - at_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    at_ = end + 1;
    ++line_number_;
    return true;
  }

  // Whether nothing but line ends follows the current line (blank lines at the
  // very end of a file are tolerated, blank lines between rows are not).
  bool only_blank_lines_left() const {
    for (std::size_t i = at_; i < text_.size(); ++i) {
      if (text_[i] != '\n' && text_[i] != '\r') return false;
    }
    return true;
  }

  void expect_header(std::string_view expected) {
    std::string_view line;
    if (!next_line(line)) {
      line_number_ = 1;
      fail("the file is empty, expected the header \"{}\"", expected);
    }
    if (line != expected) fail("expected the header \"{}\", got \"{}\"", expected, shortened(line));
  }

  // The line's comma-separated fields; there must be exactly N.
  template <std::size_t N>
  std::array<std::string_view, N> split(std::string_view line, std::string_view header) {
    if (line.empty()) fail("blank line (expected \"{}\")", header);
    std::array<std::string_view, N> fields;
    std::size_t count = 0;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = line.find(',', start);
      const std::string_view field = line.substr(start, comma - start);
      if (count < N) fields[count] = field;
      ++count;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (count != N) fail("expected {} fields ({}), got {}", N, header, count);
    return fields;
  }

  double to_double(std::string_view field, std::string_view name) {
    double value = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || error != std::errc() || end != field.data() + field.size()) {
      fail("{} is not a number: \"{}\"", name, shortened(field));
    }
    return value;
  }

  std::int64_t to_int(std::string_view field, std::string_view name) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || error != std::errc() || end != field.data() + field.size()) {
      fail("{} is not an integer: \"{}\"", name, shortened(field));
    }
    return value;
  }

 private:
  static std::string shortened(std::string_view text) {
    constexpr std::size_t kMax = 60;
    return text.size() <= kMax ? std::string(text) : std::string(text.substr(0, kMax)) + "...";
  }

  template <class... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    throw FileError(fmt::format("{}: line {}: {}", file_name_, line_number_,
                                fmt::format(format, std::forward<Args>(args)...)));
  }

  std::string_view text_;
  std::string_view file_name_;
  std::size_t at_ = 0;
  std::size_t line_number_ = 0;
};

}  // namespace

std::string render_history_csv(const std::vector<IterationRecord>& iterations) {
  std::string out;
  out.reserve(32 * (iterations.size() + 1));
  out.append(kHistoryCsvHeader);
  out += '\n';
  for (const IterationRecord& r : iterations) {
    fmt::format_to(std::back_inserter(out), "{},{},{},{}\n", r.iteration, r.epoch, r.loss, r.lr);
  }
  return out;
}

std::string render_epochs_csv(const std::vector<EpochRecord>& epochs) {
  std::string out(kEpochsCsvHeader);
  out += '\n';
  for (const EpochRecord& r : epochs) {
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{}\n", r.epoch, r.train_acc, r.val_acc,
                   r.lr, r.seconds);
  }
  return out;
}

std::vector<IterationRecord> parse_history_csv(std::string_view text, std::string_view file_name) {
  CsvReader reader(text, file_name);
  reader.expect_header(kHistoryCsvHeader);
  std::vector<IterationRecord> records;
  std::string_view line;
  while (reader.next_line(line)) {
    if (line.empty() && reader.only_blank_lines_left()) break;
    const auto f = reader.split<4>(line, kHistoryCsvHeader);
    records.push_back({reader.to_int(f[0], "iteration"), reader.to_double(f[1], "epoch"),
                       reader.to_double(f[2], "loss"), reader.to_double(f[3], "lr")});
  }
  return records;
}

std::vector<EpochRecord> parse_epochs_csv(std::string_view text, std::string_view file_name) {
  CsvReader reader(text, file_name);
  reader.expect_header(kEpochsCsvHeader);
  std::vector<EpochRecord> records;
  std::string_view line;
  while (reader.next_line(line)) {
    if (line.empty() && reader.only_blank_lines_left()) break;
    const auto f = reader.split<5>(line, kEpochsCsvHeader);
    records.push_back({reader.to_int(f[0], "epoch"), reader.to_double(f[1], "train_acc"),
                       reader.to_double(f[2], "val_acc"), reader.to_double(f[3], "lr"),
                       reader.to_double(f[4], "seconds")});
  }
  return records;
}

std::vector<IterationRecord> read_history_csv(const std::string& path) {
  return parse_history_csv(read_file(path), path);
}

std::vector<EpochRecord> read_epochs_csv(const std::string& path) {
  return parse_epochs_csv(read_file(path), path);
}

}  // namespace tg
