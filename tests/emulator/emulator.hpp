// SPDX-License-Identifier: Apache-2.0
// In-process Pinniped emulator for tests: a Supervisor FederationDomain (OIDC discovery, IDP
// discovery, JWKS, browserless authorize, token endpoint with authcode/refresh/RFC 8693) and a
// Kubernetes API server stub that also serves the Concierge aggregated APIs
// (TokenCredentialRequest, WhoAmIRequest) and SelfSubjectReview. Behaviour follows
// docs/pinniped-protocol.md section 7; see tests/emulator/README.md.
//
// Both servers listen on 127.0.0.1 with an ephemeral port over TLS; one throwaway CA generated at
// start-up signs both server certificates (SAN IP:127.0.0.1, DNS:localhost). A second CA signs
// the client certificates handed out by TokenCredentialRequest; the API server accepts them.
//
// Thread safety: every member function may be called from any thread while the servers run.
// Secrets: the JSON-lines request log never contains passwords, tokens, codes or bodies; only the
// in-memory LoggedRequest::raw field (for wire-level assertions) carries raw bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinnipedci::testing {

enum class IdpType { ldap, activedirectory, oidc };
std::string_view to_string(IdpType type) noexcept;
std::optional<IdpType> idp_type_from_string(std::string_view text) noexcept;

// One upstream identity provider of the FederationDomain.
struct UpstreamIdp
{
  std::string name = "my-ldap";
  IdpType type = IdpType::ldap;
  bool allow_password_grant = false; // OIDC only: advertise/accept cli_password
  // Used to build the downstream `sub` claim (protocol doc 7.6).
  std::string ldap_host = "ldap.example.com:636";
  std::string ldap_base_dn = "ou=users,dc=example,dc=com";
  std::string oidc_upstream_issuer = "https://upstream-oidc.example.com";
};

struct EmulatorUser
{
  std::string username = "ci-bot";                          // what the client sends
  std::string password = "emulator-bot-password";
  std::string claim_username;                               // `username` claim; empty -> username
  std::vector<std::string> groups = {"ci-robots", "deployers"};
  std::string uid;                                          // upstream uid; empty -> "uid-<username>"
  std::vector<std::string> idps;                            // IDP names allowed; empty -> all
};

// A token accepted by the WebhookAuthenticator (and as a bearer token by the API server).
struct StaticToken
{
  std::string token;
  std::string username;
  std::vector<std::string> groups;
};

// Answer the next `count` requests whose path contains `path` with `status` (e.g. 503, 429, 500).
struct FailRule
{
  std::string path;
  int status = 503;
  int count = 1;
};

// Close the connection of the next `count` requests whose path contains `path`, sending nothing.
struct ResetRule
{
  std::string path;
  int count = 1;
};

struct Faults
{
  int latency_ms = 0;             // added to every request (not to /_emulator/)
  std::vector<FailRule> fail_next;
  std::vector<ResetRule> reset_next;
  bool wrong_state = false;       // authorize redirects carry a different state
  bool omit_nonce = false;        // authcode ID tokens have no nonce
  bool bad_signature = false;     // one byte of every JWT signature is flipped
  bool wrong_issuer = false;      // JWTs carry iss = issuer + "-wrong"
  bool expired_id_token = false;  // JWTs have exp in the past
  int cert_ttl_seconds = 300;     // Concierge client certificate lifetime
  int token_ttl_seconds = 120;    // access/ID token lifetime
  bool reject_basic_auth = false; // token endpoint answers 401 invalid_client to Basic auth
  bool include_kid = false;       // JWT header carries kid "pinniped-supervisor-key"
  int authorize_status = 0;       // non-zero: authorize answers with this status, no redirect
  bool tcr_auth_failed = false;   // every TokenCredentialRequest says "authentication failed"
};

struct EmulatorConfig
{
  std::vector<UpstreamIdp> idps = {UpstreamIdp{}};
  std::vector<EmulatorUser> users = {EmulatorUser{}};
  std::string issuer_path = "/issuer";           // FederationDomain issuer path
  std::string api_group_suffix = "pinniped.dev";
  std::string jwt_authenticator_name = "supervisor-jwt";
  // Audience of cluster 0's JWTAuthenticator; cluster i > 0 uses "<this>-<i>".
  std::string jwt_authenticator_audience = "workload-cluster-1";
  std::string webhook_authenticator_name = "static-webhook";
  std::vector<StaticToken> static_tokens = {
      {"emulator-static-token", "ci-bot", {"ci-robots", "deployers"}}};
  std::string request_log_path; // JSON lines (no secrets) when non-empty; truncated at start()
  Faults faults;
  // Virtual workload clusters served by the one API server (no extra threads or ports): cluster 0
  // at the root (api_url()), cluster i in 1..clusters-1 under api_url() + "/clusters/<i>", each
  // with its own JWTAuthenticator audience (cluster_audience(i)). All share the server CA and the
  // client-certificate CA, so a client certificate from any cluster is accepted by all.
  int clusters = 1;
  // Worker threads per server (httplib keeps a keep-alive connection on one worker until it idles
  // out, so many concurrent clients need more workers).
  int worker_threads = 8;
};

