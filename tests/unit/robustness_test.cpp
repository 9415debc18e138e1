// Bad input never crashes: mutated and random inputs to every parser of outside data. Run under
// ASan/UBSan in the asan preset; here the assertion is "returns a value or an error".
#include "jose/jwt.hpp"

#include <pinnipedci/credential.hpp>
#include <pinnipedci/kubeconfig.hpp>
#include <pinnipedci/options.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

namespace pinnipedci {
namespace {

std::string testdata(const std::string& name)
{
  std::ifstream in(std::string(PCI_TESTDATA_DIR) + "/" + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Deterministic mutations: flip, insert, delete and truncate.
std::vector<std::string> mutations(const std::string& seed, int count)
{
  std::mt19937 rng(12345);
  std::vector<std::string> out;
  const std::string alphabet = "{}[]:,\"'-\n \t\\#&*!|>%@`0aZ";
  for (int i = 0; i < count; ++i) {
    std::string s = seed;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      std::size_t pos = rng() % s.size();
      switch (rng() % 4) {
      case 0: s[pos] = alphabet[rng() % alphabet.size()]; break;
      case 1: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      case 2: s.erase(pos, 1 + rng() % 16); break;
      default: s.resize(pos); break;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

TEST(RobustnessTest, KubeconfigParsersNeverCrash)
{
  int errors = 0;
  for (const auto& input : mutations(testdata("kubeconfig_a.yaml"), 1500)) {
    auto parsed = read_pinniped_context(input, "fuzz.yaml");
    if (!parsed) {
      ++errors;
      EXPECT_EQ(parsed.error().kind(), ErrorKind::usage);
      EXPECT_EQ(parsed.error().message().find('\n'), std::string::npos) << parsed.error().message();
    }
    (void)list_kubeconfig_contexts(input, "fuzz.yaml");
    (void)split_kubeconfig_data(input, "fuzz");
  }
  EXPECT_GT(errors, 100); // the mutations do break things
}

TEST(RobustnessTest, ExecInfoAndJwtParsersNeverCrash)
{
  const std::string info =
    R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://x","certificate-authority-data":"QQ==","config":{"a":[1,2]}},"interactive":false}})";
  for (const auto& input : mutations(info, 1500)) {
    auto parsed = parse_exec_info(input);
    if (!parsed) {
      EXPECT_EQ(parsed.error().kind(), ErrorKind::usage);
    }
  }
  const std::string jwks =
    R"({"keys":[{"use":"sig","kty":"EC","kid":"k","crv":"P-256","alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";
  for (const auto& input : mutations(jwks, 1000)) {
    (void)jose::Jwks::parse(input);
  }
  const std::string jwt = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2kiLCJhdWQiOlsicGlubmlwZWQtY2xpIl0sImV4cCI6MX0.c2ln";
  for (const auto& input : mutations(jwt, 1000)) {
    auto decoded = jose::decode_unverified(input);
    if (!decoded) {
      EXPECT_EQ(decoded.error().kind(), ErrorKind::verification);
    }
  }
}

TEST(RobustnessTest, LoginArgumentParserNeverCrashes)
{
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {"--issuer", "--issuer=", "--scopes=", "--listen-port", "--listen-port=x",
                                           "--enable-concierge=maybe", "--", "-", "", "--token", "=", "oidc",
                                           "--credential-min-validity", "99999999999999999999"};
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::string> args = {"login", i % 2 ? "oidc" : "static"};
    int n = static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) {
      args.push_back(pieces[rng() % pieces.size()]);
    }
    auto parsed = parse_login_args(args);
    if (!parsed) {
      EXPECT_EQ(parsed.error().kind(), ErrorKind::usage);
    }
  }
}

} // namespace
} // namespace pinnipedci
