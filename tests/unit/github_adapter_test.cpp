// SPDX-License-Identifier: Apache-2.0
// The GitHub Actions adapter over a fake environment: inputs -> login request, environment files
// (heredoc, multi-line values, delimiter collisions), masking order, errors and the post step.
#include "github/github_adapter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace pinnipedci::github {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class TempDir
{
public:
  TempDir()
  {
    std::string pattern = (fs::temp_directory_path() / "pci-gh-test-XXXXXX").string();
    m_path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(m_path); }
  const std::string& path() const { return m_path; }
  std::string file(const std::string& name, const std::string& content) const
  {
    std::string p = m_path + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

private:
  std::string m_path;
};

std::string slurp(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A runner step: INPUT_* variables, the three environment files and RUNNER_TEMP in a temp dir.
struct FakeStep
{
  TempDir dir;
  std::map<std::string, std::string> vars;
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  Env env;

  FakeStep()
  {
    fs::create_directory(dir.path() + "/runner_temp");
    vars["RUNNER_TEMP"] = dir.path() + "/runner_temp";
    vars["GITHUB_OUTPUT"] = dir.file("output", "");
    vars["GITHUB_ENV"] = dir.file("env", "");
    vars["GITHUB_STATE"] = dir.file("state", "");
    env.get = [this](std::string_view name) -> std::optional<std::string> {
      auto it = vars.find(std::string(name));
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    env.in = &in;
    env.out = &out;
    env.err = &err;
  }
  void set_input(const std::string& id, const std::string& value)
  {
    std::string name = "INPUT_";
    for (char c : id) {
      name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    vars[name] = value;
  }
  std::string file(const std::string& var) const { return slurp(vars.at(var)); }
};

// Parses an environment file the way the runner does (FileCommandManager.cs): NAME=VALUE or
// NAME<<DELIM ... DELIM; fails the test on any malformed record.
std::map<std::string, std::string> parse_env_file(const std::string& text)
{
  std::map<std::string, std::string> result;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) {
      continue;
    }
    auto eq = line.find('=');
    auto heredoc = line.find("<<");
    if (eq != std::string::npos && (heredoc == std::string::npos || eq < heredoc)) {
      result[line.substr(0, eq)] = line.substr(eq + 1);
      continue;
    }
    EXPECT_NE(heredoc, std::string::npos) << "invalid line: " << line;
    if (heredoc == std::string::npos) {
      return result;
    }
    std::string name = line.substr(0, heredoc), delimiter = line.substr(heredoc + 2);
    EXPECT_FALSE(name.empty());
    EXPECT_FALSE(delimiter.empty());
    std::string value, body;
    bool closed = false, first = true;
    while (std::getline(in, body)) {
      if (body == delimiter) {
        closed = true;
        break;
      }
      value += (first ? "" : "\n") + body;
      first = false;
    }
    EXPECT_TRUE(closed) << "Matching delimiter not found: " << delimiter;
    result[name] = value;
  }
  return result;
}

std::string testdata(const std::string& name)
{
  return slurp(std::string(PCI_TESTDATA_DIR) + "/" + name);
}

RandomToken sequence(std::vector<std::string> tokens)
{
  auto state = std::make_shared<std::pair<std::vector<std::string>, std::size_t>>(std::move(tokens), 0);
  return [state] {
    auto& [list, i] = *state;
    return list[std::min(i++, list.size() - 1)];
  };
}

// --- inputs ------------------------------------------------------------------------------------

TEST(GithubInputs, NamesAreUpperCasedAndValuesTrimmed)
{
  FakeStep s;
  s.vars["INPUT_KUBECONFIG_DATA"] = "  \n data \t\n";
  EXPECT_EQ(input(s.env, "kubeconfig_data"), "data");
  EXPECT_EQ(input(s.env, "missing"), "");
}

TEST(GithubInputs, EveryInputReachesInputs)
{
  FakeStep s;
  s.set_input("kubeconfig", " a.yaml\n\n  b.yaml \n");
  s.set_input("kubeconfig_data", "apiVersion: v1\n");
  s.set_input("context", "ctx-a\nctx-b\nctx-c");
  s.set_input("username", " ci-bot ");
  s.set_input("password", " hunter2 ");
  s.set_input("export_kubeconfig", "false");
  s.set_input("static", "True");
  s.set_input("debug", "TRUE");
  auto in = read_inputs(s.env);
  ASSERT_TRUE(in) << in.error().message();
  EXPECT_THAT(in->kubeconfig_paths, ElementsAre("a.yaml", "b.yaml"));
  EXPECT_EQ(in->kubeconfig_data, "apiVersion: v1");
  EXPECT_THAT(in->contexts, ElementsAre("ctx-a", "ctx-b", "ctx-c"));
  EXPECT_EQ(in->username, "ci-bot");
  ASSERT_TRUE(in->password);
  EXPECT_EQ(in->password->reveal(), "hunter2");
  EXPECT_FALSE(in->export_kubeconfig);
  EXPECT_TRUE(in->embed_static);
  EXPECT_TRUE(in->debug);

  FakeStep f;
  f.set_input("kubeconfig", "a.yaml");
  f.set_input("password_file", " /run/pw ");
  auto defaults = read_inputs(f.env);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->password_file, "/run/pw");
  EXPECT_FALSE(defaults->password);
  EXPECT_TRUE(defaults->export_kubeconfig);
  EXPECT_FALSE(defaults->embed_static);
  EXPECT_FALSE(defaults->debug);
  f.vars["RUNNER_DEBUG"] = "1";
  EXPECT_TRUE(read_inputs(f.env)->debug);
}

TEST(GithubInputs, ValidationErrorsNameTheInput)
{
  FakeStep none;
  auto missing = read_inputs(none.env);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::usage);
  EXPECT_THAT(missing.error().message(), HasSubstr("\"kubeconfig\""));

  for (const char* id : {"export_kubeconfig", "static", "debug"}) {
    FakeStep s;
    s.set_input("kubeconfig", "a.yaml");
    s.set_input(id, "yes");
    auto bad = read_inputs(s.env);
    ASSERT_FALSE(bad) << id;
    EXPECT_EQ(bad.error().message(), "input \"" + std::string(id) + "\" must be true or false, not \"yes\"");
  }

  FakeStep both;
  both.set_input("kubeconfig", "a.yaml");
  both.set_input("password", "pw-both");
  both.set_input("password_file", "/x");
  auto conflict = read_inputs(both.env);
  ASSERT_FALSE(conflict);
  EXPECT_THAT(conflict.error().message(), HasSubstr("only one of"));
  EXPECT_THAT(conflict.error().message(), Not(HasSubstr("pw-both")));
}

