// Session cache (pinniped-protocol.md §6.1).
#include <pinnipedci/cache.hpp>

#include "cache/yaml_io.hpp"

#include <algorithm>

namespace pinnipedci {
namespace {

constexpr std::int64_t k_max_unused_seconds = 90LL * 24 * 3600;

struct Session
{
  std::int64_t created = 0;
  std::int64_t last_used = 0;
  SessionKey key;
  TokenSet tokens;
  YAML::Node claims; // tokens.id.claims, kept as read
};

bool same_key(const SessionKey& a, const SessionKey& b)
{
  return a.issuer == b.issuer && a.client_id == b.client_id && a.scopes == b.scopes &&
         a.redirect_uri == b.redirect_uri && a.upstream_provider_name == b.upstream_provider_name &&
         a.username_sha256 == b.username_sha256;
}

std::vector<Session> read_sessions(const std::string& path, std::int64_t now, LogSink& log)
{
  std::vector<Session> out;
  YAML::Node root = cache::load(path, "SessionCache", "sessions", log);
  if (!root || !root["sessions"] || !root["sessions"].IsSequence()) {
    return out;
  }
  for (const auto& item : root["sessions"]) {
    if (!item.IsMap()) {
      continue;
    }
    Session s;
    s.created = cache::timestamp(item, "creationTimestamp").value_or(now);
    s.last_used = cache::timestamp(item, "lastUsedTimestamp").value_or(s.created);
    YAML::Node key = item["key"];
    s.key.issuer = cache::scalar(key, "issuer");
    s.key.client_id = cache::scalar(key, "clientID");
    s.key.redirect_uri = cache::scalar(key, "redirect_uri");
    s.key.upstream_provider_name = cache::scalar(key, "upstream_provider_name");
    s.key.username_sha256 = cache::scalar(key, "username_sha256");
    if (key && key.IsMap() && key["scopes"] && key["scopes"].IsSequence()) {
      for (const auto& scope : key["scopes"]) {
        if (scope.IsScalar()) {
          s.key.scopes.push_back(scope.Scalar());
        }
      }
    }
    YAML::Node tokens = item["tokens"];
    if (tokens && tokens.IsMap()) {
      YAML::Node access = tokens["access"];
      s.tokens.access_token = Secret(cache::scalar(access, "token"));
      s.tokens.access_token_type = cache::scalar(access, "type");
      s.tokens.access_token_expiry = cache::timestamp(access, "expiryTimestamp").value_or(0);
      YAML::Node id = tokens["id"];
      s.tokens.id_token = Secret(cache::scalar(id, "token"));
      s.tokens.id_token_expiry = cache::timestamp(id, "expiryTimestamp").value_or(0);
      if (id && id.IsMap() && id["claims"]) {
        s.claims = id["claims"];
      }
      s.tokens.refresh_token = Secret(cache::scalar(tokens["refresh"], "token"));
    }
    // Prune like Pinniped: drop empty or expired tokens, then entries with nothing left or unused
    // for 90 days.
    if (s.tokens.id_token.empty() || s.tokens.id_token_expiry <= now) {
      s.tokens.id_token = Secret();
      s.tokens.id_token_expiry = 0;
      s.claims = YAML::Node();
    }
    if (s.tokens.access_token.empty() || s.tokens.access_token_expiry <= now) {
      s.tokens.access_token = Secret();
      s.tokens.access_token_expiry = 0;
    }
    bool nothing_left = s.tokens.id_token.empty() && s.tokens.access_token.empty() && s.tokens.refresh_token.empty();
    if (nothing_left || s.last_used < now - k_max_unused_seconds) {
      continue;
    }
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const Session& a, const Session& b) { return a.created < b.created; });
  return out;
}

Result<void> write_sessions(const std::string& path, const std::vector<Session>& sessions)
{
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << cache::k_api_version;
  out << YAML::Key << "kind" << YAML::Value << "SessionCache";
  out << YAML::Key << "sessions" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : sessions) {
    out << YAML::BeginMap;
    cache::emit_timestamp(out, "creationTimestamp", s.created);
    out << YAML::Key << "key" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "clientID" << YAML::Value << s.key.client_id;
    out << YAML::Key << "issuer" << YAML::Value << s.key.issuer;
    out << YAML::Key << "redirect_uri" << YAML::Value << s.key.redirect_uri;
    out << YAML::Key << "scopes" << YAML::Value << YAML::BeginSeq;
    for (const auto& scope : s.key.scopes) {
      out << scope;
    }
    out << YAML::EndSeq;
    if (!s.key.upstream_provider_name.empty()) {
      out << YAML::Key << "upstream_provider_name" << YAML::Value << s.key.upstream_provider_name;
    }
    if (!s.key.username_sha256.empty()) {
      out << YAML::Key << "username_sha256" << YAML::Value << s.key.username_sha256;
    }
    out << YAML::EndMap;
    cache::emit_timestamp(out, "lastUsedTimestamp", s.last_used);
    out << YAML::Key << "tokens" << YAML::Value << YAML::BeginMap;
    if (!s.tokens.access_token.empty()) {
      out << YAML::Key << "access" << YAML::Value << YAML::BeginMap;
      cache::emit_timestamp(out, "expiryTimestamp", s.tokens.access_token_expiry);
      out << YAML::Key << "token" << YAML::Value << s.tokens.access_token.reveal();
      out << YAML::Key << "type" << YAML::Value << s.tokens.access_token_type;
      out << YAML::EndMap;
    }
    if (!s.tokens.id_token.empty()) {
      out << YAML::Key << "id" << YAML::Value << YAML::BeginMap;
      if (s.claims && !s.claims.IsNull()) {
        out << YAML::Key << "claims" << YAML::Value;
        cache::emit_sorted(out, s.claims);
      }
      cache::emit_timestamp(out, "expiryTimestamp", s.tokens.id_token_expiry);
      out << YAML::Key << "token" << YAML::Value << s.tokens.id_token.reveal();
      out << YAML::EndMap;
    }
    if (!s.tokens.refresh_token.empty()) {
      out << YAML::Key << "refresh" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "token" << YAML::Value << s.tokens.refresh_token.reveal();
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return write_private_file(path, std::string(out.c_str()) + "\n");
}

} // namespace

SessionKey make_session_key(const OidcLoginOptions& options, const std::string& username)
{
  SessionKey key;
  key.issuer = options.issuer;
  key.client_id = options.client_id;
  key.scopes = options.scopes;
  std::sort(key.scopes.begin(), key.scopes.end());
  key.redirect_uri = "http://localhost:" + std::to_string(options.listen_port) + "/callback";
  key.upstream_provider_name = options.upstream_idp_name;
  key.username_sha256 = username.empty() ? std::string() : sha256_hex(username);
  return key;
}

std::optional<TokenSet> session_cache_get(const std::string& path, const SessionKey& key, std::int64_t now,
                                          LogSink& log)
{
  std::vector<Session> sessions = read_sessions(path, now, log);
  auto it = std::find_if(sessions.begin(), sessions.end(), [&](const Session& s) { return same_key(s.key, key); });
  if (it == sessions.end()) {
    return std::nullopt;
  }
  it->last_used = now;
  TokenSet tokens = it->tokens;
  if (auto written = write_sessions(path, sessions); !written) {
    PCI_DEBUG(log, "could not update the session cache: " + written.error().message());
  }
  return tokens;
}

Result<void> session_cache_put(const std::string& path, const SessionKey& key, const TokenSet& tokens,
                               std::int64_t now, LogSink& log)
{
  std::vector<Session> sessions = read_sessions(path, now, log);
  auto it = std::find_if(sessions.begin(), sessions.end(), [&](const Session& s) { return same_key(s.key, key); });
  Session s;
  s.created = now;
  if (it != sessions.end()) {
    s.created = it->created;
    sessions.erase(it);
  }
  s.last_used = now;
  s.key = key;
  s.tokens = tokens;
  try {
    s.claims = YAML::Load(tokens.id_token_claims_json); // JSON is YAML
  } catch (const YAML::Exception&) {
    s.claims = YAML::Node();
  }
  sessions.push_back(std::move(s));
  std::stable_sort(sessions.begin(), sessions.end(),
                   [](const Session& a, const Session& b) { return a.created < b.created; });
  return write_sessions(path, sessions);
}

} // namespace pinnipedci
