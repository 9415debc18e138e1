#include "cli/job_command.hpp"

#include "cli/cli.hpp"
#include "cli/credentials.hpp"
#include "files.hpp"
#include "job_output.hpp"

#include <pinnipedci/credential.hpp>
#include <pinnipedci/job.hpp>
#include <pinnipedci/kubeconfig.hpp>
#include <pinnipedci/version.hpp>

#include <boost/program_options.hpp>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace pinnipedci::cli {
namespace {

namespace po = boost::program_options;

// Password from stdin (--password-stdin) first, then the usual sources.
class JobCredentials final : public CredentialSource
{
public:
  JobCredentials(Env& env, std::string password_file, bool from_stdin)
    : m_env(env), m_inner(env, std::move(password_file)), m_from_stdin(from_stdin)
  {
  }
  Result<std::string> username() override { return m_inner.username(); }
  Result<Secret> password() override
  {
    if (!m_from_stdin) {
      return m_inner.password();
    }
    std::string line;
    if (!std::getline(*m_env.in, line) || line.empty()) {
      return fail(ErrorKind::usage, "--password-stdin: no password on standard input");
    }
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    return Secret(std::move(line));
  }

private:
  Env& m_env;
  EnvCredentialSource m_inner;
  bool m_from_stdin;
};

Result<std::string> make_job_dir(const Env& env)
{
  std::string base = env.non_empty("TMPDIR").value_or("/tmp");
  std::string pattern = base + "/pinniped-ci-job.XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return fail(ErrorKind::usage, "could not create a job directory under " + base + "; pass --job-dir");
  }
  return std::string(buffer.data());
}

} // namespace

std::string self_executable_path()
{
  char buffer[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) {
    return "pinniped-ci";
  }
  return std::string(buffer, static_cast<std::size_t>(n));
}

