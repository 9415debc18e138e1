// The core login against the in-process emulator over real TLS (pinniped-protocol.md §2, §4, §7).
#include "support/connect_proxy.hpp"
#include "support/test_support.hpp"

#include <pinnipedci/credential.hpp>
#include <pinnipedci/kubeconfig.hpp>
#include <pinnipedci/whoami.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace pinnipedci {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::CapturingLog;
using testing::Emulator;
using testing::EmulatorConfig;
using testing::FixedCredentials;

const std::string k_password = "emulator-bot-password";

class LoginTest : public ::testing::Test
{
protected:
  void start(EmulatorConfig config = {})
  {
    m_emulator = std::make_unique<Emulator>(std::move(config));
    m_emulator->start();
    m_options = testing::oidc_options_for(*m_emulator);
  }

  LoginContext context(CredentialSource& credentials)
  {
    LoginContext ctx;
    ctx.log = &m_log;
    ctx.credentials = &credentials;
    ctx.notice = [this](const std::string& text) { m_notices += text; };
    return ctx;
  }

  Result<LoginOutcome> login(const std::string& password = k_password, const std::optional<TokenSet>& cached = {})
  {
    FixedCredentials credentials("ci-bot", password);
    LoginContext ctx = context(credentials);
    return login_oidc(m_options, ctx, cached);
  }

  std::vector<testing::LoggedRequest> of_kind(const std::string& kind) const
  {
    std::vector<testing::LoggedRequest> out;
    for (auto& r : m_emulator->requests()) {
      if (r.kind == kind) {
        out.push_back(r);
      }
    }
    return out;
  }

  void expect_no_secret_in_log(const LoginOutcome* outcome)
  {
    EXPECT_THAT(m_log.text(), Not(HasSubstr(k_password)));
    EXPECT_THAT(m_log.text(), Not(HasSubstr("pin_at_")));
    EXPECT_THAT(m_log.text(), Not(HasSubstr("pin_rt_")));
    EXPECT_THAT(m_log.text(), Not(HasSubstr("pin_ac_")));
    EXPECT_THAT(m_log.text(), Not(HasSubstr("eyJ")));
    if (outcome != nullptr && !outcome->credential.client_key_data.empty()) {
      EXPECT_THAT(m_log.text(), Not(HasSubstr("PRIVATE KEY")));
    }
  }

  std::unique_ptr<Emulator> m_emulator;
  OidcLoginOptions m_options;
  CapturingLog m_log;
  std::string m_notices;
};