TEST(GithubInputs, RequestFromPathsDataAndContexts)
{
  TempDir d;
  std::string a = d.file("a.yaml", testdata("kubeconfig_a.yaml"));
  std::string b = d.file("b.yaml", testdata("kubeconfig_b.yaml"));
  Inputs in;
  in.kubeconfig_paths = {a, b};
  in.kubeconfig_data = testdata("kubeconfig_c.yaml") + "\n---\n" + testdata("kubeconfig_d.yaml");
  in.username = "ci-bot";
  in.embed_static = true;
  auto request = build_request(in, "/tmp/job", "/opt/pinniped-ci");
  ASSERT_TRUE(request) << request.error().message();
  ASSERT_EQ(request->clusters.size(), 4u);
  EXPECT_EQ(request->clusters[0].source, a);
  EXPECT_EQ(request->clusters[0].kubeconfig_yaml, testdata("kubeconfig_a.yaml"));
  EXPECT_EQ(request->clusters[1].source, b);
  EXPECT_EQ(request->clusters[2].source, "<kubeconfig_data document 1>");
  EXPECT_EQ(request->clusters[3].source, "<kubeconfig_data document 2>");
  EXPECT_THAT(request->clusters[3].kubeconfig_yaml, HasSubstr("kind: Config"));
  for (const auto& c : request->clusters) {
    EXPECT_EQ(c.context, "");
  }
  EXPECT_EQ(request->job_dir, "/tmp/job");
  EXPECT_EQ(request->binary_path, "/opt/pinniped-ci");
  EXPECT_EQ(request->username, "ci-bot");
  EXPECT_TRUE(request->embed_static);

  in.contexts = {"one"};
  EXPECT_EQ(build_request(in, "/j", "/b")->clusters[2].context, "one");
  in.contexts = {"c1", "c2", "c3", "c4"};
  EXPECT_EQ(build_request(in, "/j", "/b")->clusters[3].context, "c4");
  in.contexts = {"c1", "c2"};
  auto mismatch = build_request(in, "/j", "/b");
  ASSERT_FALSE(mismatch);
  EXPECT_THAT(mismatch.error().message(), HasSubstr("one line per kubeconfig (4), not 2"));
}

