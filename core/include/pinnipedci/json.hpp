#pragma once

#include <string>
#include <string_view>

namespace pinnipedci {

// `value` as a JSON string literal, escaped like Go's encoding/json.
std::string json_quote(std::string_view value);

} // namespace pinnipedci
