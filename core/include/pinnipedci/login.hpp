// The non-interactive Pinniped login: Supervisor (discovery, IDP discovery, password authorize,
// PKCE code redemption, ID-token validation, refresh, RFC 8693 exchange) and Concierge
// (TokenCredentialRequest). Everything the outside world provides comes in through LoginContext.
#pragma once

#include <pinnipedci/credential.hpp>
#include <pinnipedci/error.hpp>
#include <pinnipedci/log.hpp>
#include <pinnipedci/options.hpp>
#include <pinnipedci/secret.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pinnipedci {

// Where the username and password come from. The front end decides (environment, files, a TTY
// prompt); core only asks, and only when the password flow actually needs them.
class CredentialSource
{
public:
  virtual ~CredentialSource() = default;
  virtual Result<std::string> username() = 0;
  virtual Result<Secret> password() = 0;
};

struct LoginContext
{
  LogSink* log = nullptr;                   // required
  CredentialSource* credentials = nullptr;  // required for login oidc
  // Unix time in seconds; injectable for tests.
  std::function<std::int64_t()> now;
  // Random lowercase hex of 2*n chars (state, nonce, PKCE); injectable for deterministic tests.
  std::function<Result<std::string>(std::size_t)> random_hex;
  // The value of PINNIPED_UPSTREAM_IDENTITY_PROVIDER_FLOW when that variable is present.
  std::optional<std::string> flow_override;
  // Human-facing notices the Pinniped CLI writes to stderr ("\nLog in to my-ldap\n\n").
  std::function<void(const std::string&)> notice;
  // User-Agent header.
  std::string user_agent = "pinniped-ci";
  // Called with every secret as soon as it is known (password, tokens, client keys), before
  // anything could print it: CI front ends register it with their log masking.
  std::function<void(const Secret&)> on_secret;
};

// Supervisor tokens after a password login or refresh (what the session cache stores).
struct TokenSet
{
  Secret access_token;
  std::string access_token_type = "bearer";
  std::int64_t access_token_expiry = 0;
  Secret id_token;
  std::int64_t id_token_expiry = 0;
  std::string id_token_claims_json = "{}";
  Secret refresh_token;
};

// Identity as seen in the (exchanged) ID token.
struct Identity
{
  std::string username;
  std::vector<std::string> groups;
  std::string subject;
};

struct LoginOutcome
{
  Credential credential;
  Identity identity;
  std::optional<TokenSet> tokens;           // Supervisor tokens, for the session cache
  bool used_password = false;               // false when a refresh token sufficed
};

// Connections (one libcurl handle) that several logins may use one after another, never at the
// same time; a job login gives one to each worker thread so its clusters reuse connections.
class ConnectionPool
{
public:
  ConnectionPool(LogSink& log, std::string user_agent);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  // Requests sent and connections opened through this pool.
  std::pair<int, int> http_stats() const;

private:
  friend class OidcLogin;
  friend Result<LoginOutcome> login_static_on(const StaticLoginOptions&, const Secret&, LoginContext&, ConnectionPool&);
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// `login oidc` in two phases, so callers can hold the session-cache lock only around the first and
// reuse one connection pool for both:
//   1. supervisor_tokens(): cached tokens if still usable (§2.2), else a refresh, else the password
//      login (discovery, IDP discovery, authorize, code redemption, ID-token validation);
//   2. cluster_credential(): RFC 8693 exchange (with --request-audience) and the Concierge
//      TokenCredentialRequest (with --enable-concierge), or the ID token itself.
class OidcLogin
{
public:
  // Validates the options (flow, Concierge parameters, CA bundles) lazily on first use.
  OidcLogin(const OidcLoginOptions& options, LoginContext& context);
  // Uses `connections` instead of its own; `connections` must outlive this object.
  OidcLogin(const OidcLoginOptions& options, LoginContext& context, ConnectionPool& connections);
  ~OidcLogin();
  OidcLogin(const OidcLogin&) = delete;
  OidcLogin& operator=(const OidcLogin&) = delete;

  struct Tokens
  {
    TokenSet tokens;
    bool used_password = false;
    bool refreshed = false;
  };
  Result<Tokens> supervisor_tokens(const std::optional<TokenSet>& cached);
  Result<LoginOutcome> cluster_credential(const TokenSet& tokens);
  // Reuses the discovery document and JWKS another login of the same issuer already fetched.
  void share_discovery(const OidcLogin& other);
  // Requests sent and connections opened so far (for --debug and benchmarks).
  std::pair<int, int> http_stats() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Performs `login oidc` (both phases). When `cached` holds a refresh token, a refresh is tried first (failures of
// the HTTP exchange fall back to the password flow, as in Pinniped; validation failures are fatal).
Result<LoginOutcome> login_oidc(const OidcLoginOptions& options, LoginContext& context,
                                const std::optional<TokenSet>& cached = std::nullopt);

// Performs `login static` with the already-resolved token.
Result<LoginOutcome> login_static(const StaticLoginOptions& options, const Secret& token, LoginContext& context);
Result<LoginOutcome> login_static_on(const StaticLoginOptions& options, const Secret& token, LoginContext& context,
                                     ConnectionPool& connections);

// Fills the defaults of a LoginContext that a caller left empty (clock, randomness).
void complete_defaults(LoginContext& context);

} // namespace pinnipedci
