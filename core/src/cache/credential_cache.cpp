// Credential cache (pinniped-protocol.md §6.2), with a validity margin.
#include <pinnipedci/cache.hpp>

#include "cache/yaml_io.hpp"
#include "json/json_util.hpp"

#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

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

bool keep(const Entry& e, std::int64_t now)
{
  // Pinniped's pruning: no expiry, expired, or created over an hour ago.
  return e.credential.expiration && *e.credential.expiration > now && e.created >= now - k_max_age_seconds;
}

// pinniped-ci writes this file as JSON (valid YAML, which Pinniped's sigs.k8s.io/yaml reads), so
// the warm kubectl path parses it with RapidJSON; a YAML file written by Pinniped goes through
// yaml-cpp.
std::optional<std::vector<Entry>> read_json_entries(const std::string& text, const std::string& path,
                                                    std::int64_t now, LogSink& log)
{
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{') {
    return std::nullopt;
  }
  std::vector<Entry> out;
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject() || json::get_string(doc, "apiVersion").value_or("") != cache::k_api_version ||
      json::get_string(doc, "kind").value_or("") != "CredentialCache") {
    PCI_DEBUG(log, "cache file " + path + " is not a CredentialCache (" + cache::k_api_version + "); replacing it");
    return out;
  }
  const rapidjson::Value* list = json::member(doc, "credentials");
  if (list == nullptr || !list->IsArray()) {
    return out;
  }
  for (const auto& item : list->GetArray()) {
    const rapidjson::Value* c = json::get_object(item, "credential");
    if (c == nullptr) {
      continue;
    }
    Entry e;
    e.key = json::get_string(item, "key").value_or("");
    e.created = parse_rfc3339(json::get_string(item, "creationTimestamp").value_or("")).value_or(0);
    e.last_used = parse_rfc3339(json::get_string(item, "lastUsedTimestamp").value_or("")).value_or(e.created);
    e.credential.expiration = parse_rfc3339(json::get_string(*c, "expirationTimestamp").value_or(""));
    e.credential.token = Secret(json::get_string(*c, "token").value_or(""));
    e.credential.client_certificate_data = Secret(json::get_string(*c, "clientCertificateData").value_or(""));
    e.credential.client_key_data = Secret(json::get_string(*c, "clientKeyData").value_or(""));
    if (keep(e, now)) {
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<Entry> read_entries(const std::string& path, std::int64_t now, LogSink& log)
{
  std::vector<Entry> out;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return out;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (auto parsed = read_json_entries(text.str(), path, now, log)) {
      out = std::move(*parsed);
      std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.created < b.created; });
      return out;
    }
  }
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
    if (keep(e, now)) {
      out.push_back(std::move(e));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.created < b.created; });
  return out;
}

// JSON with the keys in Go's (alphabetical) order, one entry per line.
Result<void> write_entries(const std::string& path, const std::vector<Entry>& entries)
{
  std::string out = "{\"apiVersion\":";
  json::append_go_string(out, cache::k_api_version);
  out += ",\"credentials\":[";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    out += i == 0 ? "\n" : ",\n";
    out += "{\"creationTimestamp\":\"" + format_rfc3339(e.created) + "\",\"credential\":{";
    bool first = true;
    auto field = [&](const char* name, const std::string& value) {
      if (value.empty()) {
        return;
      }
      out += first ? "\"" : ",\"";
      first = false;
      out += name;
      out += "\":";
      json::append_go_string(out, value);
    };
    field("clientCertificateData", e.credential.client_certificate_data.reveal());
    field("clientKeyData", e.credential.client_key_data.reveal());
    field("expirationTimestamp", e.credential.expiration ? format_rfc3339(*e.credential.expiration) : std::string());
    field("token", e.credential.token.reveal());
    out += "},\"key\":";
    json::append_go_string(out, e.key);
    out += ",\"lastUsedTimestamp\":\"" + format_rfc3339(e.last_used) + "\"}";
  }
  out += "],\"kind\":\"CredentialCache\"}\n";
  return write_private_file(path, out);
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
  for (const auto& item : fresh) {
    const std::string& key = item.first;
    const Credential& credential = item.second;
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
