#include "cache/yaml_io.hpp"

#include <pinnipedci/credential.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

namespace pinnipedci::cache {

YAML::Node load(const std::string& path, const std::string& kind, const char* list_field, LogSink& log)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return YAML::Node();
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    YAML::Node root = YAML::Load(text.str());
    if (!root || root.IsNull()) {
      return YAML::Node();
    }
    if (!root.IsMap() || scalar(root, "apiVersion") != k_api_version || scalar(root, "kind") != kind) {
      PCI_DEBUG(log, "cache file " + path + " is not a " + kind + " (" + k_api_version + "); replacing it");
      return YAML::Node();
    }
    YAML::Node list = root[list_field];
    if (list && !list.IsSequence() && !list.IsNull()) {
      PCI_DEBUG(log, "cache file " + path + ": " + list_field + " is not a list; replacing it");
      return YAML::Node();
    }
    return root;
  } catch (const YAML::Exception& e) {
    PCI_DEBUG(log, "cache file " + path + " is not valid YAML (line " + std::to_string(e.mark.line + 1) +
                     "); replacing it");
    return YAML::Node();
  }
}

std::string scalar(const YAML::Node& node, const char* key)
{
  if (!node || !node.IsMap()) {
    return {};
  }
  YAML::Node v = node[key];
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

std::optional<std::int64_t> timestamp(const YAML::Node& node, const char* key)
{
  std::string v = scalar(node, key);
  return v.empty() ? std::nullopt : parse_rfc3339(v);
}

void emit_sorted(YAML::Emitter& out, const YAML::Node& node)
{
  switch (node.Type()) {
  case YAML::NodeType::Map: {
    std::vector<std::pair<std::string, YAML::Node>> items;
    for (const auto& kv : node) {
      items.emplace_back(kv.first.Scalar(), kv.second);
    }
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    out << YAML::BeginMap;
    for (const auto& [k, v] : items) {
      out << YAML::Key << k << YAML::Value;
      emit_sorted(out, v);
    }
    out << YAML::EndMap;
    break;
  }
  case YAML::NodeType::Sequence:
    out << YAML::BeginSeq;
    for (const auto& item : node) {
      emit_sorted(out, item);
    }
    out << YAML::EndSeq;
    break;
  case YAML::NodeType::Scalar:
    if (node.Tag() == "!") { // was a quoted string in the source
      out << YAML::DoubleQuoted << node.Scalar();
    } else {
      out << node.Scalar();
    }
    break;
  default:
    out << YAML::Null;
  }
}

void emit_timestamp(YAML::Emitter& out, const char* key, std::int64_t unix_seconds)
{
  out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << format_rfc3339(unix_seconds);
}

} // namespace pinnipedci::cache
