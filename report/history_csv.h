// The two CSV files of a run folder:
//   history.csv  "iteration,epoch,loss,lr"                one row per iteration
//   epochs.csv   "epoch,train_acc,val_acc,lr,seconds"     one row per epoch
// Numbers are written in their shortest round-trip form (NaN as "nan",
// infinities as "inf" and "-inf"), so a file reads back to identical doubles.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/history.h"

namespace tg {

inline constexpr std::string_view kHistoryCsvHeader = "iteration,epoch,loss,lr";
inline constexpr std::string_view kEpochsCsvHeader = "epoch,train_acc,val_acc,lr,seconds";

// The file's text, header line included.
std::string render_history_csv(const std::vector<IterationRecord>& iterations);
std::string render_epochs_csv(const std::vector<EpochRecord>& epochs);

// Parse a file's text; `file_name` is what errors name. Throws FileError
// "<file_name>: line <n>: <what is wrong>" for a wrong header, a wrong number
// of fields, or a field that is not a number (an integer for iteration and
// epoch). CRLF line ends and a missing final newline are accepted.
std::vector<IterationRecord> parse_history_csv(std::string_view text, std::string_view file_name);
std::vector<EpochRecord> parse_epochs_csv(std::string_view text, std::string_view file_name);

// read_file + parse.
std::vector<IterationRecord> read_history_csv(const std::string& path);
std::vector<EpochRecord> read_epochs_csv(const std::string& path);

}  // namespace tg