TEST(GithubInputs, Base64KubeconfigDataAndBadPaths)
{
  Inputs in;
  // base64 of kubeconfig_a.yaml
  std::string yaml = testdata("kubeconfig_a.yaml");
  static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  int val = 0, bits = -6;
  for (unsigned char c : yaml) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      b64 += k_alphabet[(val >> bits) & 0x3F];
      bits -= 6;
    }
  }
  if (bits > -6) {
    b64 += k_alphabet[((val << 8) >> (bits + 8)) & 0x3F];
  }
  while (b64.size() % 4) {
    b64 += '=';
  }
  in.kubeconfig_data = b64;
  auto request = build_request(in, "/j", "/b");
  ASSERT_TRUE(request) << request.error().message();
  ASSERT_EQ(request->clusters.size(), 1u);
  EXPECT_EQ(request->clusters[0].source, "<kubeconfig_data>");
  EXPECT_THAT(request->clusters[0].kubeconfig_yaml, HasSubstr("login"));

  Inputs missing;
  missing.kubeconfig_paths = {"/nonexistent/kubeconfig.yaml"};
  auto error = build_request(missing, "/j", "/b");
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind(), ErrorKind::usage);
  EXPECT_THAT(error.error().message(), HasSubstr("input \"kubeconfig\": could not read /nonexistent/kubeconfig.yaml"));
}

// --- workflow commands and environment files ---------------------------------------------------

TEST(GithubCommands, Escaping)
{
  EXPECT_EQ(escape_data("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
  EXPECT_EQ(escape_property("Pinniped login failed: a,b%\n"), "Pinniped login failed%3A a%2Cb%25%0A");
}

TEST(GithubEnvFiles, HeredocRecordAndMultilineValue)
{
  auto record = key_value_record("KUBECONFIG", "/tmp/x/kubeconfig", sequence({"abc"}));
  ASSERT_TRUE(record);
  EXPECT_EQ(*record, "KUBECONFIG<<ghadelimiter_abc\n/tmp/x/kubeconfig\nghadelimiter_abc\n");
  auto multi = key_value_record("groups", "a\nb\n\nc", sequence({"d1"}));
  ASSERT_TRUE(multi);
  EXPECT_EQ(*multi, "groups<<ghadelimiter_d1\na\nb\n\nc\nghadelimiter_d1\n");
  auto parsed = parse_env_file(*record + *multi + *key_value_record("empty", "", sequence({"e"})));
  EXPECT_EQ(parsed["KUBECONFIG"], "/tmp/x/kubeconfig");
  EXPECT_EQ(parsed["groups"], "a\nb\n\nc");
  EXPECT_EQ(parsed["empty"], "");
}

TEST(GithubEnvFiles, DelimiterCollisionDrawsAgainOrRefuses)
{
  std::string value = "line\nghadelimiter_taken\nmore";
  auto record = key_value_record("out", value, sequence({"taken", "free"}));
  ASSERT_TRUE(record);
  EXPECT_EQ(*record, "out<<ghadelimiter_free\n" + value + "\nghadelimiter_free\n");
  EXPECT_EQ(parse_env_file(*record)["out"], value);

  auto refused = key_value_record("out", value, sequence({"taken"}));
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("delimiter"));

  EXPECT_FALSE(key_value_record("", "v", sequence({"x"})));
  EXPECT_FALSE(key_value_record("A=B", "v", sequence({"x"})));
  EXPECT_FALSE(key_value_record("A\nB", "v", sequence({"x"})));
}

TEST(GithubEnvFiles, DefaultDelimitersAreRandom)
{
  auto random = default_random_token();
  std::string a = random(), b = random();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
}

TEST(GithubEnvFiles, AppendRecordAppendsAndNeedsTheVariable)
{
  FakeStep s;
  ASSERT_TRUE(append_record(s.env, "GITHUB_OUTPUT", "a", "1", sequence({"x"})));
  ASSERT_TRUE(append_record(s.env, "GITHUB_OUTPUT", "b", "2\n3", sequence({"y"})));
  EXPECT_EQ(s.file("GITHUB_OUTPUT"), "a<<ghadelimiter_x\n1\nghadelimiter_x\nb<<ghadelimiter_y\n2\n3\nghadelimiter_y\n");
  s.vars.erase("GITHUB_OUTPUT");
  auto missing = append_record(s.env, "GITHUB_OUTPUT", "a", "1", sequence({"x"}));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "GITHUB_OUTPUT is not set; run this as a GitHub Actions step");
}