TEST_F(LoginTest, LdapWithTokenExchangeAndConciergeJwt)
{
  start();
  auto outcome = login();
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_TRUE(outcome->used_password);
  EXPECT_THAT(outcome->credential.client_certificate_data.reveal(), StartsWith("-----BEGIN CERTIFICATE-----"));
  EXPECT_THAT(outcome->credential.client_key_data.reveal(), StartsWith("-----BEGIN PRIVATE KEY-----"));
  EXPECT_TRUE(outcome->credential.token.empty());
  ASSERT_TRUE(outcome->credential.expiration);
  EXPECT_EQ(outcome->identity.username, "ci-bot");
  EXPECT_THAT(outcome->identity.groups, ::testing::ElementsAre("ci-robots", "deployers"));
  EXPECT_EQ(m_notices, "\nLog in to my-ldap\n\n");

  std::vector<std::string> kinds;
  for (const auto& r : m_emulator->requests()) {
    kinds.push_back(r.kind);
  }
  // With name, type and flow all given, IDP discovery is skipped: six round trips in all.
  EXPECT_THAT(kinds, ::testing::ElementsAre("discovery", "authorize_password", "token_authcode", "jwks",
                                            "token_exchange", "tcr"));
  auto authorize = of_kind("authorize_password").at(0);
  EXPECT_THAT(authorize.raw, HasSubstr("Pinniped-Username: ci-bot\r\n"));
  EXPECT_THAT(authorize.raw, HasSubstr("Pinniped-Password: " + k_password + "\r\n"));
  EXPECT_THAT(authorize.raw, HasSubstr("pinniped_idp_name=my-ldap&pinniped_idp_type=ldap&redirect_uri=http%3A%2F%2F"
                                       "127.0.0.1%3A0%2Fcallback&response_type=code&scope=groups+offline_access+"
                                       "openid+pinniped%3Arequest-audience+username&state="));
  auto token = of_kind("token_authcode").at(0);
  EXPECT_EQ(token.client_auth, "basic");
  EXPECT_THAT(token.raw, HasSubstr("Authorization: Basic cGlubmlwZWQtY2xpOg==\r\n"));
  auto exchange = of_kind("token_exchange").at(0);
  EXPECT_THAT(exchange.raw, HasSubstr("\r\n\r\naudience=workload-cluster-1&client_id=pinniped-cli&grant_type=urn%3Aietf"
                                      "%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&requested_token_type=urn%3A"
                                      "ietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt&subject_token=pin_at_"));
  EXPECT_THAT(exchange.raw, Not(HasSubstr("Authorization:")));
  auto tcr = of_kind("tcr").at(0);
  EXPECT_EQ(tcr.path, "/apis/login.concierge.pinniped.dev/v1alpha1/tokencredentialrequests");
  EXPECT_THAT(tcr.raw, HasSubstr(R"({"kind":"TokenCredentialRequest","apiVersion":"login.concierge.pinniped.dev/v1alpha1","metadata":{"creationTimestamp":null},"spec":{"token":"eyJ)"));
  EXPECT_THAT(tcr.raw, HasSubstr(R"("authenticator":{"apiGroup":"authentication.concierge.pinniped.dev","kind":"JWTAuthenticator","name":"supervisor-jwt"}},"status":{}})"));
  expect_no_secret_in_log(&*outcome);
}

TEST_F(LoginTest, DeterministicAuthorizeRequestMatchesVector)
{
  start();
  FixedCredentials credentials("ci-bot", k_password);
  LoginContext ctx = context(credentials);
  ctx.random_hex = [](std::size_t n) -> Result<std::string> {
    if (n == 16) {
      static int calls = 0;
      return ++calls % 2 == 1 ? std::string("00112233445566778899aabbccddeeff")
                              : std::string("ffeeddccbbaa99887766554433221100");
    }
    return std::string("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  };
  auto outcome = login_oidc(m_options, ctx);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_THAT(of_kind("authorize_password").at(0).raw,
              StartsWith("GET /issuer/oauth2/authorize?access_type=offline&client_id=pinniped-cli&code_challenge="
                         "qK5ubukpq-o6_PxSWMjM1vhSc-DUYm0mxyefMlD3fI4&code_challenge_method=S256&nonce="
                         "ffeeddccbbaa99887766554433221100&pinniped_idp_name=my-ldap&pinniped_idp_type=ldap&"
                         "redirect_uri=http%3A%2F%2F127.0.0.1%3A0%2Fcallback&response_type=code&scope=groups+"
                         "offline_access+openid+pinniped%3Arequest-audience+username&state="
                         "00112233445566778899aabbccddeeff"));
  EXPECT_THAT(of_kind("token_authcode").at(0).raw,
              HasSubstr("code_verifier=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef&grant_type="
                        "authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%3A0%2Fcallback"));
}

TEST_F(LoginTest, ActiveDirectoryAndOidcWithPasswordGrant)
{
  for (auto type : {testing::IdpType::activedirectory, testing::IdpType::oidc}) {
    EmulatorConfig config;
    config.idps.front().name = "corp";
    config.idps.front().type = type;
    config.idps.front().allow_password_grant = true;
    start(config);
    auto outcome = login();
    ASSERT_TRUE(outcome) << outcome.error().message();
    EXPECT_EQ(outcome->identity.username, "ci-bot");
  }
}

TEST_F(LoginTest, OidcWithoutPasswordGrantIsNotOffered)
{
  EmulatorConfig config;
  config.idps.front().name = "corp-oidc";
  config.idps.front().type = testing::IdpType::oidc;
  start(config);
  // Explicit cli_password flow: the Supervisor refuses the password grant.
  auto outcome = login();
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind(), ErrorKind::auth);
  EXPECT_THAT(outcome.error().message(), HasSubstr("login failed with code \"access_denied\": The resource owner or "
                                                   "authorization server denied the request. Resource owner password "
                                                   "credentials grant is not allowed for this upstream provider"));
  // Without an explicit flow the IDP's flows are inspected and the missing cli_password explained
  // before any password is sent.
  m_emulator->clear_requests();
  m_options.upstream_idp_flow.clear();
  auto inferred = login();
  ASSERT_FALSE(inferred);
  EXPECT_EQ(inferred.error().kind(), ErrorKind::usage);
  EXPECT_THAT(inferred.error().message(), HasSubstr("does not offer the cli_password flow"));
  EXPECT_EQ(m_emulator->count("authorize_password"), 0u);
}

TEST_F(LoginTest, FlowInferredFromIdpDiscoveryWhenOmitted)
{
  start();
  m_options.upstream_idp_flow.clear();
  auto outcome = login();
  ASSERT_TRUE(outcome) << outcome.error().message();
}

TEST_F(LoginTest, NoConciergeUsesIdToken)
{
  start();
  m_options.concierge = ConciergeOptions{};
  m_options.request_audience.clear();
  auto outcome = login();
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_THAT(outcome->credential.token.reveal(), StartsWith("eyJ"));
  EXPECT_TRUE(outcome->credential.client_certificate_data.empty());
  ASSERT_TRUE(outcome->credential.expiration);
  EXPECT_EQ(*outcome->credential.expiration, outcome->tokens->id_token_expiry);
  EXPECT_EQ(m_emulator->count("tcr"), 0u);
  EXPECT_EQ(m_emulator->count("token_exchange"), 0u);
}

TEST_F(LoginTest, NoConciergeWithExchangedToken)
{
  start();
  m_options.concierge = ConciergeOptions{};
  auto outcome = login();
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_THAT(outcome->credential.token.reveal(), StartsWith("eyJ"));
  EXPECT_NE(outcome->credential.token.reveal(), outcome->tokens->id_token.reveal());
}

TEST_F(LoginTest, WebhookStaticToken)
{
  start();
  StaticLoginOptions s;
  s.concierge = m_options.concierge;
  s.concierge.authenticator_type = "webhook";
  s.concierge.authenticator_name = m_emulator->config().webhook_authenticator_name;
  LoginContext ctx;
  ctx.log = &m_log;
  auto outcome = login_static(s, Secret("emulator-static-token"), ctx);
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_THAT(outcome->credential.client_certificate_data.reveal(), StartsWith("-----BEGIN CERTIFICATE-----"));
  EXPECT_THAT(of_kind("tcr").at(0).raw, HasSubstr(R"("kind":"WebhookAuthenticator","name":"static-webhook")"));

  auto rejected = login_static(s, Secret("wrong-token"), ctx);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().kind(), ErrorKind::auth);
  EXPECT_EQ(rejected.error().message(),
            "could not complete Concierge credential exchange: login failed: authentication failed");
  EXPECT_THAT(m_log.text(), Not(HasSubstr("wrong-token")));
}

TEST_F(LoginTest, ApiGroupSuffix)
{
  EmulatorConfig config;
  config.api_group_suffix = "tuna.io";
  start(config);
  auto outcome = login();
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(of_kind("tcr").at(0).path, "/apis/login.concierge.tuna.io/v1alpha1/tokencredentialrequests");
  EXPECT_THAT(of_kind("tcr").at(0).raw, HasSubstr(R"("apiGroup":"authentication.concierge.tuna.io")"));

  m_options.concierge.api_group_suffix = "pinniped.dev";
  auto mismatch = login();
  ASSERT_FALSE(mismatch);
  EXPECT_THAT(mismatch.error().message(), StartsWith("could not complete Concierge credential exchange: could not login:"));
}

TEST_F(LoginTest, WrongPasswordSurfacesSupervisorDescription)
{
  start();
  auto outcome = login("not-the-password");
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind(), ErrorKind::auth);
  EXPECT_EQ(exit_code(outcome.error().kind()), 3);
  EXPECT_EQ(outcome.error().message(),
            "could not complete Pinniped login: login failed with code \"access_denied\": The resource owner or "
            "authorization server denied the request. Username/password not accepted by LDAP provider.");
  EXPECT_EQ(m_emulator->count("token_authcode"), 0u);
  EXPECT_THAT(m_log.text(), Not(HasSubstr("not-the-password")));
}

