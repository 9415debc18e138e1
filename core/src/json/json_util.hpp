// Small JSON helpers shared by core modules (RapidJSON stays private to core).
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinnipedci::json {

// Appends `value` as a JSON string literal the way Go's encoding/json does (escapes <, >, & and
// U+2028/U+2029; invalid UTF-8 becomes U+FFFD).
void append_go_string(std::string& out, std::string_view value);
std::string go_string(std::string_view value);

// Member accessors that tolerate missing members and wrong types.
// The member `name` of an object, or nullptr.
const rapidjson::Value* member(const rapidjson::Value& object, const char* name);
std::optional<std::string> get_string(const rapidjson::Value& object, const char* name);
const rapidjson::Value* get_object(const rapidjson::Value& object, const char* name);
std::vector<std::string> get_string_array(const rapidjson::Value& object, const char* name);

// Compact serialisation of any value.
std::string to_string(const rapidjson::Value& value);

} // namespace pinnipedci::json