TEST(GithubMasking, EveryLineAndTheBase64FormAreMaskedOnce)
{
  std::ostringstream out;
  Masker masker(out);
  masker.mask(Secret("-----BEGIN KEY-----\nAAAA\nBBBB\n-----END KEY-----\n"));
  masker.mask(Secret("abc"));
  masker.mask(Secret("abc"));
  masker.mask(Secret(""));
  EXPECT_EQ(out.str(), "::add-mask::-----BEGIN KEY-----%0AAAAA%0ABBBB%0A-----END KEY-----%0A\n"
                       "::add-mask::-----BEGIN KEY-----\n"
                       "::add-mask::AAAA\n"
                       "::add-mask::BBBB\n"
                       "::add-mask::-----END KEY-----\n"
                       "::add-mask::LS0tLS1CRUdJTiBLRVktLS0tLQpBQUFBCkJCQkIKLS0tLS1FTkQgS0VZLS0tLS0K\n"
                       "::add-mask::abc\n"
                       "::add-mask::YWJj\n");
}

TEST(GithubContract, DeclaredInputsAndOutputsMatchActionYml)
{
  std::string yml = slurp(std::string(PCI_TESTDATA_DIR) + "/../../actions/login/action.yml");
  ASSERT_FALSE(yml.empty());
  auto ids_in = [&](const std::string& section) {
    std::vector<std::string> ids;
    std::istringstream in(yml);
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] != ' ') {
        inside = line == section + ":";
        continue;
      }
      if (inside && line.size() > 3 && line.rfind("  ", 0) == 0 && line[2] != ' ' && line.back() == ':') {
        ids.push_back(line.substr(2, line.size() - 3));
      }
    }
    return ids;
  };
  std::vector<std::string> inputs(declared_inputs().begin(), declared_inputs().end());
  std::vector<std::string> outputs(declared_outputs().begin(), declared_outputs().end());
  EXPECT_EQ(ids_in("inputs"), inputs);
  EXPECT_EQ(ids_in("outputs"), outputs);
  for (const auto& id : inputs) {
    EXPECT_EQ(id.find('-'), std::string::npos) << id;
  }
}

// --- the main step with a fake login -----------------------------------------------------------

const std::string k_password = "p@ss word%42";
const std::string k_token = "pin_at_fake-access-token";
const std::string k_key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\nByqGSM49AgEG\n-----END PRIVATE KEY-----\n";

struct FakeLogin
{
  int calls = 0;
  JobLoginRequest seen;
  std::optional<Error> error;
  std::string password_seen;

