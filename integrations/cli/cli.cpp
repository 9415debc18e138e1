#include "cli/cli.hpp"

#include "cli/exec_plugin.hpp"
#include "cli/job_command.hpp"
#include "files.hpp"
#include "github/github_adapter.hpp"

#include <pinnipedci/credential.hpp>
#include <pinnipedci/json.hpp>
#include <pinnipedci/kubeconfig.hpp>
#include <pinnipedci/login.hpp>
#include <pinnipedci/version.hpp>
#include <pinnipedci/whoami.hpp>

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace pinnipedci::cli {
namespace {

namespace po = boost::program_options;

const char* const k_usage = R"(pinniped-ci: log CI jobs into Pinniped-protected Kubernetes clusters without a browser.

Usage:
  pinniped-ci login oidc [flags]      kubectl exec plugin, flag-compatible with `pinniped login oidc`
  pinniped-ci login static [flags]    kubectl exec plugin, flag-compatible with `pinniped login static`
  pinniped-ci login --kubeconfig F [--kubeconfig F2 | --kubeconfig-data D]... [--context C | --all-contexts]
                    [--job-dir D] [--format json|env|kubeconfig] [--static] [--password-stdin]
                                      job-level login: one login for many clusters; writes a job
                                      kubeconfig whose users need no password for the rest of the job
  pinniped-ci logout --job-dir D      remove the job directory (kubeconfig, caches, locks)
  pinniped-ci whoami [--kubeconfig F] [--context C] [-o text|json]
                                      log in through a Pinniped kubeconfig and print the identity
  pinniped-ci github [--post]         GitHub Actions step (actions/login): inputs from INPUT_*,
                                      outputs to GITHUB_OUTPUT/GITHUB_ENV; --post removes the job dir
  pinniped-ci --version | --help

Credentials (never on the command line):
  PINNIPED_USERNAME                   the IDP account's username
  PINNIPED_PASSWORD                   its password, or
  PINNIPED_PASSWORD_FILE / --password-file FILE
                                      a file holding the password (one trailing newline is ignored)
Debugging: --debug or PINNIPED_DEBUG=true (secrets are never logged).
Exit codes: 0 ok, 2 usage/config, 3 authentication rejected, 4 network/TLS, 5 server error,
            6 verification failure, 7 session expired, 70 internal error.
)";

bool debug_from_env(const Env& env)
{
  return env.get("PINNIPED_DEBUG").value_or("") == "true";
}

int whoami_command(const std::vector<std::string>& args, Env& env)
{
  std::string kubeconfig_path, context, output = "text", suffix = "pinniped.dev";
  bool debug = debug_from_env(env);
  po::options_description desc("whoami");
  desc.add_options()("kubeconfig", po::value(&kubeconfig_path), "kubeconfig file")(
    "context", po::value(&context), "context (default: current-context)")(
    "kubeconfig-context", po::value(&context), "alias of --context")("output,o", po::value(&output), "text or json")(
    "api-group-suffix", po::value(&suffix), "Concierge API group suffix")("debug", po::bool_switch(), "debug logs");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return report(Error(ErrorKind::usage, std::string("whoami: ") + e.what()), env, debug);
  }
  debug = debug || vm["debug"].as<bool>();
  if (output != "text" && output != "json") {
    return report(Error(ErrorKind::usage, "whoami: --output must be text or json"), env, debug);
  }
  if (kubeconfig_path.empty()) {
    kubeconfig_path = env.non_empty("KUBECONFIG").value_or(env.non_empty("HOME").value_or("") + "/.kube/config");
    if (auto colon = kubeconfig_path.find(':'); colon != std::string::npos) {
      kubeconfig_path.resize(colon); // first file of a KUBECONFIG list
    }
  }
  StreamLog log(*env.err, debug);
  auto text = read_text_file(kubeconfig_path, "kubeconfig");
  if (!text) {
    return report(text.error(), env, debug);
  }
  auto pinniped = read_pinniped_context(*text, kubeconfig_path, context);
  if (!pinniped) {
    return report(pinniped.error(), env, debug);
  }
  auto outcome = perform_login(pinniped->login, env, log);
  if (!outcome) {
    return report(outcome.error(), env, debug);
  }
  auto who = pinnipedci::whoami(pinniped->context, outcome->credential, suffix, log);
  if (!who) {
    return report(who.error(), env, debug);
  }
  std::ostream& out = *env.out;
  if (output == "json") {
    out << "{\"kind\":\"WhoAmIRequest\",\"apiVersion\":" << json_quote("identity.concierge." + suffix + "/v1alpha1")
        << ",\"cluster\":{\"name\":" << json_quote(who->cluster_name) << ",\"url\":" << json_quote(who->cluster_url)
        << "},\"user\":{\"username\":" << json_quote(who->username) << ",\"groups\":[";
    for (std::size_t i = 0; i < who->groups.size(); ++i) {
      out << (i ? "," : "") << json_quote(who->groups[i]);
    }
    out << "]}}\n";
  } else {
    out << "Current cluster info:\n\nName: " << who->cluster_name << "\nURL: " << who->cluster_url
        << "\n\nCurrent user info:\n\nUsername: " << who->username << "\nGroups: ";
    for (std::size_t i = 0; i < who->groups.size(); ++i) {
      out << (i ? ", " : "") << who->groups[i];
    }
    out << "\n";
  }
  out << std::flush;
  return 0;
}

} // namespace

void StreamLog::debug(std::string_view line)
{
  m_out << "pinniped-ci: debug: " << line << '\n' << std::flush;
}

void StreamLog::warning(std::string_view line)
{
  m_out << "pinniped-ci: warning: " << line << '\n' << std::flush;
}

int report(const Error& error, Env& env, bool debug)
{
  *env.err << "pinniped-ci: error: " << error.message() << '\n';
  if (debug && !error.detail().empty()) {
    *env.err << "pinniped-ci: debug: " << error.detail() << '\n';
  }
  *env.err << std::flush;
  return exit_code(error.kind());
}

int run(const std::vector<std::string>& args_in, Env& env)
{
  std::vector<std::string> args = args_in;
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? *env.err : *env.out) << k_usage;
    return args.empty() ? exit_code(ErrorKind::usage) : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    *env.out << "pinniped-ci " << k_version << '\n';
    return 0;
  }
  if (args[0] == "login") {
    if (args.size() > 1 && (args[1] == "oidc" || args[1] == "static")) {
      return run_exec_plugin(args, env);
    }
    return run_job_login({args.begin() + 1, args.end()}, env);
  }
  if (args[0] == "logout") {
    return run_job_logout({args.begin() + 1, args.end()}, env);
  }
  if (args[0] == "github") {
    return github::run({args.begin() + 1, args.end()}, env);
  }
  if (args[0] == "whoami") {
    args.erase(args.begin());
    return whoami_command(args, env);
  }
  return report(Error(ErrorKind::usage, "unknown command \"" + args[0] + "\"; run `pinniped-ci --help`"), env, false);
}

int run(int argc, char** argv)
{
  std::vector<std::string> args(argv + 1, argv + argc);
  Env env = Env::from_process();
  return run(args, env);
}

} // namespace pinnipedci::cli
