// Shared reading/writing of the cache files (YAML produced the way Go's sigs.k8s.io/yaml does:
// keys sorted, timestamps as quoted RFC 3339 strings).
#pragma once

#include <pinnipedci/error.hpp>
#include <pinnipedci/log.hpp>

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>

namespace pinnipedci::cache {

inline constexpr const char* k_api_version = "config.supervisor.pinniped.dev/v1alpha1";

// Loads `path` and checks apiVersion/kind. Missing file: empty node. Anything wrong is reported
// under --debug and read as an empty cache (the file is then overwritten by the next write).
YAML::Node load(const std::string& path, const std::string& kind, const char* list_field, LogSink& log);

std::string scalar(const YAML::Node& node, const char* key);
std::optional<std::int64_t> timestamp(const YAML::Node& node, const char* key);

// Emits `node` with mapping keys sorted (recursively).
void emit_sorted(YAML::Emitter& out, const YAML::Node& node);
void emit_timestamp(YAML::Emitter& out, const char* key, std::int64_t unix_seconds);

} // namespace pinnipedci::cache
