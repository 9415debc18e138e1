#include "json/json_util.hpp"

#include <pinnipedci/json.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace pinnipedci::json {
namespace {

// Returns the length of the valid UTF-8 sequence at s[i], or 0 if invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i)
{
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) {
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1Fu;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0Fu;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (i + n > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

} // namespace

void append_go_string(std::string& out, std::string_view s)
{
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
      }
      ++i;
      continue;
    }
    std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    std::string_view seq = s.substr(i, n);
    if (seq == "\xE2\x80\xA8") {
      out += "\\u2028";
    } else if (seq == "\xE2\x80\xA9") {
      out += "\\u2029";
    } else {
      out.append(seq);
    }
    i += n;
  }
  out.push_back('"');
}

std::string go_string(std::string_view value)
{
  std::string out;
  append_go_string(out, value);
  return out;
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name)
{
  if (!object.IsObject()) {
    return nullptr;
  }
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::string> get_string(const rapidjson::Value& object, const char* name)
{
  if (!object.IsObject()) {
    return std::nullopt;
  }
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) {
    return std::nullopt;
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

const rapidjson::Value* get_object(const rapidjson::Value& object, const char* name)
{
  if (!object.IsObject()) {
    return nullptr;
  }
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsObject()) {
    return nullptr;
  }
  return &it->value;
}

std::vector<std::string> get_string_array(const rapidjson::Value& object, const char* name)
{
  std::vector<std::string> out;
  const rapidjson::Value* v = member(object, name);
  if (v != nullptr && v->IsString()) {
    out.emplace_back(v->GetString(), v->GetStringLength());
  } else if (v != nullptr && v->IsArray()) {
    for (const auto& item : v->GetArray()) {
      if (item.IsString()) {
        out.emplace_back(item.GetString(), item.GetStringLength());
      }
    }
  }
  return out;
}

std::string to_string(const rapidjson::Value& value)
{
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

} // namespace pinnipedci::json

namespace pinnipedci {
std::string json_quote(std::string_view value)
{
  return json::go_string(value);
}
} // namespace pinnipedci