  Hooks hooks()
  {
    Hooks h;
    h.binary_path = "/opt/bin/pinniped-ci";
    h.random = default_random_token();
    h.login = [this](const JobLoginRequest& request, LoginContext& ctx) -> Result<JobLoginResult> {
      ++calls;
      seen = request;
      std::ofstream(request.job_dir + "/" + k_job_marker) << "job\n";
      std::ofstream(request.job_dir + "/kubeconfig") << "kubeconfig\n";
      ctx.notice("\nLog in to my-ldap\n\n");
      auto username = ctx.credentials->username();
      if (!username) {
        return tl::unexpected(username.error());
      }
      auto password = ctx.credentials->password();
      if (!password) {
        return tl::unexpected(password.error());
      }
      password_seen = password->reveal();
      ctx.on_secret(*password);
      PCI_DEBUG(*ctx.log, "authorize for " + *username);
      ctx.on_secret(Secret(k_token));
      ctx.on_secret(Secret(k_key));
      // A (hypothetically) careless log line: the masks must already be in front of it.
      PCI_DEBUG(*ctx.log, "token " + k_token + " key line MIGHAgEAMBMG\n::set-env name=X::y");
      ctx.log->warning("server says: slow down");
      if (error) {
        return tl::unexpected(*error);
      }
      JobLoginResult r;
      r.job_dir = request.job_dir;
      r.kubeconfig_path = request.job_dir + "/kubeconfig";
      JobClusterResult a{"ctx-a", "a.yaml", "https://a.example", 1800000000, {"ci-bot", {"ci-robots", "deployers"}, ""}};
      JobClusterResult b{"ctx-b", "b.yaml", "https://b.example", 1700000000, {"ci-bot", {"ci-robots", "deployers"}, ""}};
      r.clusters = {a, b};
      r.earliest_expiration = 1700000000;
      return r;
    };
    return h;
  }
};

void expect_masked_before_use(const std::string& out, const std::vector<std::string>& values)
{
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  for (const auto& value : values) {
    bool masked = false;
    for (const auto& line : lines) {
      if (line.rfind("::add-mask::", 0) == 0) {
        masked = masked || line == "::add-mask::" + escape_data(value);
      } else if (line.find(value) != std::string::npos) {
        EXPECT_TRUE(masked) << "\"" << value << "\" printed before its mask: " << line;
      }
    }
    EXPECT_TRUE(masked) << "never masked: " << value;
  }
}

std::vector<std::string> secrets_and_lines()
{
  std::vector<std::string> values = {k_password, k_token, k_key};
  std::istringstream in(k_key);
  for (std::string line; std::getline(in, line);) {
    values.push_back(line);
  }
  return values;
}

