#include "report/json.h"

namespace tg {

std::string json_text(const Json& value) {
  return value.dump(/*indent=*/-1, /*indent_char=*/' ', /*ensure_ascii=*/false,
                    Json::error_handler_t::replace);
}

}  // namespace tg
