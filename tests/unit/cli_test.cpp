// The command line over a fake environment: flags, credential sources, messages and exit codes.
#include "cli/cli.hpp"
#include "cli/credentials.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace pinnipedci::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct FakeProcess
{
  std::map<std::string, std::string> vars;
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  Env env;

  FakeProcess()
  {
    env.get = [this](std::string_view name) -> std::optional<std::string> {
      auto it = vars.find(std::string(name));
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    env.in = &in;
    env.out = &out;
    env.err = &err;
  }
  int run(std::vector<std::string> args) { return cli::run(args, env); }
};

class TempFile
{
public:
  explicit TempFile(const std::string& content)
  {
    m_path = (std::filesystem::temp_directory_path() /
              ("pci-test-" + std::to_string(::getpid()) + "-" + std::to_string(s_counter++)))
               .string();
    std::ofstream(m_path) << content;
  }
  ~TempFile() { std::remove(m_path.c_str()); }
  const std::string& path() const { return m_path; }

private:
  static inline int s_counter = 0;
  std::string m_path;
};

TEST(CliTest, VersionHelpAndUnknownCommand)
{
  FakeProcess p;
  EXPECT_EQ(p.run({"--version"}), 0);
  EXPECT_EQ(p.out.str(), "pinniped-ci 0.1.0\n");
  FakeProcess h;
  EXPECT_EQ(h.run({"--help"}), 0);
  EXPECT_THAT(h.out.str(), HasSubstr("pinniped-ci login oidc"));
  EXPECT_THAT(h.out.str(), HasSubstr("7 session expired"));
  FakeProcess u;
  EXPECT_EQ(u.run({"frobnicate"}), 2);
  EXPECT_EQ(u.err.str(), "pinniped-ci: error: unknown command \"frobnicate\"; run `pinniped-ci --help`\n");
  FakeProcess none;
  EXPECT_EQ(none.run({}), 2);
}

TEST(CliTest, LoginFlagErrorsExitTwo)
{
  FakeProcess p;
  EXPECT_EQ(p.run({"login", "oidc"}), 2);
  EXPECT_EQ(p.err.str(), "pinniped-ci: error: required flag(s) \"issuer\" not set\n");
  EXPECT_TRUE(p.out.str().empty());
}

TEST(CliTest, StaticTokenErrors)
{
  FakeProcess neither;
  EXPECT_EQ(neither.run({"login", "static"}), 2);
  EXPECT_THAT(neither.err.str(), HasSubstr("one of --token or --token-env must be set"));
  FakeProcess unset;
  EXPECT_EQ(unset.run({"login", "static", "--token-env=TEST_TOKEN"}), 2);
  EXPECT_THAT(unset.err.str(), HasSubstr("--token-env variable \"TEST_TOKEN\" is not set"));
  FakeProcess empty;
  empty.vars["TEST_TOKEN"] = "";
  EXPECT_EQ(empty.run({"login", "static", "--token-env=TEST_TOKEN"}), 2);
  EXPECT_THAT(empty.err.str(), HasSubstr("--token-env variable \"TEST_TOKEN\" is empty"));
}

TEST(CliTest, StaticTokenWithoutConciergeIsPrintedAsExecCredential)
{
  FakeProcess p;
  p.vars["TEST_TOKEN"] = "abc";
  EXPECT_EQ(p.run({"login", "static", "--token-env=TEST_TOKEN"}), 0);
  EXPECT_EQ(p.out.str(), "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                         "\"spec\":{\"interactive\":false},\"status\":{\"token\":\"abc\"}}\n");
  FakeProcess v1;
  v1.vars["TEST_TOKEN"] = "abc";
  v1.vars["KUBERNETES_EXEC_INFO"] =
    R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}})";
  EXPECT_EQ(v1.run({"login", "static", "--token-env=TEST_TOKEN"}), 0);
  EXPECT_THAT(v1.out.str(), HasSubstr("\"apiVersion\":\"client.authentication.k8s.io/v1\","));
}