enum class ConciergeMode { concierge_jwt, concierge_webhook_static_token, no_concierge };
enum class ExecApiVersion { v1beta1, v1 };

// Shape of the kubeconfig written by `pinniped get kubeconfig` (protocol doc 1 and 10.1).
struct KubeconfigOptions
{
  std::string command = "pinniped";             // users[0].user.exec.command
  ConciergeMode mode = ConciergeMode::concierge_jwt;
  ExecApiVersion exec_api_version = ExecApiVersion::v1beta1; // v1 adds interactiveMode: Never
  std::string name = "emulator";                // <name>-{cluster,context,user}-pinniped
  // Upstream IDP flags (login oidc). nullopt -> the first configured IDP; "" -> no IDP flags.
  std::optional<std::string> idp_name;
  std::optional<std::string> idp_type;          // nullopt -> the chosen IDP's type
  std::string idp_flow = "cli_password";        // "" -> flag omitted
  // nullopt -> the JWTAuthenticator audience in concierge_jwt mode, nothing otherwise; "" -> none.
  std::optional<std::string> request_audience;
  std::string api_group_suffix;                 // "" -> EmulatorConfig::api_group_suffix
  std::optional<std::string> credential_cache;  // --credential-cache=<v> when set ("" disables)
  std::optional<std::string> session_cache;     // --session-cache=<v> when set
  // concierge_webhook_static_token mode (login static): exactly one of these.
  std::string static_token;                     // --token=<v>
  std::string static_token_env;                 // --token-env=<v>
  // Which virtual cluster the kubeconfig targets: server and --concierge-endpoint are
  // cluster_url(cluster), the default --request-audience (concierge_jwt) is cluster_audience(cluster),
  // and for cluster > 0 the names are <name>-<cluster>-{cluster,context,user}-pinniped.
  int cluster = 0;
};

// One request as the emulator saw it.
struct LoggedRequest
{
  std::uint64_t seq = 0;
  std::int64_t time = 0;   // unix seconds
  std::string server;      // "supervisor" or "api"
  int cluster = -1;        // api: virtual cluster index (0 = root); supervisor: -1
  std::string method;
  std::string path;        // without the query
  // discovery, idp_discovery, jwks, authorize_password, token_authcode, token_refresh,
  // token_exchange, tcr, whoami_request, selfsubjectreview, version, other
  std::string kind;
  int status = 0;          // HTTP status sent; 0 when the connection was reset by a fault
  std::string client_auth; // token endpoint: "basic", "body" or "none"; empty elsewhere
  std::string user;        // username attempted (authorize) or authenticated (api); never a secret
  std::string fault;       // "", "fail_next", "reset", "authorize_status"
  // Request line + headers + blank line + body, reconstructed from the parsed request:
  // the request target is verbatim, headers appear in httplib's (case-insensitively sorted) order
  // with their values as httplib decoded them. In memory only; contains secrets.
  std::string raw;
};

class Emulator
{
public:
  explicit Emulator(EmulatorConfig cfg = {});
  ~Emulator();                             // calls stop()
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Generates keys and certificates, binds both servers to 127.0.0.1:0 and returns once both
  // accept connections. Throws std::runtime_error on failure. Call at most once.
  void start();
  // Stops both servers and joins their threads. Idempotent.
  void stop();

  std::string issuer() const;             // https://127.0.0.1:P/issuer
  std::string supervisor_url() const;     // https://127.0.0.1:P
  std::string supervisor_ca_pem() const;
  std::string api_url() const;            // https://127.0.0.1:P2 (also the Concierge endpoint)
  std::string api_ca_pem() const;         // same CA as the supervisor's
  std::string client_ca_pem() const;      // CA of TokenCredentialRequest client certificates
  std::string admin_url() const;          // api_url() + "/_emulator"
  const EmulatorConfig& config() const noexcept;

  // Virtual clusters (EmulatorConfig::clusters). Both throw std::out_of_range for a bad index.
  int clusters() const noexcept;
  std::string cluster_url(int index) const;      // api_url() for 0, else api_url() + "/clusters/<i>"
  std::string cluster_audience(int index) const; // JWTAuthenticator audience; "<aud>-<i>" for i > 0

  // Call after start() (it embeds the ports and CA). Targets options.cluster.
  std::string kubeconfig_yaml(const KubeconfigOptions& options = {}) const;
  // One kubeconfig with a cluster, user and context per virtual cluster (options.cluster ignored);
  // current-context is cluster 0's. With one cluster it equals kubeconfig_yaml(options).
  std::string kubeconfig_yaml_all(const KubeconfigOptions& options = {}) const;

  std::vector<LoggedRequest> requests() const;
  std::size_t count(std::string_view kind) const; // number of logged requests of that kind
  void clear_requests();

  Faults faults() const;
  void set_faults(Faults faults);
  void update_faults(const std::function<void(Faults&)>& change);
  // Every outstanding refresh token now fails with 401 "Error during upstream refresh."
  void revoke_refresh_tokens();

  // Signs an arbitrary JWT payload with the Supervisor's ES256 key (header per Faults::include_kid).
  std::string sign_jwt(const std::string& payload_json) const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace pinnipedci::testing