TEST_F(LoginTest, MissingCredentialsFailBeforeAuthorize)
{
  start();
  FixedCredentials none("", "");
  LoginContext ctx = context(none);
  auto outcome = login_oidc(m_options, ctx);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().message(),
            "could not complete Pinniped login: error prompting for username: stdin is not connected to a terminal");
  EXPECT_EQ(m_emulator->count("authorize_password"), 0u);
}

struct FaultCase
{
  const char* name;
  std::function<void(testing::Faults&)> fault;
  ErrorKind kind;
  std::string message_prefix;
};

TEST_F(LoginTest, VerificationFaults)
{
  start();
  const std::vector<FaultCase> cases = {
    {"wrong state", [](testing::Faults& f) { f.wrong_state = true; }, ErrorKind::verification,
     "could not complete Pinniped login: missing or invalid state parameter in authorization response: "
     "http://127.0.0.1:0/callback?[redacted]"},
    {"missing nonce", [](testing::Faults& f) { f.omit_nonce = true; }, ErrorKind::verification,
     "could not complete Pinniped login: could not complete authorization code exchange: received ID token with "
     "invalid nonce: invalid nonce (expected \""},
    {"bad signature", [](testing::Faults& f) { f.bad_signature = true; }, ErrorKind::verification,
     "could not complete Pinniped login: could not complete authorization code exchange: received invalid ID token: "
     "failed to verify signature"},
    {"wrong issuer", [](testing::Faults& f) { f.wrong_issuer = true; }, ErrorKind::verification,
     "could not complete Pinniped login: could not complete authorization code exchange: received invalid ID token: "
     "oidc: id token issued by a different provider"},
    {"expired", [](testing::Faults& f) { f.expired_id_token = true; }, ErrorKind::verification,
     "could not complete Pinniped login: could not complete authorization code exchange: received invalid ID token: "
     "oidc: token is expired"},
    {"tcr rejects", [](testing::Faults& f) { f.tcr_auth_failed = true; }, ErrorKind::auth,
     "could not complete Concierge credential exchange: login failed: authentication failed"},
    {"authorize 502", [](testing::Faults& f) { f.authorize_status = 502; }, ErrorKind::remote,
     "could not complete Pinniped login: error getting authorization: expected to be redirected, but response "
     "status was 502 Bad Gateway"},
    {"token 500", [](testing::Faults& f) { f.fail_next = {{"/oauth2/token", 500, 2}}; }, ErrorKind::remote,
     "could not complete Pinniped login: could not complete authorization code exchange: oauth2: cannot fetch token: "
     "500 Internal Server Error"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    m_emulator->set_faults({});
    m_emulator->update_faults(c.fault);
    auto outcome = login();
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().kind(), c.kind);
    EXPECT_THAT(outcome.error().message(), StartsWith(c.message_prefix));
    EXPECT_THAT(outcome.error().message(), Not(HasSubstr(k_password)));
    EXPECT_THAT(outcome.error().message(), Not(HasSubstr("pin_ac_")));
  }
  expect_no_secret_in_log(nullptr);
}

