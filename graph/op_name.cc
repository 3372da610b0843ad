#include "graph/op_name.h"

#include <mutex>
#include <unordered_set>

namespace tg {
namespace {

// The process-wide pool of interned op names (see op_name.h). Node-based, so
// an entry never moves; deliberately never destroyed, so names stay valid
// even for tapes destroyed during static destruction.
struct NamePool {
  std::mutex mutex;
  std::unordered_set<std::string> names;
};

NamePool& pool() {
  static NamePool* const instance = new NamePool();
  return *instance;
}

}  // namespace

OpName OpName::intern(std::string_view name) {
  NamePool& p = pool();
  const std::lock_guard<std::mutex> lock(p.mutex);
  const std::string& pooled = *p.names.emplace(name).first;
  return OpName(Pooled{}, pooled);
}

}  // namespace tg
