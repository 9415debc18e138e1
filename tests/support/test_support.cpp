#include "support/test_support.hpp"

#include "crypto/crypto.hpp"

namespace pinnipedci::testing {

std::string base64(const std::string& text)
{
  return crypto::base64_encode(text);
}

OidcLoginOptions oidc_options_for(const Emulator& emulator)
{
  OidcLoginOptions o;
  o.issuer = emulator.issuer();
  o.ca_bundle_data = {base64(emulator.supervisor_ca_pem())};
  o.upstream_idp_name = emulator.config().idps.front().name;
  o.upstream_idp_type = std::string(to_string(emulator.config().idps.front().type));
  o.upstream_idp_flow = "cli_password";
  o.request_audience = emulator.config().jwt_authenticator_audience;
  o.concierge.enabled = true;
  o.concierge.authenticator_type = "jwt";
  o.concierge.authenticator_name = emulator.config().jwt_authenticator_name;
  o.concierge.endpoint = emulator.api_url();
  o.concierge.ca_bundle_data = base64(emulator.api_ca_pem());
  o.concierge.api_group_suffix = emulator.config().api_group_suffix;
  return o;
}

} // namespace pinnipedci::testing
