#include <pinnipedci/kubeconfig.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace pinnipedci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string testdata(const std::string& name)
{
  std::ifstream in(std::string(PCI_TESTDATA_DIR) + "/" + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(KubeconfigTest, SupervisorConciergeLdapVectorA)
{
  auto parsed = read_pinniped_context(testdata("kubeconfig_a.yaml"), "a.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->context.name, "kind-context-pinniped");
  EXPECT_EQ(parsed->context.cluster.server, "https://fake-server-url-value");
  ASSERT_TRUE(parsed->context.exec);
  EXPECT_EQ(parsed->context.exec->api_version, "client.authentication.k8s.io/v1beta1");
  EXPECT_EQ(parsed->context.exec->command, "/usr/local/bin/pinniped");
  EXPECT_TRUE(parsed->context.exec->provide_cluster_info);
  const auto& o = std::get<OidcLoginOptions>(parsed->login.command);
  EXPECT_EQ(o.issuer, "https://supervisor.example.com/issuer");
  EXPECT_EQ(o.client_id, "pinniped-cli");
  EXPECT_THAT(o.scopes, ElementsAre("offline_access", "openid", "pinniped:request-audience", "username", "groups"));
  EXPECT_THAT(o.ca_bundle_data, ElementsAre("c3VwZXJ2aXNvci1jYQ=="));
  EXPECT_EQ(o.request_audience, "test-audience");
  EXPECT_EQ(o.upstream_idp_name, "some-ldap-idp");
  EXPECT_EQ(o.upstream_idp_type, "ldap");
  EXPECT_EQ(o.upstream_idp_flow, "cli_password");
  EXPECT_TRUE(o.concierge.enabled);
  EXPECT_EQ(o.concierge.api_group_suffix, "pinniped.dev");
  EXPECT_EQ(o.concierge.authenticator_name, "test-authenticator");
  EXPECT_EQ(o.concierge.authenticator_type, "jwt");
  EXPECT_EQ(o.concierge.endpoint, "https://fake-server-url-value");
  EXPECT_FALSE(o.credential_cache.has_value()); // default path
  EXPECT_FALSE(o.session_cache.has_value());
}

TEST(KubeconfigTest, AllOptionalFlagsVectorB)
{
  auto parsed = read_pinniped_context(testdata("kubeconfig_b.yaml"), "b.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message();
  const auto& o = std::get<OidcLoginOptions>(parsed->login.command);
  EXPECT_EQ(o.concierge.api_group_suffix, "tuna.io");
  EXPECT_EQ(o.concierge.authenticator_type, "webhook");
  EXPECT_EQ(o.credential_cache, "/path/to/cache/dir/credentials.yaml");
  EXPECT_EQ(o.session_cache, "/path/to/cache/dir/sessions.yaml");
  EXPECT_TRUE(o.skip_browser);
  EXPECT_TRUE(o.skip_listen);
  EXPECT_TRUE(o.debug_session_cache);
  EXPECT_EQ(o.listen_port, 1234);
  EXPECT_EQ(o.upstream_idp_type, "oidc"); // default
}

TEST(KubeconfigTest, StaticTokenVectorC)
{
  auto parsed = read_pinniped_context(testdata("kubeconfig_c.yaml"), "c.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message();
  const auto& s = std::get<StaticLoginOptions>(parsed->login.command);
  EXPECT_EQ(s.token_env, "TEST_TOKEN");
  EXPECT_EQ(s.credential_cache, ""); // explicitly disabled
  EXPECT_EQ(s.concierge.authenticator_type, "webhook");
  EXPECT_EQ(parsed->context.exec->command, ".../path/to/pinniped");
}

TEST(KubeconfigTest, NoConciergeVectorDWithFlowStyleArgsAndExtension)
{
  auto parsed = read_pinniped_context(testdata("kubeconfig_d.yaml"), "d.yaml");
  ASSERT_TRUE(parsed) << parsed.error().message();
  const auto& o = std::get<OidcLoginOptions>(parsed->login.command);
  EXPECT_FALSE(o.concierge.enabled);
  EXPECT_EQ(o.upstream_idp_flow, "");
  EXPECT_EQ(parsed->context.exec->api_version, "client.authentication.k8s.io/v1");
  EXPECT_EQ(parsed->context.exec->interactive_mode, "Never");
  EXPECT_THAT(parsed->context.exec->env, ElementsAre(std::make_pair(std::string("FOO"), std::string("bar"))));
  EXPECT_EQ(parsed->context.cluster.exec_extension_json, R"({"audience":"pinniped-test"})");
}

TEST(KubeconfigTest, ChoosesContextAndListsThem)
{
  auto names = list_kubeconfig_contexts(testdata("kubeconfig_d.yaml"), "d.yaml");
  ASSERT_TRUE(names);
  EXPECT_THAT(*names, ElementsAre("direct", "not-pinniped"));
  auto other = read_kubeconfig_context(testdata("kubeconfig_d.yaml"), "d.yaml", "not-pinniped");
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->exec.has_value());
}

TEST(KubeconfigTest, NonPinnipedContextNamesFileContextAndProblem)
{
  auto parsed = read_pinniped_context(testdata("kubeconfig_d.yaml"), "d.yaml", "not-pinniped");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().kind(), ErrorKind::usage);
  EXPECT_THAT(parsed.error().message(), HasSubstr("kubeconfig d.yaml, context \"not-pinniped\""));
  EXPECT_THAT(parsed.error().message(), HasSubstr("has no exec plugin"));
}

TEST(KubeconfigTest, MalformedInputsAreClearErrors)
{
  auto bad_yaml = read_kubeconfig_context("clusters: [\n  - {name: x", "broken.yaml");
  ASSERT_FALSE(bad_yaml);
  EXPECT_THAT(bad_yaml.error().message(), HasSubstr("kubeconfig broken.yaml: invalid YAML at line"));

  auto scalar = read_kubeconfig_context("just a string", "s.yaml");
  ASSERT_FALSE(scalar);
  EXPECT_THAT(scalar.error().message(), HasSubstr("not a kubeconfig"));

  auto missing = read_kubeconfig_context(testdata("kubeconfig_a.yaml"), "a.yaml", "nope");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), HasSubstr("context \"nope\": context not found"));

  auto no_current = read_kubeconfig_context("apiVersion: v1\nkind: Config\n", "e.yaml");
  ASSERT_FALSE(no_current);
  EXPECT_THAT(no_current.error().message(), HasSubstr("no current-context"));

  auto bad_flag = read_pinniped_context(
    "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
    "clusters: [{name: k, cluster: {server: 'https://x'}}]\n"
    "users: [{name: u, user: {exec: {command: p, args: [login, oidc, --issuer=https://i, --bogus]}}}]\n",
    "f.yaml");
  ASSERT_FALSE(bad_flag);
  EXPECT_THAT(bad_flag.error().message(), HasSubstr("unknown flag: --bogus"));

  auto nested = read_kubeconfig_context("current-context: c\ncontexts: [{name: c, context: {cluster: [1], user: u}}]\n",
                                        "g.yaml");
  ASSERT_FALSE(nested);
}

} // namespace
} // namespace pinnipedci
