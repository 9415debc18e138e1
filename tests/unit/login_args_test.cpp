#include <pinnipedci/options.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pinnipedci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Result<ParsedLogin> parse(std::vector<std::string> args)
{
  return parse_login_args(args);
}

TEST(LoginArgsTest, DefaultsMatchPinniped)
{
  auto p = parse({"login", "oidc", "--issuer=https://i.example.com"});
  ASSERT_TRUE(p) << p.error().message();
  const auto& o = std::get<OidcLoginOptions>(p->command);
  EXPECT_EQ(o.client_id, "pinniped-cli");
  EXPECT_THAT(o.scopes, ElementsAre("offline_access", "openid", "pinniped:request-audience", "username", "groups"));
  EXPECT_EQ(o.listen_port, 0);
  EXPECT_EQ(o.upstream_idp_type, "oidc");
  EXPECT_EQ(o.concierge.api_group_suffix, "pinniped.dev");
  EXPECT_FALSE(o.concierge.enabled);
  EXPECT_FALSE(o.credential_cache);
}

TEST(LoginArgsTest, BothValueFormsAndBooleans)
{
  auto p = parse({"login", "oidc", "--issuer", "https://i", "--client-id", "c", "--enable-concierge=false",
                  "--skip-browser", "--listen-port", "8080", "--debug"});
  ASSERT_TRUE(p) << p.error().message();
  const auto& o = std::get<OidcLoginOptions>(p->command);
  EXPECT_EQ(o.issuer, "https://i");
  EXPECT_EQ(o.client_id, "c");
  EXPECT_FALSE(o.concierge.enabled);
  EXPECT_TRUE(o.skip_browser);
  EXPECT_EQ(o.listen_port, 8080);
  EXPECT_TRUE(p->debug);
}

TEST(LoginArgsTest, SlicesReplaceDefaultThenAppend)
{
  auto p = parse({"login", "oidc", "--issuer=https://i", "--scopes=openid", "--scopes", "groups,username",
                  "--ca-bundle-data=QQ==", "--ca-bundle-data=Qg=="});
  ASSERT_TRUE(p);
  const auto& o = std::get<OidcLoginOptions>(p->command);
  EXPECT_THAT(o.scopes, ElementsAre("openid", "groups", "username"));
  EXPECT_THAT(o.ca_bundle_data, ElementsAre("QQ==", "Qg=="));
}

TEST(LoginArgsTest, EmptyCredentialCacheDisables)
{
  auto p = parse({"login", "static", "--token=t", "--credential-cache="});
  ASSERT_TRUE(p);
  EXPECT_EQ(std::get<StaticLoginOptions>(p->command).credential_cache, "");
}

TEST(LoginArgsTest, HiddenDeprecatedConciergeNamespaceIsAccepted)
{
  EXPECT_TRUE(parse({"login", "static", "--token=t", "--concierge-namespace=x"}));
}

TEST(LoginArgsTest, ErrorsUsePflagWording)
{
  auto missing_issuer = parse({"login", "oidc"});
  ASSERT_FALSE(missing_issuer);
  EXPECT_EQ(missing_issuer.error().message(), "required flag(s) \"issuer\" not set");
  EXPECT_EQ(missing_issuer.error().kind(), ErrorKind::usage);

  auto unknown = parse({"login", "oidc", "--issuer=https://i", "--nope=1"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(), "unknown flag: --nope");

  auto no_value = parse({"login", "oidc", "--issuer"});
  ASSERT_FALSE(no_value);
  EXPECT_EQ(no_value.error().message(), "flag needs an argument: --issuer");

  auto bad_int = parse({"login", "oidc", "--issuer=https://i", "--listen-port=abc"});
  ASSERT_FALSE(bad_int);
  EXPECT_THAT(bad_int.error().message(), HasSubstr("--listen-port"));

  auto bad_bool = parse({"login", "oidc", "--issuer=https://i", "--skip-browser=maybe"});
  ASSERT_FALSE(bad_bool);
  EXPECT_THAT(bad_bool.error().message(), HasSubstr("strconv.ParseBool"));

  auto positional = parse({"login", "oidc", "--issuer=https://i", "extra"});
  ASSERT_FALSE(positional);
  EXPECT_THAT(positional.error().message(), HasSubstr("unknown command \"extra\""));

  EXPECT_FALSE(parse({"login"}));
  EXPECT_FALSE(parse({"login", "saml"}));
  // static does not know OIDC flags
  EXPECT_FALSE(parse({"login", "static", "--issuer=https://i"}));
}

TEST(LoginArgsTest, ConciergeValidation)
{
  ConciergeOptions c;
  EXPECT_TRUE(validate_concierge(c)); // disabled
  c.enabled = true;
  auto e = validate_concierge(c);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message(), "invalid Concierge parameters: endpoint must not be empty");
  c.endpoint = "http://x";
  EXPECT_EQ(validate_concierge(c).error().message(),
            "invalid Concierge parameters: invalid endpoint scheme \"http\" (must be \"https\")");
  c.endpoint = "https://x";
  EXPECT_EQ(validate_concierge(c).error().message(), "invalid Concierge parameters: authenticator name must not be empty");
  c.authenticator_name = "a";
  c.authenticator_type = "saml";
  EXPECT_EQ(validate_concierge(c).error().message(),
            "invalid Concierge parameters: invalid authenticator type: \"saml\", supported values are \"webhook\" and \"jwt\"");
  c.authenticator_type = "JWT";
  EXPECT_TRUE(validate_concierge(c));
  c.api_group_suffix = "nodots";
  EXPECT_THAT(validate_concierge(c).error().message(), HasSubstr("invalid API group suffix"));
  c.api_group_suffix = "tuna.io";
  EXPECT_TRUE(validate_concierge(c));
}

} // namespace
} // namespace pinnipedci