TEST_F(LoginTest, KidPresentIsHonoured)
{
  start();
  m_emulator->update_faults([](testing::Faults& f) { f.include_kid = true; });
  auto outcome = login();
  ASSERT_TRUE(outcome) << outcome.error().message();
}

TEST_F(LoginTest, BasicAuthRejectedFallsBackToBodyClientId)
{
  start();
  m_emulator->update_faults([](testing::Faults& f) { f.reject_basic_auth = true; });
  auto outcome = login();
  ASSERT_TRUE(outcome) << outcome.error().message();
  auto tokens = of_kind("token_authcode");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].client_auth, "basic");
  EXPECT_EQ(tokens[0].status, 401);
  EXPECT_EQ(tokens[1].client_auth, "body");
  EXPECT_THAT(tokens[1].raw, HasSubstr("\r\n\r\nclient_id=pinniped-cli&code="));
}

TEST_F(LoginTest, TransientFailuresAreRetried)
{
  start();
  m_emulator->update_faults([](testing::Faults& f) {
    f.fail_next = {{"/.well-known/openid-configuration", 503, 1}, {"/tokencredentialrequests", 429, 1}};
    f.reset_next = {{"/jwks.json", 1}};
  });
  auto outcome = login();
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(m_emulator->count("discovery"), 2u);
  EXPECT_EQ(m_emulator->count("tcr"), 2u);
}

