// SPDX-License-Identifier: Apache-2.0
// Emulator::Impl: state shared by emulator.cpp (lifecycle, log, faults, kubeconfig, admin),
// supervisor.cpp (FederationDomain endpoints) and concierge.cpp (API server stub).
#pragma once

#include "emulator.hpp"
#include "internal.hpp"

#include <httplib.h>

#include <fstream>
#include <map>
#include <mutex>
#include <thread>

namespace pinnipedci::testing {

namespace detail {

inline constexpr const char* k_client_id = "pinniped-cli";
inline constexpr const char* k_jwks_kid = "pinniped-supervisor-key";
inline constexpr std::int64_t k_refresh_ttl = 9 * 3600;
inline constexpr std::int64_t k_code_ttl = 10 * 60;

std::int64_t now_seconds();

// The downstream session created by a successful authorize request.
struct Session
{
  std::string subject;
  std::string username;                 // `username` claim
  std::vector<std::string> groups;
  std::string idp_name;
  std::vector<std::string> granted_scopes; // Supervisor order
  std::int64_t auth_time = 0;
  std::int64_t rat = 0;
};

struct AuthCode
{
  Session session;
  std::string redirect_uri;
  std::string code_challenge;
  std::string nonce;
  std::int64_t expires = 0;
  bool used = false;
  std::vector<std::string> issued_tokens; // revoked when the code is replayed
};

struct AccessToken
{
  Session session;
  std::int64_t expires = 0;
};

struct RefreshToken
{
  Session session;
  std::int64_t expires = 0;
  bool used = false;     // rotated away
  bool revoked = false;  // upstream refresh fails
};

// Per-request notes a handler leaves for the log writer (same thread, see emulator.cpp).
struct RequestNote
{
  std::string user;
  std::string fault;
  std::string raw; // captured before the handler runs
};
RequestNote& current_note();

struct Identity
{
  std::string username;
  std::vector<std::string> groups;
  std::string method; // "cert", "bearer", "static"
};

void set_json(httplib::Response& res, int status, const std::string& body,
              const char* content_type = "application/json");
// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",...}
std::string k8s_status_json(int code, const std::string& reason, const std::string& message);
// Escapes regex metacharacters for httplib route patterns.
std::string regex_escape(const std::string& s);

} // namespace detail

struct Emulator::Impl
{
  explicit Impl(EmulatorConfig c) : cfg(std::move(c)), faults(cfg.faults) {}

  EmulatorConfig cfg;

  // Keys and certificates (immutable after start()).
  detail::CertAndKey server_ca;
  detail::CertAndKey supervisor_cert;
  detail::CertAndKey api_cert;
  detail::CertAndKey client_ca;
  detail::PkeyPtr signing_key;
  std::string server_ca_pem;
  std::string client_ca_pem;

  std::unique_ptr<httplib::SSLServer> supervisor;
  std::unique_ptr<httplib::SSLServer> api;
  std::thread supervisor_thread;
  std::thread api_thread;
  int supervisor_port = 0;
  int api_port = 0;
  bool started = false;
  bool stopped = false;

  // Everything below is guarded by mu.
  mutable std::mutex mu;
  Faults faults;
  std::vector<LoggedRequest> log;
  std::uint64_t next_seq = 1;
  std::ofstream log_file;
  std::map<std::string, detail::AuthCode> codes;
  std::map<std::string, detail::AccessToken> access_tokens;
  std::map<std::string, detail::RefreshToken> refresh_tokens;

  // ---- emulator.cpp
  std::string issuer() const;
  Faults faults_snapshot() const;
  // Applies latency / reset / fail faults. Returns true when the request was answered by a fault.
  bool apply_faults(const httplib::Request& req, httplib::Response& res, bool kubernetes_style);
  httplib::Server::Handler wrap(httplib::Server::Handler handler, bool kubernetes_style);
  void record(const char* server, const httplib::Request& req, const httplib::Response& res);
  std::string classify(bool is_api, const httplib::Request& req) const;
  void install_admin(httplib::Server& server);
  std::string log_jsonl() const;
  // Virtual cluster of an API-server path: i for "/clusters/<i>/..." with 1 <= i < cfg.clusters
  // (rest = the path after the prefix, "/" at least), otherwise 0 (rest = path).
  int cluster_of(std::string_view path, std::string_view* rest = nullptr) const;
  // JWTAuthenticator audience of cluster i (cfg.jwt_authenticator_audience, "-<i>" for i > 0).
  std::string cluster_audience(int index) const;

  // ---- supervisor.cpp
  void install_supervisor(httplib::Server& server);
  // Mints an ES256 JWT for the session (faults applied). nonce/at_hash omitted when empty.
  std::string mint_jwt(const detail::Session& session, const std::string& audience,
                       const std::string& nonce, const std::string& access_token);
  std::string sign(const std::string& payload_json) const;

  // ---- concierge.cpp
  void install_api(httplib::Server& server);
  // A handler that also gets the request's virtual cluster index (see cluster_of).
  using ClusterHandler = std::function<void(const httplib::Request&, httplib::Response&, int cluster)>;
  void on_any_not_found(httplib::Server& server);
  // Verifies a Supervisor-signed JWT: signature, iss, aud contains one of `audiences`, exp.
  std::optional<detail::Identity> verify_supervisor_jwt(const std::string& token,
                                                        const std::vector<std::string>& audiences) const;
  // Client certificate, static token, or a Supervisor JWT whose aud is pinniped-cli or the
  // cluster's JWTAuthenticator audience.
  std::optional<detail::Identity> authenticate(const httplib::Request& req, int cluster) const;
};

} // namespace pinnipedci::testing
