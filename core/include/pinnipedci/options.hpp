// Typed options of `pinniped login oidc|static`, parsed from exec-plugin arguments with the same
// flag names, defaults and forms (--flag=value and --flag value) as the Pinniped CLI.
#pragma once

#include <pinnipedci/error.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace pinnipedci {

struct ConciergeOptions
{
  bool enabled = false;
  std::string authenticator_type;            // "jwt" or "webhook" (case-insensitive)
  std::string authenticator_name;
  std::string endpoint;                      // https URL
  std::string ca_bundle_data;                // base64 of a PEM bundle; empty: system roots
  std::string api_group_suffix = "pinniped.dev";
};

struct OidcLoginOptions
{
  std::string issuer;
  std::string client_id = "pinniped-cli";
  std::vector<std::string> scopes = {"offline_access", "openid", "pinniped:request-audience", "username",
                                     "groups"};
  int listen_port = 0;
  bool skip_browser = false;
  bool skip_listen = false;
  // nullopt: the front end's default path; "": disabled (only for the credential cache).
  std::optional<std::string> session_cache;
  std::vector<std::string> ca_bundle_paths;  // --ca-bundle (repeatable)
  std::vector<std::string> ca_bundle_data;   // --ca-bundle-data (repeatable, base64 PEM)
  bool debug_session_cache = false;
  std::string request_audience;
  ConciergeOptions concierge;
  std::optional<std::string> credential_cache;
  std::string upstream_idp_name;
  std::string upstream_idp_type = "oidc";
  std::string upstream_idp_flow;
  // pinniped-ci extension: read the password from this file (never from argv).
  std::string password_file;
};

struct StaticLoginOptions
{
  std::string token;                         // --token (discouraged: visible in argv)
  std::string token_env;                     // --token-env
  ConciergeOptions concierge;
  std::optional<std::string> credential_cache;
};

using LoginCommand = std::variant<OidcLoginOptions, StaticLoginOptions>;

// Parses the arguments that follow the program name, starting with "login", "oidc"|"static".
// Unknown flags, missing values and malformed values are ErrorKind::usage errors whose message
// names the flag. `--debug` is accepted and reported through `debug`.
struct ParsedLogin
{
  LoginCommand command;
  bool debug = false;
  // pinniped-ci extension --credential-min-validity=SECONDS: cached credentials closer than this
  // to their expiry are not served (default 30).
  int credential_min_validity = 30;
};
Result<ParsedLogin> parse_login_args(const std::vector<std::string>& args);

// Checks the Concierge options the way the Pinniped client does (https endpoint, authenticator
// name and type, suffix); error messages are prefixed "invalid Concierge parameters: ".
Result<void> validate_concierge(const ConciergeOptions& options);

} // namespace pinnipedci