TEST(GithubMain, WritesOutputsEnvAndStateAndMasksFirst)
{
  FakeStep s;
  std::string kc = s.dir.file("a.yaml", testdata("kubeconfig_a.yaml"));
  s.set_input("kubeconfig", kc + "\n" + kc);
  s.set_input("username", "ci-bot");
  s.set_input("password", "  " + k_password + "\n");
  s.set_input("debug", "true");
  FakeLogin login;
  ASSERT_EQ(run_main(s.env, login.hooks()), 0) << s.out.str();
  EXPECT_EQ(login.password_seen, k_password);

  const std::string out = s.out.str();
  EXPECT_THAT(out, StartsWith("::add-mask::" + escape_data(k_password) + "\n"));
  expect_masked_before_use(out, secrets_and_lines());
  EXPECT_THAT(out, HasSubstr("::group::Pinniped login (2 kubeconfigs)\n"));
  EXPECT_THAT(out, HasSubstr("pinniped-ci: Log in to my-ldap\n"));
  EXPECT_THAT(out, HasSubstr("pinniped-ci: debug: authorize for ci-bot\n"));
  // Every physical line of a log message is prefixed: no injected workflow command.
  EXPECT_THAT(out, HasSubstr("pinniped-ci: debug: ::set-env name=X::y\n"));
  EXPECT_THAT(out, HasSubstr("::warning::server says: slow down\n"));
  EXPECT_THAT(out, HasSubstr("::endgroup::\n"));
  EXPECT_THAT(out, HasSubstr("logged in as ci-bot to 2 clusters"));
  EXPECT_TRUE(s.err.str().empty()) << s.err.str();

  // The request.
  ASSERT_EQ(login.seen.clusters.size(), 2u);
  EXPECT_EQ(login.seen.binary_path, "/opt/bin/pinniped-ci");
  EXPECT_EQ(login.seen.username, "ci-bot");
  const std::string job_dir = login.seen.job_dir;
  EXPECT_EQ(fs::path(job_dir).parent_path().string(), s.vars["RUNNER_TEMP"]);
  struct stat st{};
  ASSERT_EQ(::stat(job_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // The files, parsed as the runner parses them.
  auto outputs = parse_env_file(s.file("GITHUB_OUTPUT"));
  EXPECT_EQ(outputs["kubeconfig_path"], job_dir + "/kubeconfig");
  EXPECT_EQ(outputs["contexts"], "ctx-a\nctx-b");
  EXPECT_EQ(outputs["expiration"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(outputs["username"], "ci-bot");
  EXPECT_EQ(outputs["groups"], "ci-robots\ndeployers");
  EXPECT_EQ(outputs.size(), 5u);
  auto env = parse_env_file(s.file("GITHUB_ENV"));
  EXPECT_EQ(env["KUBECONFIG"], job_dir + "/kubeconfig");
  EXPECT_EQ(env.size(), 1u);
  EXPECT_THAT(s.file("GITHUB_ENV"), StartsWith("KUBECONFIG<<ghadelimiter_"));
  EXPECT_EQ(parse_env_file(s.file("GITHUB_STATE"))["job_dir"], job_dir);
  for (const auto& file : {"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE"}) {
    for (const auto& secret : secrets_and_lines()) {
      EXPECT_THAT(s.file(file), Not(HasSubstr(secret))) << file;
    }
  }
}

TEST(GithubMain, NoExportAndNoDebug)
{
  FakeStep s;
  s.set_input("kubeconfig", s.dir.file("a.yaml", testdata("kubeconfig_a.yaml")));
  s.set_input("username", "ci-bot");
  s.set_input("password", k_password);
  s.set_input("export_kubeconfig", "false");
  s.vars.erase("GITHUB_ENV"); // not needed without export
  FakeLogin login;
  ASSERT_EQ(run_main(s.env, login.hooks()), 0) << s.out.str();
  EXPECT_THAT(s.out.str(), Not(HasSubstr("debug:")));
  EXPECT_THAT(s.out.str(), Not(HasSubstr("exported as KUBECONFIG")));
  EXPECT_FALSE(parse_env_file(s.file("GITHUB_OUTPUT"))["kubeconfig_path"].empty());
}

TEST(GithubMain, PasswordFileIsReadAndMasked)
{
  FakeStep s;
  s.set_input("kubeconfig", s.dir.file("a.yaml", testdata("kubeconfig_a.yaml")));
  s.set_input("username", "ci-bot");
  s.set_input("password_file", s.dir.file("pw", k_password + "\n"));
  FakeLogin login;
  ASSERT_EQ(run_main(s.env, login.hooks()), 0) << s.out.str();
  EXPECT_EQ(login.password_seen, k_password);
  expect_masked_before_use(s.out.str(), secrets_and_lines());
}

TEST(GithubMain, LoginErrorIsAnAnnotationWithTheExitCode)
{
  FakeStep s;
  s.set_input("kubeconfig", s.dir.file("a.yaml", testdata("kubeconfig_a.yaml")));
  s.set_input("username", "ci-bot");
  s.set_input("password", k_password);
  FakeLogin login;
  login.error = Error(ErrorKind::auth, "login failed with code \"access_denied\": bad, really: bad\nsecond line");
  EXPECT_EQ(run_main(s.env, login.hooks()), 3);
  const std::string out = s.out.str();
  EXPECT_THAT(out, HasSubstr("::endgroup::\n::error title=Pinniped login failed::login failed with code "
                             "\"access_denied\": bad, really: bad%0Asecond line\n"));
  expect_masked_before_use(out, secrets_and_lines());
  EXPECT_EQ(s.file("GITHUB_OUTPUT"), "");
  EXPECT_EQ(s.file("GITHUB_ENV"), "");
  // The job directory is saved for the post step, and already removed.
  std::string job_dir = parse_env_file(s.file("GITHUB_STATE"))["job_dir"];
  EXPECT_EQ(job_dir, login.seen.job_dir);
  EXPECT_FALSE(fs::exists(job_dir));
}

TEST(GithubMain, MissingCredentialsAndInputsAreUsageErrors)
{
  {
    FakeStep s;
    s.set_input("kubeconfig", s.dir.file("a.yaml", testdata("kubeconfig_a.yaml")));
    s.set_input("username", "ci-bot");
    FakeLogin login;
    EXPECT_EQ(run_main(s.env, login.hooks()), 2);
    EXPECT_THAT(s.out.str(), HasSubstr("::error title=Pinniped login failed::no password: set the input "
                                       "\"password\" (from secrets.*) or \"password_file\""));
    EXPECT_THAT(s.out.str(), HasSubstr("forks"));
  }
  {
    FakeStep s;
    s.set_input("kubeconfig", s.dir.file("a.yaml", testdata("kubeconfig_a.yaml")));
    s.set_input("password", k_password);
    FakeLogin login;
    EXPECT_EQ(run_main(s.env, login.hooks()), 2);
    EXPECT_THAT(s.out.str(), HasSubstr("input \"username\" is empty"));
  }
  {
    // Invalid input: no login, no job directory, yet the password was masked first.
    FakeStep s;
    s.set_input("kubeconfig", "a.yaml");
    s.set_input("password", k_password);
    s.set_input("static", "yes");
    FakeLogin login;
    EXPECT_EQ(run_main(s.env, login.hooks()), 2);
    EXPECT_EQ(login.calls, 0);
    EXPECT_THAT(s.out.str(), StartsWith("::add-mask::" + escape_data(k_password) + "\n"));
    EXPECT_THAT(s.out.str(), HasSubstr("::error title=Pinniped login failed::input \"static\" must be true or false"));
    EXPECT_TRUE(fs::is_empty(s.vars["RUNNER_TEMP"]));
  }
  {
    FakeStep s;
    s.set_input("kubeconfig", "a.yaml");
    s.vars.erase("RUNNER_TEMP");
    FakeLogin login;
    EXPECT_EQ(run_main(s.env, login.hooks()), 2);
    EXPECT_THAT(s.out.str(), HasSubstr("RUNNER_TEMP is not set"));
  }
  {
    FakeStep s;
    s.set_input("kubeconfig", "a.yaml");
    s.vars.erase("GITHUB_OUTPUT");
    FakeLogin login;
    EXPECT_EQ(run_main(s.env, login.hooks()), 2);
    EXPECT_THAT(s.out.str(), HasSubstr("GITHUB_OUTPUT is not set"));
    EXPECT_TRUE(fs::is_empty(s.vars["RUNNER_TEMP"]));
  }
}

// --- the post step -----------------------------------------------------------------------------

TEST(GithubPost, RemovesTheJobDirectoryAndNeverFails)
{
  FakeStep s;
  std::string job = s.vars["RUNNER_TEMP"] + "/pinniped-ci-job";
  fs::create_directories(job + "/sub");
  std::ofstream(job + "/" + k_job_marker) << "x";
  std::ofstream(job + "/kubeconfig") << "x";
  std::ofstream(job + "/sessions.yaml.lock") << "";
  s.vars["STATE_job_dir"] = job;
  EXPECT_EQ(run({"--post"}, s.env), 0);
  EXPECT_FALSE(fs::exists(job));
  EXPECT_THAT(s.out.str(), HasSubstr("removed the job directory"));

  FakeStep again;
  again.vars["STATE_job_dir"] = job;
  EXPECT_EQ(run({"--post"}, again.env), 0);
  EXPECT_THAT(again.out.str(), HasSubstr("already gone"));

  FakeStep nothing;
  EXPECT_EQ(run({"--post"}, nothing.env), 0);
  EXPECT_EQ(nothing.out.str(), "pinniped-ci: nothing to clean up\n");

  FakeStep foreign;
  std::string other = foreign.dir.path() + "/not-a-job";
  fs::create_directories(other);
  std::ofstream(other + "/keep") << "x";
  foreign.vars["STATE_job_dir"] = other;
  EXPECT_EQ(run({"--post"}, foreign.env), 0);
  EXPECT_TRUE(fs::exists(other + "/keep"));
  EXPECT_THAT(foreign.out.str(), HasSubstr("::warning title=Pinniped cleanup::refusing to remove"));
}

TEST(GithubPost, UnknownArgumentsAreUsageErrors)
{
  FakeStep s;
  EXPECT_EQ(run({"--frobnicate"}, s.env), 2);
  EXPECT_THAT(s.out.str(), HasSubstr("::error title=Pinniped login failed::usage: pinniped-ci github [--post]"));
}

} // namespace
} // namespace pinnipedci::github