int run_job_login(const std::vector<std::string>& args, Env& env)
{
  std::vector<std::string> kubeconfigs, kubeconfig_data, contexts;
  std::string job_dir, format = "json", password_file, exec_path;
  bool embed_static = false, password_stdin = false, debug = env.get("PINNIPED_DEBUG").value_or("") == "true";
  bool all_contexts = false;
  int min_validity = 30;
  int parallel = JobLoginRequest{}.max_parallel;
  po::options_description desc("login");
  desc.add_options()("kubeconfig", po::value(&kubeconfigs), "Pinniped kubeconfig file (repeatable)")(
    "kubeconfig-data", po::value(&kubeconfig_data), "inline or base64 kubeconfig (repeatable)")(
    "context", po::value(&contexts), "context to use (repeatable: one per kubeconfig, or one for all)")(
    "all-contexts", po::bool_switch(&all_contexts), "use every Pinniped context of each kubeconfig")(
    "job-dir", po::value(&job_dir), "private job directory (default: a new one under $TMPDIR)")(
    "format", po::value(&format), "json, env or kubeconfig")("static", po::bool_switch(&embed_static),
                                                              "embed the current credentials (they expire)")(
    "password-file", po::value(&password_file), "read the password from this file")(
    "password-stdin", po::bool_switch(&password_stdin), "read the password from standard input")(
    "credential-min-validity", po::value(&min_validity), "seconds")("parallel", po::value(&parallel),
                                                                   "worker threads for cluster logins")("exec-path", po::value(&exec_path),
                                                                     "exec command written to the job kubeconfig")(
    "debug", po::bool_switch(), "debug logs");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return report(Error(ErrorKind::usage, std::string("login: ") + e.what() + "; run `pinniped-ci --help`"), env, debug);
  }
  debug = debug || vm["debug"].as<bool>();
  StreamLog log(*env.err, debug);
  if (format != "json" && format != "env" && format != "kubeconfig") {
    return report(Error(ErrorKind::usage, "login: --format must be json, env or kubeconfig"), env, debug);
  }
  if (kubeconfigs.empty() && kubeconfig_data.empty()) {
    if (auto k = env.non_empty("KUBECONFIG")) {
      kubeconfigs.push_back(*k);
    } else {
      return report(Error(ErrorKind::usage, "login: pass --kubeconfig FILE or --kubeconfig-data DATA"), env, debug);
    }
  }
  // Collect the kubeconfig documents.
  std::vector<std::pair<std::string, std::string>> documents; // (source, yaml)
  for (const auto& path : kubeconfigs) {
    auto text = read_text_file(path, "kubeconfig");
    if (!text) {
      return report(text.error(), env, debug);
    }
    documents.emplace_back(path, *text);
  }
  for (std::size_t i = 0; i < kubeconfig_data.size(); ++i) {
    std::string source = "<kubeconfig-data " + std::to_string(i + 1) + ">";
    auto split = split_kubeconfig_data(kubeconfig_data[i], source);
    if (!split) {
      return report(split.error(), env, debug);
    }
    for (std::size_t d = 0; d < split->size(); ++d) {
      documents.emplace_back(split->size() == 1 ? source : source + " document " + std::to_string(d + 1), (*split)[d]);
    }
  }
  if (contexts.size() > 1 && contexts.size() != documents.size()) {
    return report(Error(ErrorKind::usage, "login: give one --context for all kubeconfigs or one per kubeconfig (" +
                                            std::to_string(documents.size()) + ")"),
                  env, debug);
  }
  JobLoginRequest request;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    const auto& [source, yaml] = documents[i];
    if (all_contexts) {
      auto names = list_kubeconfig_contexts(yaml, source);
      if (!names) {
        return report(names.error(), env, debug);
      }
      for (const auto& name : *names) {
        if (read_pinniped_context(yaml, source, name)) {
          request.clusters.push_back({yaml, source, name});
        } else {
          PCI_DEBUG(log, "kubeconfig " + source + ": skipping context \"" + name + "\" (not a Pinniped context)");
        }
      }
      continue;
    }
    std::string context = contexts.empty() ? "" : contexts.size() == 1 ? contexts[0] : contexts[i];
    request.clusters.push_back({yaml, source, context});
  }
  if (job_dir.empty()) {
    auto made = make_job_dir(env);
    if (!made) {
      return report(made.error(), env, debug);
    }
    job_dir = *made;
  }
  request.job_dir = job_dir;
  request.binary_path = exec_path.empty() ? self_executable_path() : exec_path;
  request.username = env.non_empty("PINNIPED_USERNAME").value_or("");
  request.embed_static = embed_static;
  request.credential_min_validity = min_validity;
  request.max_parallel = parallel;

  JobCredentials credentials(env, password_file, password_stdin);
  LoginContext ctx;
  ctx.log = &log;
  ctx.credentials = &credentials;
  ctx.flow_override = env.get("PINNIPED_UPSTREAM_IDENTITY_PROVIDER_FLOW");
  ctx.user_agent = std::string("pinniped-ci/") + k_version;
  auto result = job_login(request, ctx, [&env](const std::string& name) { return env.get(name); });
  if (!result) {
    return report(result.error(), env, debug);
  }
  if (embed_static) {
    *env.err << "pinniped-ci: warning: --static embeds the current credentials in " << result->kubeconfig_path
             << "; they expire at " << job_expiration(*result)
             << " and are not renewed (use the default exec mode for long jobs)\n";
  }
  if (format == "json") {
    *env.out << job_summary_json(*result);
  } else if (format == "env") {
    *env.out << "KUBECONFIG=" << result->kubeconfig_path << "\nPINNIPED_CI_JOB_DIR=" << result->job_dir << "\n";
  } else {
    auto text = read_text_file(result->kubeconfig_path, "kubeconfig");
    if (!text) {
      return report(text.error(), env, debug);
    }
    *env.out << *text;
  }
  *env.out << std::flush;
  return 0;
}

int run_job_logout(const std::vector<std::string>& args, Env& env)
{
  std::string job_dir;
  po::options_description desc("logout");
  desc.add_options()("job-dir", po::value(&job_dir), "job directory to remove");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return report(Error(ErrorKind::usage, std::string("logout: ") + e.what()), env, false);
  }
  if (job_dir.empty()) {
    job_dir = env.non_empty("PINNIPED_CI_JOB_DIR").value_or("");
  }
  if (job_dir.empty()) {
    return report(Error(ErrorKind::usage, "logout: pass --job-dir DIR (or set PINNIPED_CI_JOB_DIR)"), env, false);
  }
  if (auto removed = job_logout(job_dir); !removed) {
    return report(removed.error(), env, false);
  }
  return 0;
}

} // namespace pinnipedci::cli
