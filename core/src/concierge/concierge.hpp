// The Concierge (pinniped-protocol.md §4, §8): TokenCredentialRequest and WhoAmIRequest.
#pragma once

#include "http/http_client.hpp"

#include <pinnipedci/credential.hpp>
#include <pinnipedci/options.hpp>

#include <map>
#include <string>
#include <vector>

namespace pinnipedci::concierge {

// Replaces the ".pinniped.dev" suffix of an API group with `suffix`.
std::string replace_group_suffix(const std::string& group, const std::string& suffix);

// The exact TokenCredentialRequest body (§4.1 / §10.6).
std::string token_credential_request_body(const std::string& token, const ConciergeOptions& options);

// POST .../tokencredentialrequests; returns the credential (certificate or token).
Result<Credential> exchange(http::Client& client, const ConciergeOptions& options, const Secret& token);

struct WhoAmI
{
  std::string username;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
  std::string raw_json;
};

// POST .../whoamirequests to `server`, authenticated with `credential`.
Result<WhoAmI> whoami(http::Client& client, const std::string& server, const http::TlsConfig& tls,
                      const Credential& credential, const std::string& api_group_suffix);

} // namespace pinnipedci::concierge
