// SPDX-License-Identifier: Apache-2.0
// GitHub Actions front end: `pinniped-ci github` (the action's main step) and
// `pinniped-ci github --post` (its post step). Translation only (style.md §4.4):
//   inputs   INPUT_<ID> environment variables set by the runner from action.yml `inputs:`
//   outputs  $GITHUB_OUTPUT, $GITHUB_ENV (KUBECONFIG) and $GITHUB_STATE (the job directory), all
//            in the heredoc form with a random delimiter (ci-contracts.md §1.3)
//   errors   `::error title=Pinniped login failed::<message>` and exit_code(kind)
// Every workflow command and log line goes to Env::out (stdout), so that each `::add-mask::` is
// ordered before any line that could contain the value. Secrets never reach an output file.
#pragma once

#include "env.hpp"

#include <pinnipedci/error.hpp>
#include <pinnipedci/job.hpp>
#include <pinnipedci/login.hpp>
#include <pinnipedci/secret.hpp>

#include <functional>
#include <iosfwd>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pinnipedci::github {

// The action's inputs after trimming and validation.
struct Inputs
{
  std::vector<std::string> kubeconfig_paths; // `kubeconfig`: one path per line
  std::string kubeconfig_data;               // inline YAML (several documents allowed) or base64
  std::vector<std::string> contexts;         // `context`: none, one for all, or one per kubeconfig
  std::string username;
  std::optional<Secret> password;            // `password` (from secrets.*)
  std::string password_file;
  bool export_kubeconfig = true;
  bool embed_static = false;                 // `static`
  bool debug = false;                        // `debug` input or RUNNER_DEBUG=1
};

// Input ids declared in actions/login/action.yml (binary_path is the launcher's own), and the
// output ids this adapter writes. The unit tests compare both lists with action.yml.
std::span<const std::string_view> declared_inputs();
std::span<const std::string_view> declared_outputs();

// The value of input `id` as the runner passes it (INPUT_<ID upper-cased>), whitespace-trimmed
// as @actions/core does; "" when unset.
std::string input(const Env& env, std::string_view id);

// INPUT_* -> Inputs. The runner does not enforce `required:`, so missing and malformed values are
// ErrorKind::usage errors naming the input. Never puts a secret in an error message.
Result<Inputs> read_inputs(const Env& env);

// Inputs -> JobLoginRequest: reads the kubeconfig files, splits kubeconfig_data, pairs contexts.
Result<JobLoginRequest> build_request(const Inputs& inputs, const std::string& job_dir,
                                      const std::string& binary_path);

// Workflow-command escaping (actions/toolkit packages/core/src/command.ts).
std::string escape_data(std::string_view text);     // % CR LF
std::string escape_property(std::string_view text); // % CR LF : ,

// Emits `::add-mask::` for a secret: the value itself, each of its lines (trimmed), and the
// base64 encodings a kubeconfig or log could carry. Each string is announced once per process.
class Masker
{
public:
  explicit Masker(std::ostream& out) : m_out(out) {}
  void mask(const Secret& secret);
  void mask_value(const std::string& value);

private:
  void emit(const std::string& value);
  std::ostream& m_out;
  std::set<std::string> m_done;
};

// Random source for heredoc delimiters: returns a fresh random token on each call.
using RandomToken = std::function<std::string()>;
RandomToken default_random_token();

// One record of a key/value environment file in the heredoc form:
//   NAME<<ghadelimiter_<random>\nVALUE\nghadelimiter_<random>\n
// The delimiter is drawn again while it occurs in the name or value; after 16 collisions the
// record is refused (ErrorKind::internal). Names must be non-empty without '=', '<' or newlines.
Result<std::string> key_value_record(std::string_view name, std::string_view value, const RandomToken& random);

// Appends a record to the file named by the environment variable `file_var` (GITHUB_OUTPUT,
// GITHUB_ENV, GITHUB_STATE). Unset variable or unwritable file: ErrorKind::usage.
Result<void> append_record(const Env& env, std::string_view file_var, std::string_view name, std::string_view value,
                           const RandomToken& random);

// Seams for tests; the defaults are the real thing.
struct Hooks
{
  std::function<Result<JobLoginResult>(const JobLoginRequest&, LoginContext&)> login; // default: job_login
  RandomToken random;                         // default: std::random_device
  std::string binary_path;                    // default: /proc/self/exe
};

// `pinniped-ci github`: the main step. Returns the exit code.
int run_main(Env& env, const Hooks& hooks = {});
// `pinniped-ci github --post`: removes the job directory saved in STATE_job_dir. Always 0.
int run_post(Env& env);
// Dispatch for the command line: args after "github" ([] or ["--post"]).
int run(const std::vector<std::string>& args, Env& env);

} // namespace pinnipedci::github