TEST(CliTest, InvalidExecInfoIsAUsageError)
{
  FakeProcess p;
  p.vars["TEST_TOKEN"] = "abc";
  p.vars["KUBERNETES_EXEC_INFO"] = "{not json";
  EXPECT_EQ(p.run({"login", "static", "--token-env=TEST_TOKEN"}), 2);
  EXPECT_THAT(p.err.str(), HasSubstr("KUBERNETES_EXEC_INFO"));
}

TEST(CredentialSourceTest, EnvironmentFirstEmptyMeansUnset)
{
  FakeProcess p;
  p.vars["PINNIPED_USERNAME"] = "";
  p.vars["PINNIPED_PASSWORD"] = "";
  EnvCredentialSource source(p.env, "");
  auto user = source.username();
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().kind(), ErrorKind::usage);
  EXPECT_THAT(user.error().message(), HasSubstr("error prompting for username: stdin is not connected to a terminal"));
  EXPECT_THAT(user.error().message(), HasSubstr("PINNIPED_USERNAME"));
  auto password = source.password();
  ASSERT_FALSE(password);
  EXPECT_THAT(password.error().message(), HasSubstr("PINNIPED_PASSWORD or PINNIPED_PASSWORD_FILE"));

  p.vars["PINNIPED_USERNAME"] = "ci-bot";
  p.vars["PINNIPED_PASSWORD"] = "from-env";
  EXPECT_EQ(*source.username(), "ci-bot");
  EXPECT_EQ(source.password()->reveal(), "from-env");
}

TEST(CredentialSourceTest, PasswordFilePrecedenceAndTrailingNewline)
{
  TempFile flag_file("from-flag\n");
  TempFile env_file("from-env-file\r\n");
  FakeProcess p;
  p.vars["PINNIPED_PASSWORD"] = "from-env";
  p.vars["PINNIPED_PASSWORD_FILE"] = env_file.path();
  EXPECT_EQ(EnvCredentialSource(p.env, flag_file.path()).password()->reveal(), "from-flag");
  EXPECT_EQ(EnvCredentialSource(p.env, "").password()->reveal(), "from-env");
  p.vars.erase("PINNIPED_PASSWORD");
  EXPECT_EQ(EnvCredentialSource(p.env, "").password()->reveal(), "from-env-file");

  TempFile two_lines("line1\n\n");
  EXPECT_EQ(read_password_file(two_lines.path())->reveal(), "line1\n"); // only one newline is removed
  TempFile empty("\n");
  auto e = read_password_file(empty.path());
  ASSERT_FALSE(e);
  EXPECT_THAT(e.error().message(), HasSubstr("is empty"));
  auto missing = read_password_file("/nonexistent/pw");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), HasSubstr("could not read the password file /nonexistent/pw"));
}

TEST(CredentialSourceTest, PromptsOnlyWithATerminal)
{
  FakeProcess p;
  p.env.stdin_is_tty = true;
  std::vector<std::pair<std::string, bool>> prompts;
  p.env.prompt = [&](const std::string& prompt, bool echo) -> std::optional<std::string> {
    prompts.emplace_back(prompt, echo);
    return std::string(prompt == "Username: " ? "  bob  " : "pw ");
  };
  EnvCredentialSource source(p.env, "");
  EXPECT_EQ(*source.username(), "bob");          // trimmed
  EXPECT_EQ(source.password()->reveal(), "pw "); // not trimmed
  ASSERT_EQ(prompts.size(), 2u);
  EXPECT_TRUE(prompts[0].second);
  EXPECT_FALSE(prompts[1].second); // no echo for the password
}

TEST(CliTest, WhoamiReportsKubeconfigProblems)
{
  FakeProcess p;
  EXPECT_EQ(p.run({"whoami", "--kubeconfig", "/nonexistent/kubeconfig"}), 2);
  EXPECT_THAT(p.err.str(), HasSubstr("could not read kubeconfig /nonexistent/kubeconfig"));
  FakeProcess bad;
  EXPECT_EQ(bad.run({"whoami", "--bogus"}), 2);
  FakeProcess out;
  EXPECT_EQ(out.run({"whoami", "-o", "yaml"}), 2);
}

} // namespace
} // namespace pinnipedci::cli
