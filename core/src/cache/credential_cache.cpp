// Credential cache (pinniped-protocol.md §6.2), with a validity margin.
#include <pinnipedci/cache.hpp>

#include "cache/yaml_io.hpp"
#include "json/json_util.hpp"

#include <algorithm>

namespace pinnipedci {
namespace {

constexpr std::int64_t k_max_age_seconds = 3600;

struct Entry
{
  std::int64_t created = 0;
  std::int64_t last_used = 0;
  std::string key;
  Credential credential;
};

std::vector<Entry> read_entries(const std::string& path, std::int64_t now, LogSink& log)
{
  std::vector<Entry> out;
  YAML::Node root = cache::load(path, "CredentialCache", "credentials", log);
  if (!root || !root["credentials"] || !root["credentials"].IsSequence()) {
    return out;
  }
  for (const auto& item : root["credentials"]) {
    if (!item.IsMap()) {
      continue;
    }
    Entry e;
    e.key = cache::scalar(item, "key");
    e.created = cache::timestamp(item, "creationTimestamp").value_or(0);
    e.last_used = cache::timestamp(item, "lastUsedTimestamp").value_or(e.created);
    YAML::Node c = item["credential"];
    if (!c || !c.IsMap()) {
      continue;
    }
    e.credential.expiration = cache::timestamp(c, "expirationTimestamp");
    e.credential.token = Secret(cache::scalar(c, "token"));
    e.credential.client_certificate_data = Secret(cache::scalar(c, "clientCertificateData"));
    e.credential.client_key_data = Secret(cache::scalar(c, "clientKeyData"));
    // Pinniped's pruning: no expiry, expired, or created over an hour ago.
    if (!e.credential.expiration || *e.credential.expiration <= now || e.created < now - k_max_age_seconds) {
      continue;
    }
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.created < b.created; });
  return out;
}

Result<void> write_entries(const std::string& path, const std::vector<Entry>& entries)
{
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << cache::k_api_version;
  out << YAML::Key << "credentials" << YAML::Value << YAML::BeginSeq;
  for (const auto& e : entries) {
    out << YAML::BeginMap;
    cache::emit_timestamp(out, "creationTimestamp", e.created);
    out << YAML::Key << "credential" << YAML::Value << YAML::BeginMap;
    if (!e.credential.client_certificate_data.empty()) {
      out << YAML::Key << "clientCertificateData" << YAML::Value << e.credential.client_certificate_data.reveal();
    }
    if (!e.credential.client_key_data.empty()) {
      out << YAML::Key << "clientKeyData" << YAML::Value << e.credential.client_key_data.reveal();
    }
    if (e.credential.expiration) {
      cache::emit_timestamp(out, "expirationTimestamp", *e.credential.expiration);
    }
    if (!e.credential.token.empty()) {
      out << YAML::Key << "token" << YAML::Value << e.credential.token.reveal();
    }
    out << YAML::EndMap;
    out << YAML::Key << "key" << YAML::Value << e.key;
    cache::emit_timestamp(out, "lastUsedTimestamp", e.last_used);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "kind" << YAML::Value << "CredentialCache";
  out << YAML::EndMap;
  return write_private_file(path, std::string(out.c_str()) + "\n");
}

} // namespace

std::string credential_cache_key(const std::vector<std::string>& args, const std::string& cluster_json,
                                 const std::optional<std::string>& static_token, const std::string& username)
{
  std::string text = "{\"args\":[";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0) {
      text.push_back(',');
    }
    json::append_go_string(text, args[i]);
  }
  text += "]";
  if (static_token) {
    text += ",\"token\":";
    json::append_go_string(text, *static_token);
  }
  text += ",\"cluster\":" + cluster_json;
  if (!username.empty()) {
    text += ",\"username\":\"" + sha256_hex(username) + "\"";
  }
  text += "}\n";
  return sha256_hex(text);
}

std::optional<Credential> credential_cache_get(const std::string& path, const std::string& key, std::int64_t now,
                                               std::int64_t min_validity, LogSink& log)
{
  std::vector<Entry> entries = read_entries(path, now, log);
  auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
  if (it == entries.end()) {
    return std::nullopt;
  }
  std::int64_t lifetime = *it->credential.expiration - it->created;
  std::int64_t margin = std::min(min_validity, std::max<std::int64_t>(lifetime / 2, 0));
  if (*it->credential.expiration - now <= margin) {
    PCI_DEBUG(log, "cached credential expires within " + std::to_string(margin) + "s; not using it");
    return std::nullopt;
  }
  // Unlike Pinniped, a hit does not rewrite the file to bump lastUsedTimestamp: nothing prunes
  // credentials by last use, and skipping the write keeps the warm kubectl path to one read.
  return it->credential;
}

Result<void> credential_cache_put(const std::string& path, const std::string& key, const Credential& credential,
                                  std::int64_t now, LogSink& log)
{
  return credential_cache_put(path, {{key, credential}}, now, log);
}

Result<void> credential_cache_put(const std::string& path,
                                  const std::vector<std::pair<std::string, Credential>>& fresh, std::int64_t now,
                                  LogSink& log)
{
  std::vector<Entry> entries = read_entries(path, now, log);
  bool changed = false;
  for (const auto& [key, credential] : fresh) {
    if (!credential.expiration) {
      continue; // credentials without expiry are never cached (as in Pinniped)
    }
    entries.erase(std::remove_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; }),
                  entries.end());
    Entry e;
    e.created = now;
    e.last_used = now;
    e.key = key;
    e.credential = credential;
    entries.push_back(std::move(e));
    changed = true;
  }
  if (!changed) {
    return {};
  }
  return write_entries(path, entries);
}

} // namespace pinnipedci