TEST_F(LoginTest, ConfigurationErrors)
{
  start();
  m_options.upstream_idp_name = "nope";
  auto unknown = login();
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::usage);
  EXPECT_THAT(unknown.error().message(),
              HasSubstr("error getting authorization: expected to be redirected, but response status was 400 Bad "
                        "Request (server said: "));
  EXPECT_THAT(unknown.error().message(), HasSubstr("did not find IDP with name 'nope'"));

  m_options.upstream_idp_flow.clear(); // inferred: IDP discovery names the problem before any password is sent
  auto inferred = login();
  ASSERT_FALSE(inferred);
  EXPECT_THAT(inferred.error().message(),
              HasSubstr("unable to find upstream identity provider with name \"nope\" and type \"ldap\". Found "
                        "these providers: [{\"name\":\"my-ldap\""));

  m_options = testing::oidc_options_for(*m_emulator);
  m_options.upstream_idp_flow.clear();
  m_options.upstream_idp_type = "saml";
  auto type = login();
  ASSERT_FALSE(type);
  EXPECT_THAT(type.error().message(),
              HasSubstr("unable to find upstream identity provider with type \"saml\", this Pinniped Supervisor "
                        "supports IDP types [\"activedirectory\", \"github\", \"ldap\", \"oidc\"]"));

  m_options = testing::oidc_options_for(*m_emulator);
  m_options.issuer = "http://127.0.0.1:1/issuer";
  auto http = login();
  ASSERT_FALSE(http);
  EXPECT_EQ(http.error().message(),
            "could not complete Pinniped login: issuer must be an https URL, but had scheme \"http\" instead");

  m_options = testing::oidc_options_for(*m_emulator);
  m_options.issuer += "/";
  auto mismatch = login();
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().kind(), ErrorKind::verification);
  EXPECT_THAT(mismatch.error().message(), HasSubstr("oidc: issuer did not match the issuer returned by provider"));

  m_options = testing::oidc_options_for(*m_emulator);
  m_options.request_audience = "evil.pinniped.dev";
  auto audience = login();
  ASSERT_FALSE(audience);
  EXPECT_THAT(audience.error().message(),
              StartsWith("could not complete Pinniped login: failed to exchange token: unexpected HTTP response status 400"));
}

TEST_F(LoginTest, FlowOverrideFromEnvironment)
{
  start();
  FixedCredentials credentials("ci-bot", k_password);
  LoginContext ctx = context(credentials);
  ctx.flow_override = "bogus";
  auto outcome = login_oidc(m_options, ctx);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().message(),
            "could not complete Pinniped login: WithLoginFlow error: loginFlow 'bogus' from "
            "'PINNIPED_UPSTREAM_IDENTITY_PROVIDER_FLOW' must be 'cli_password' or 'browser_authcode'");
  ctx.flow_override = "browser_authcode";
  auto browser = login_oidc(m_options, ctx);
  ASSERT_FALSE(browser);
  EXPECT_THAT(browser.error().message(), HasSubstr("needs a browser"));
  ctx.flow_override = "";
  EXPECT_TRUE(login_oidc(m_options, ctx));
}

TEST_F(LoginTest, UntrustedCertificateIsANetworkError)
{
  start();
  m_options.ca_bundle_data.clear(); // system roots do not know the emulator's CA
  auto outcome = login();
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind(), ErrorKind::network);
  EXPECT_EQ(exit_code(outcome.error().kind()), 4);
  EXPECT_THAT(outcome.error().message(), HasSubstr("--ca-bundle-data"));
}

