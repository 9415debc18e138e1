// The Supervisor side of the login (pinniped-protocol.md §2): discovery, IDP discovery,
// the cli_password authorize request, token endpoint calls and ID-token validation.
#pragma once

#include "http/http_client.hpp"
#include "jose/jwt.hpp"

#include <pinnipedci/login.hpp>

#include <optional>
#include <string>
#include <vector>

namespace pinnipedci::oidc {

struct Provider
{
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string userinfo_endpoint;
  std::vector<std::string> signing_algs;
  std::vector<std::string> scopes_supported;
  std::string idp_discovery_endpoint;
};

struct UpstreamIdp
{
  std::string name;
  std::string type;
  std::vector<std::string> flows;
};

struct IdpDiscovery
{
  std::vector<UpstreamIdp> providers;
  std::vector<std::string> supported_types;
  std::string raw_providers_json;       // for error messages, as Pinniped prints them
};

struct AuthorizeParams
{
  std::string client_id;
  std::vector<std::string> scopes;       // sorted
  std::string redirect_uri;              // http://127.0.0.1:<port>/callback
  std::string state;
  std::string nonce;
  std::string code_challenge;
  std::string idp_name;
  std::string idp_type;
};

// The authorize URL with parameters sorted by key, Go url.Values encoding.
std::string build_authorize_url(const std::string& endpoint, const AuthorizeParams& params);

// Parses the Location of the authorize redirect (§2.7): checks scheme/host/path, then state,
// then error. Returns the authorization code.
Result<Secret> parse_authorize_redirect(const std::string& location, const std::string& expected_redirect_uri,
                                        const std::string& expected_state);

class Supervisor
{
public:
  Supervisor(http::Client& client, LogSink& log, http::TlsConfig tls, std::string issuer, std::string client_id);

  Result<void> discover();
  // Takes over discovery and JWKS from another Supervisor object for the same issuer, so
  // concurrent cluster logins do not repeat them.
  void adopt_discovery(const Supervisor& other);
  const Provider& provider() const noexcept { return m_provider; }
  bool discovered() const noexcept { return m_discovered; }
  Result<IdpDiscovery> discover_idps();

  // GET authorize with Pinniped-Username/Pinniped-Password; returns the code.
  Result<Secret> authorize_password(const AuthorizeParams& params, const std::string& username,
                                    const Secret& password);
  // grant_type=authorization_code with PKCE; validates the ID token (nonce required).
  Result<TokenSet> redeem_code(const Secret& code, const std::string& verifier, const std::string& redirect_uri,
                               const std::string& nonce, std::int64_t now);
  // grant_type=refresh_token; validates the ID token without nonce. Transport / HTTP errors come back
  // with kind network/remote/auth; validation failures with kind verification.
  Result<TokenSet> refresh(const Secret& refresh_token, std::int64_t now);
  // RFC 8693: returns the JWT for `audience`, validated with that audience.
  Result<std::pair<Secret, jose::Jwt>> exchange(const Secret& access_token, const std::string& audience,
                                                std::int64_t now);
  // Validates a token issued by this Supervisor.
  Result<jose::Jwt> verify(const std::string& token, const std::string& audience,
                           const std::optional<std::string>& nonce, const std::optional<std::string>& access_token,
                           std::int64_t now);

private:
  Result<http::Response> token_request(const std::string& form_body_without_client, bool* used_basic);
  Result<TokenSet> parse_token_response(const http::Response& response, const std::optional<std::string>& nonce,
                                        std::int64_t now, const Secret* previous_refresh);
  Result<const jose::Jwks*> jwks();
  Result<http::Response> get_with_retries(const std::string& url, std::vector<http::Header> headers);

  http::Client& m_client;
  LogSink& m_log;
  http::TlsConfig m_tls;
  std::string m_issuer;
  std::string m_client_id;
  Provider m_provider;
  bool m_discovered = false;
  std::optional<jose::Jwks> m_jwks;
  std::optional<bool> m_basic_auth_works; // remembered like golang.org/x/oauth2's auth-style cache
};

} // namespace pinnipedci::oidc
