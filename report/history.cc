#include "report/history.h"

#include <cmath>

namespace tg {

std::optional<EpochRecord> best_epoch(const History& history) {
  std::optional<EpochRecord> best;
  for (const EpochRecord& record : history.epochs) {
    if (std::isnan(record.val_acc)) continue;
    if (!best || record.val_acc > best->val_acc) best = record;
  }
  return best;
}

}  // namespace tg