TEST_F(LoginTest, RefreshReplacesThePasswordAndRevocationExpiresTheSession)
{
  start();
  auto first = login();
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_TRUE(first->tokens);
  TokenSet cached = *first->tokens;
  cached.access_token_expiry = 0; // force a refresh
  cached.id_token_expiry = 0;
  m_emulator->clear_requests();

  FixedCredentials no_password("ci-bot", "");
  LoginContext ctx = context(no_password);
  auto refreshed = login_oidc(m_options, ctx, cached);
  ASSERT_TRUE(refreshed) << refreshed.error().message();
  EXPECT_FALSE(refreshed->used_password);
  EXPECT_EQ(m_emulator->count("token_refresh"), 1u);
  EXPECT_EQ(m_emulator->count("authorize_password"), 0u);
  EXPECT_NE(refreshed->tokens->refresh_token.reveal(), cached.refresh_token.reveal()); // rotated
  EXPECT_THAT(of_kind("token_refresh").at(0).raw, HasSubstr("grant_type=refresh_token&refresh_token=pin_rt_"));

  // Revoked refresh token and no password left: the job session is over (exit 7).
  m_emulator->revoke_refresh_tokens();
  TokenSet stale = *refreshed->tokens;
  stale.access_token_expiry = 0;
  stale.id_token_expiry = 0;
  auto expired = login_oidc(m_options, ctx, stale);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().kind(), ErrorKind::expired);
  EXPECT_EQ(exit_code(expired.error().kind()), 7);

  // With the password still available the login falls back to it, like Pinniped.
  auto fallback = login(k_password, stale);
  ASSERT_TRUE(fallback) << fallback.error().message();
  EXPECT_TRUE(fallback->used_password);
  expect_no_secret_in_log(nullptr);
}

TEST_F(LoginTest, UnexpiredCachedTokensSkipTheSupervisorLogin)
{
  start();
  auto first = login();
  ASSERT_TRUE(first);
  m_emulator->clear_requests();
  FixedCredentials no_password("ci-bot", "");
  LoginContext ctx = context(no_password);
  auto again = login_oidc(m_options, ctx, first->tokens);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(m_emulator->count("authorize_password"), 0u);
  EXPECT_EQ(m_emulator->count("token_refresh"), 0u);
  EXPECT_EQ(m_emulator->count("token_exchange"), 1u);
}

TEST_F(LoginTest, WhoAmIThroughTheIssuedCertificate)
{
  start();
  auto outcome = login();
  ASSERT_TRUE(outcome);
  KubeconfigContext kube;
  kube.source = "test";
  kube.name = "emulator";
  kube.cluster.name = "emulator-cluster";
  kube.cluster.server = m_emulator->api_url();
  kube.cluster.certificate_authority_data = testing::base64(m_emulator->api_ca_pem());
  auto who = whoami(kube, outcome->credential, "pinniped.dev", m_log);
  ASSERT_TRUE(who) << who.error().message();
  EXPECT_EQ(who->username, "ci-bot");
  EXPECT_THAT(who->groups, ::testing::Contains("ci-robots"));
}

} // namespace
} // namespace pinnipedci

namespace pinnipedci {
namespace {

// Environment variables for the duration of a test.
class ScopedEnv
{
public:
  ScopedEnv(const char* name, const std::string& value) : m_name(name)
  {
    if (const char* old = std::getenv(name)) {
      m_old = old;
    }
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv()
  {
    if (m_old) {
      ::setenv(m_name, m_old->c_str(), 1);
    } else {
      ::unsetenv(m_name);
    }
  }

private:
  const char* m_name;
  std::optional<std::string> m_old;
};

TEST_F(LoginTest, HttpsProxyIsUsedAndNoProxyIsHonoured)
{
  start();
  testing::ConnectProxy proxy;
  {
    ScopedEnv https_proxy("HTTPS_PROXY", proxy.url());
    ScopedEnv no_proxy("NO_PROXY", "");
    auto outcome = login();
    ASSERT_TRUE(outcome) << outcome.error().message();
  }
  auto targets = proxy.targets();
  std::string supervisor = m_emulator->supervisor_url().substr(std::string("https://").size());
  std::string api = m_emulator->api_url().substr(std::string("https://").size());
  EXPECT_THAT(targets, ::testing::Contains(supervisor));
  EXPECT_THAT(targets, ::testing::Contains(api));
  {
    ScopedEnv https_proxy("HTTPS_PROXY", proxy.url());
    ScopedEnv no_proxy("NO_PROXY", "127.0.0.1");
    auto outcome = login();
    ASSERT_TRUE(outcome) << outcome.error().message();
  }
  EXPECT_EQ(proxy.targets().size(), targets.size()); // nothing more went through the proxy
}

} // namespace
} // namespace pinnipedci
