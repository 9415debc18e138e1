// Session and credential caches: Pinniped's file shapes (§6), key vectors (§10.8), pruning,
// modes, locking and the pinniped-ci improvements.
#include "crypto/crypto.hpp"

#include <pinnipedci/cache.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace pinnipedci {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CapturingLog final : public LogSink
{
public:
  bool debug_enabled() const noexcept override { return true; }
  void debug(std::string_view line) override { text += std::string(line) + "\n"; }
  void warning(std::string_view line) override { text += std::string(line) + "\n"; }
  std::string text;
};

class CacheTest : public ::testing::Test
{
protected:
  void SetUp() override
  {
    m_dir = std::filesystem::temp_directory_path() /
            ("pci-cache-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  std::string path(const std::string& name) const { return (m_dir / "pinniped" / name).string(); }
  static std::string read(const std::string& p)
  {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static unsigned mode(const std::string& p)
  {
    struct stat st{};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
  }

  std::filesystem::path m_dir;
  CapturingLog m_log;
  const std::int64_t m_now = 1751457600; // 2025-07-02T12:00:00Z
};

TEST(Sha256Test, MatchesOpenSslAndVectors)
{
  for (std::string s : {std::string(), std::string("abc"), std::string(55, 'x'), std::string(56, 'y'),
                        std::string(64, 'z'), std::string(1000, 'q')}) {
    EXPECT_EQ(sha256_hex(s), crypto::hex_lower(crypto::sha256(s))) << s.size();
  }
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CredentialCacheKeyTest, PinnipedVectors)
{
  std::vector<std::string> args = {"login", "oidc", "--issuer=https://supervisor.example.com/issuer",
                                   "--client-id=pinniped-cli",
                                   "--scopes=offline_access,openid,pinniped:request-audience,username,groups",
                                   "--upstream-identity-provider-name=my-ldap",
                                   "--upstream-identity-provider-type=ldap",
                                   "--upstream-identity-provider-flow=cli_password"};
  EXPECT_EQ(credential_cache_key(args, "null", std::nullopt, ""),
            "394a60797a6c5ef7618cb83dc68ba480e33cfc07986ea7b6e6f07d316232477d");
  EXPECT_EQ(credential_cache_key(args,
                                 R"({"server":"https://127.0.0.1:6443","certificate-authority-data":"ZmFrZS1jYQ==","config":null})",
                                 std::nullopt, ""),
            "e3a28f20dfaa2982f0ad732ea571a6ff6f775042575d042a58acf8506db61b16");
  EXPECT_EQ(credential_cache_key({"login", "static", "--token=test-token"}, "null", std::string("test-token"), ""),
            "47bf3fc934cb6517ff51a6755b80816cb705bf40480c36df055c95c25ef88a3b");
  // pinniped-ci: the username separates identities.
  EXPECT_NE(credential_cache_key(args, "null", std::nullopt, "alice"),
            credential_cache_key(args, "null", std::nullopt, "bob"));
  EXPECT_NE(credential_cache_key(args, "null", std::nullopt, "alice"),
            credential_cache_key(args, "null", std::nullopt, ""));
}

Credential certificate(std::int64_t expiry)
{
  Credential c;
  c.expiration = expiry;
  c.client_certificate_data = Secret("-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n");
  c.client_key_data = Secret("-----BEGIN PRIVATE KEY-----\nBBB\n-----END PRIVATE KEY-----\n");
  return c;
}

TEST_F(CacheTest, CredentialRoundTripShapeAndModes)
{
  const std::string file = path("credentials.yaml");
  ASSERT_TRUE(credential_cache_put(file, "k1", certificate(m_now + 300), m_now, m_log));
  EXPECT_EQ(mode(file), 0600u);
  EXPECT_EQ(mode((m_dir / "pinniped").string()), 0700u);
  // Written as JSON (valid YAML) in §6.2's shape, keys in Go's order.
  std::string text = read(file);
  EXPECT_THAT(text, ::testing::StartsWith("{\"apiVersion\":\"config.supervisor.pinniped.dev/v1alpha1\",\"credentials\":[\n"
                                         "{\"creationTimestamp\":\"2025-07-02T12:00:00Z\",\"credential\":{"
                                         "\"clientCertificateData\":\"-----BEGIN CERTIFICATE-----\\nAAA\\n"));
  EXPECT_THAT(text, HasSubstr("\"expirationTimestamp\":\"2025-07-02T12:05:00Z\"},\"key\":\"k1\","
                              "\"lastUsedTimestamp\":\"2025-07-02T12:00:00Z\"}"));
  EXPECT_THAT(text, ::testing::EndsWith("],\"kind\":\"CredentialCache\"}\n"));

  auto hit = credential_cache_get(file, "k1", m_now + 10, 30, m_log);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->client_key_data.reveal(), certificate(0).client_key_data.reveal());
  EXPECT_EQ(*hit->expiration, m_now + 300);
  EXPECT_FALSE(credential_cache_get(file, "other", m_now, 30, m_log));
}

TEST_F(CacheTest, ReadsPinnipedYamlCredentialCache)
{
  // A file as the Pinniped CLI writes it (§6.2).
  const std::string file = path("credentials.yaml");
  const std::string key = "394a60797a6c5ef7618cb83dc68ba480e33cfc07986ea7b6e6f07d316232477d";
  ASSERT_TRUE(write_private_file(file, "apiVersion: config.supervisor.pinniped.dev/v1alpha1\n"
                                       "credentials:\n"
                                       "- creationTimestamp: \"2025-07-02T12:00:00Z\"\n"
                                       "  credential:\n"
                                       "    expirationTimestamp: \"2025-07-02T12:10:00Z\"\n"
                                       "    token: test-token\n"
                                       "  key: " + key + "\n"
                                       "  lastUsedTimestamp: \"2025-07-02T12:00:00Z\"\n"
                                       "kind: CredentialCache\n"));
  auto hit = credential_cache_get(file, key, m_now, 30, m_log);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->token.reveal(), "test-token");
  // Adding an entry keeps the Pinniped one.
  ASSERT_TRUE(credential_cache_put(file, "mine", certificate(m_now + 300), m_now, m_log));
  EXPECT_TRUE(credential_cache_get(file, key, m_now, 30, m_log));
  EXPECT_TRUE(credential_cache_get(file, "mine", m_now, 30, m_log));
}

TEST_F(CacheTest, CredentialMarginAndPruning)
{
  const std::string file = path("credentials.yaml");
  ASSERT_TRUE(credential_cache_put(file, "k", certificate(m_now + 300), m_now, m_log));
  EXPECT_TRUE(credential_cache_get(file, "k", m_now + 269, 30, m_log));
  EXPECT_FALSE(credential_cache_get(file, "k", m_now + 270, 30, m_log)); // last 30 s: not served
  // Short-lived credentials: the margin is capped at half the lifetime.
  ASSERT_TRUE(credential_cache_put(file, "short", certificate(m_now + 6), m_now, m_log));
  EXPECT_TRUE(credential_cache_get(file, "short", m_now + 2, 30, m_log));
  EXPECT_FALSE(credential_cache_get(file, "short", m_now + 3, 30, m_log));
  // Credentials without expiry are never cached; entries over an hour old are pruned.
  Credential no_expiry;
  no_expiry.token = Secret("t");
  ASSERT_TRUE(credential_cache_put(file, "noexp", no_expiry, m_now, m_log));
  EXPECT_FALSE(credential_cache_get(file, "noexp", m_now, 0, m_log));
  ASSERT_TRUE(credential_cache_put(file, "long", certificate(m_now + 7200), m_now, m_log));
  EXPECT_TRUE(credential_cache_get(file, "long", m_now + 3599, 30, m_log));
  EXPECT_FALSE(credential_cache_get(file, "long", m_now + 3601, 30, m_log));
}

TEST_F(CacheTest, ForeignOrBrokenFilesAreReplacedNotFatal)
{
  const std::string file = path("credentials.yaml");
  ASSERT_TRUE(write_private_file(file, "apiVersion: config.supervisor.pinniped.dev/v2alpha6\nkind: NotACredentialCache\n"));
  EXPECT_FALSE(credential_cache_get(file, "k", m_now, 30, m_log));
  EXPECT_THAT(m_log.text, HasSubstr("is not a CredentialCache"));
  ASSERT_TRUE(credential_cache_put(file, "k", certificate(m_now + 300), m_now, m_log));
  EXPECT_TRUE(credential_cache_get(file, "k", m_now, 30, m_log));

  ASSERT_TRUE(write_private_file(file, "{\"apiVersion\": 7"));
  EXPECT_FALSE(credential_cache_get(file, "k", m_now, 30, m_log));
  ASSERT_TRUE(write_private_file(file, "[[[ not yaml"));
  EXPECT_FALSE(credential_cache_get(file, "k", m_now, 30, m_log));
  EXPECT_THAT(m_log.text, HasSubstr("not valid YAML"));
  ASSERT_TRUE(write_private_file(file, "apiVersion: config.supervisor.pinniped.dev/v1alpha1\nkind: CredentialCache\n"
                                       "credentials: 7\n"));
  EXPECT_FALSE(credential_cache_get(file, "k", m_now, 30, m_log));
  // Nothing secret is ever logged.
  EXPECT_THAT(m_log.text, Not(HasSubstr("PRIVATE KEY")));
}

TokenSet tokens(std::int64_t now)
{
  TokenSet t;
  t.access_token = Secret("pin_at_access");
  t.access_token_expiry = now + 120;
  t.id_token = Secret("eyJ.id.token");
  t.id_token_expiry = now + 120;
  t.id_token_claims_json = R"({"username":"ci-bot","groups":["b","a"],"aud":["pinniped-cli"],"exp":123,"iss":"x"})";
  t.refresh_token = Secret("pin_rt_refresh");
  return t;
}

TEST_F(CacheTest, SessionRoundTripShapeAndUsernameSeparation)
{
  const std::string file = path("sessions.yaml");
  OidcLoginOptions options;
  options.issuer = "https://supervisor.example.com/issuer";
  options.upstream_idp_name = "my-ldap";
  SessionKey alice = make_session_key(options, "alice");
  EXPECT_EQ(alice.redirect_uri, "http://localhost:0/callback");
  EXPECT_EQ(alice.scopes,
            (std::vector<std::string>{"groups", "offline_access", "openid", "pinniped:request-audience", "username"}));
  ASSERT_TRUE(session_cache_put(file, alice, tokens(m_now), m_now, m_log));
  EXPECT_EQ(mode(file), 0600u);
  std::string text = read(file);
  EXPECT_THAT(text, HasSubstr("apiVersion: config.supervisor.pinniped.dev/v1alpha1\nkind: SessionCache\nsessions:\n"));
  EXPECT_THAT(text, HasSubstr("clientID: pinniped-cli"));
  EXPECT_THAT(text, HasSubstr("redirect_uri: http://localhost:0/callback"));
  EXPECT_THAT(text, HasSubstr("upstream_provider_name: my-ldap"));
  EXPECT_THAT(text, HasSubstr("username_sha256: " + sha256_hex("alice")));
  EXPECT_THAT(text, HasSubstr("refresh:\n"));
  EXPECT_THAT(text, HasSubstr("claims:\n"));
  // claims keys sorted like Go's YAML
  EXPECT_LT(text.find("aud:"), text.find("exp:"));
  EXPECT_LT(text.find("groups:"), text.find("username: ci-bot"));

  auto got = session_cache_get(file, alice, m_now + 1, m_log);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->refresh_token.reveal(), "pin_rt_refresh");
  EXPECT_EQ(got->access_token_expiry, m_now + 120);
  EXPECT_FALSE(session_cache_get(file, make_session_key(options, "bob"), m_now, m_log));
  EXPECT_FALSE(session_cache_get(file, make_session_key(options, ""), m_now, m_log));
}

