// Wire-format vectors of pinniped-protocol.md §10.3 and §10.6.
#include "concierge/concierge.hpp"
#include "crypto/crypto.hpp"
#include "http/http_client.hpp"
#include "oidc/supervisor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pinnipedci {
namespace {

using ::testing::HasSubstr;

oidc::AuthorizeParams vector_params(const std::string& state, const std::string& nonce, const std::string& verifier)
{
  oidc::AuthorizeParams p;
  p.client_id = "pinniped-cli";
  p.scopes = {"groups", "offline_access", "openid", "pinniped:request-audience", "username"};
  p.redirect_uri = "http://127.0.0.1:0/callback";
  p.state = state;
  p.nonce = nonce;
  p.code_challenge = crypto::pkce_challenge_s256(verifier);
  p.idp_name = "my-ldap";
  p.idp_type = "ldap";
  return p;
}

TEST(AuthorizeUrlTest, DeterministicVector)
{
  EXPECT_EQ(oidc::build_authorize_url("https://supervisor.example.com/issuer/oauth2/authorize",
                                      vector_params("test-state", "test-nonce", "test-pkce")),
            "https://supervisor.example.com/issuer/oauth2/authorize?access_type=offline&client_id=pinniped-cli&code_"
            "challenge=VVaezYqum7reIhoavCHD1n2d-piN3r_mywoYj7fCR7g&code_challenge_method=S256&nonce=test-nonce&"
            "pinniped_idp_name=my-ldap&pinniped_idp_type=ldap&redirect_uri=http%3A%2F%2F127.0.0.1%3A0%2Fcallback&"
            "response_type=code&scope=groups+offline_access+openid+pinniped%3Arequest-audience+username&state=test-"
            "state");
}

TEST(AuthorizeUrlTest, RealisticVectorAndExistingQuery)
{
  auto p = vector_params("00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100",
                         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  EXPECT_EQ(oidc::build_authorize_url("https://s/issuer/oauth2/authorize", p),
            "https://s/issuer/oauth2/authorize?access_type=offline&client_id=pinniped-cli&code_challenge="
            "qK5ubukpq-o6_PxSWMjM1vhSc-DUYm0mxyefMlD3fI4&code_challenge_method=S256&nonce="
            "ffeeddccbbaa99887766554433221100&pinniped_idp_name=my-ldap&pinniped_idp_type=ldap&redirect_uri=http%3A%2F%"
            "2F127.0.0.1%3A0%2Fcallback&response_type=code&scope=groups+offline_access+openid+pinniped%3Arequest-"
            "audience+username&state=00112233445566778899aabbccddeeff");
  p.idp_name.clear();
  auto url = oidc::build_authorize_url("https://s/authorize?x=1", p);
  EXPECT_THAT(url, HasSubstr("https://s/authorize?x=1&access_type=offline"));
  EXPECT_THAT(url, ::testing::Not(HasSubstr("pinniped_idp")));
}

struct RedirectCase
{
  std::string location;
  std::string message;       // empty = success
  ErrorKind kind;
};

TEST(AuthorizeRedirectTest, Table)
{
  const std::string uri = "http://127.0.0.1:0/callback";
  const std::vector<RedirectCase> cases = {
    {"http://127.0.0.1:0/callback?code=pin_ac_X.Y&scope=groups+offline_access+openid+pinniped%3Arequest-audience+"
     "username&state=test-state",
     "", ErrorKind::internal},
    {"http://127.0.0.1:0/callback?error=access_denied&error_description=The+resource+owner+or+authorization+server+"
     "denied+the+request.+Username%2Fpassword+not+accepted+by+LDAP+provider.&state=test-state",
     "login failed with code \"access_denied\": The resource owner or authorization server denied the request. "
     "Username/password not accepted by LDAP provider.",
     ErrorKind::auth},
    {"http://127.0.0.1:0/callback?error=access_denied&state=test-state", "login failed with code \"access_denied\"",
     ErrorKind::auth},
    {"http://127.0.0.1:0/callback?error=error&error_description=Unexpected+error&state=test-state",
     "login failed with code \"error\": Unexpected error", ErrorKind::remote},
    {"http://127.0.0.1:0/callback?code=foo&state=wrong-state",
     "missing or invalid state parameter in authorization response: http://127.0.0.1:0/callback?[redacted]",
     ErrorKind::verification},
    {"http://127.0.0.1:0/callback?error=access_denied",
     "missing or invalid state parameter in authorization response: http://127.0.0.1:0/callback?[redacted]",
     ErrorKind::verification},
    {"http://other-server.example.com/callback?code=foo&state=test-state",
     "error getting authorization: redirected to the wrong location: "
     "http://other-server.example.com/callback?code=foo&state=test-state",
     ErrorKind::remote},
    {"http://127.0.0.1/callback?code=foo&state=test-state",
     "error getting authorization: redirected to the wrong location: http://127.0.0.1/callback?code=foo&state=test-state",
     ErrorKind::remote},
    {"https://127.0.0.1:0/callback?code=foo&state=test-state",
     "error getting authorization: redirected to the wrong location: https://127.0.0.1:0/callback?code=foo&state=test-state",
     ErrorKind::remote},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.location);
    auto code = oidc::parse_authorize_redirect(c.location, uri, "test-state");
    if (c.message.empty()) {
      ASSERT_TRUE(code) << code.error().message();
      EXPECT_EQ(code->reveal(), "pin_ac_X.Y");
    } else {
      ASSERT_FALSE(code);
      EXPECT_EQ(code.error().message(), c.message);
      EXPECT_EQ(code.error().kind(), c.kind);
    }
  }
}

TEST(TokenCredentialRequestTest, BodyVectorWithSuffix)
{
  ConciergeOptions o;
  o.enabled = true;
  o.api_group_suffix = "tuna.io";
  o.authenticator_type = "jwt";
  o.authenticator_name = "my-jwt-authenticator";
  EXPECT_EQ(concierge::token_credential_request_body("<JWT>", o),
            R"({"kind":"TokenCredentialRequest","apiVersion":"login.concierge.tuna.io/v1alpha1","metadata":{"creationTimestamp":null},"spec":{"token":"\u003cJWT\u003e","authenticator":{"apiGroup":"authentication.concierge.tuna.io","kind":"JWTAuthenticator","name":"my-jwt-authenticator"}},"status":{}})");
  o.api_group_suffix = "pinniped.dev";
  o.authenticator_type = "Webhook";
  o.authenticator_name = "w";
  EXPECT_EQ(concierge::token_credential_request_body("tok", o),
            R"({"kind":"TokenCredentialRequest","apiVersion":"login.concierge.pinniped.dev/v1alpha1","metadata":{"creationTimestamp":null},"spec":{"token":"tok","authenticator":{"apiGroup":"authentication.concierge.pinniped.dev","kind":"WebhookAuthenticator","name":"w"}},"status":{}})");
}

TEST(GroupSuffixTest, OnlyPinnipedDevGroupsAreRewritten)
{
  EXPECT_EQ(concierge::replace_group_suffix("login.concierge.pinniped.dev", "tuna.io"), "login.concierge.tuna.io");
  EXPECT_EQ(concierge::replace_group_suffix("login.concierge.pinniped.dev", "pinniped.dev"), "login.concierge.pinniped.dev");
  EXPECT_EQ(concierge::replace_group_suffix("authentication.k8s.io", "tuna.io"), "authentication.k8s.io");
}

TEST(FormEncodingTest, GoQueryEscape)
{
  EXPECT_EQ(http::form_escape("a b:/?&=+~._-"), "a+b%3A%2F%3F%26%3D%2B~._-");
  EXPECT_EQ(http::form_unescape("a+b%3A%2f%zz"), "a b:/%zz");
  EXPECT_EQ(http::redact_url("https://h/p?code=secret#x"), "https://h/p?[redacted]");
  EXPECT_EQ(http::reason_phrase(502), "Bad Gateway");
}

} // namespace
} // namespace pinnipedci