TEST_F(CacheTest, SessionPruningKeepsRefreshToken)
{
  const std::string file = path("sessions.yaml");
  OidcLoginOptions options;
  options.issuer = "https://i";
  SessionKey key = make_session_key(options, "");
  ASSERT_TRUE(session_cache_put(file, key, tokens(m_now), m_now, m_log));
  auto later = session_cache_get(file, key, m_now + 500, m_log); // access and ID tokens expired
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->access_token.empty());
  EXPECT_TRUE(later->id_token.empty());
  EXPECT_EQ(later->refresh_token.reveal(), "pin_rt_refresh");
  EXPECT_THAT(read(file), Not(HasSubstr("pin_at_access")));
  // Unused for more than 90 days: gone.
  EXPECT_FALSE(session_cache_get(file, key, m_now + 500 + 91LL * 24 * 3600, m_log));
}

TEST_F(CacheTest, LockIsExclusiveAcrossProcessesAndReleasedOnCrash)
{
  const std::string file = path("credentials.yaml");
  auto lock = CacheLock::acquire(file, std::chrono::milliseconds(100));
  ASSERT_TRUE(lock);
  pid_t child = ::fork();
  if (child == 0) {
    // Held by the parent: the child times out.
    auto attempt = CacheLock::acquire(file, std::chrono::milliseconds(50));
    ::_exit(attempt ? 1 : 0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);

  { auto released = std::move(*lock); } // destructor releases
  // A holder that dies without unlocking does not leave the lock stuck.
  child = ::fork();
  if (child == 0) {
    auto held = CacheLock::acquire(file, std::chrono::milliseconds(100));
    ::_exit(held ? 9 : 1); // exits while holding it
  }
  ::waitpid(child, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 9);
  EXPECT_TRUE(CacheLock::acquire(file, std::chrono::milliseconds(100)));
  EXPECT_EQ(mode(file + ".lock"), 0600u);
}

TEST_F(CacheTest, UnwritableDirectoryIsAnErrorValueNotACrash)
{
  auto lock = CacheLock::acquire("/proc/pinniped-ci-cannot-write/credentials.yaml", std::chrono::milliseconds(10));
  EXPECT_FALSE(lock);
  EXPECT_FALSE(write_private_file("/proc/pinniped-ci-cannot-write/x", "data"));
}

} // namespace
} // namespace pinnipedci
