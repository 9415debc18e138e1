// SPDX-License-Identifier: Apache-2.0
#include "github/github_adapter.hpp"

#include "cli/credentials.hpp"
#include "cli/job_command.hpp"
#include "files.hpp"
#include "job_output.hpp"

#include <pinnipedci/encoding.hpp>
#include <pinnipedci/kubeconfig.hpp>
#include <pinnipedci/log.hpp>
#include <pinnipedci/version.hpp>

#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

#include <unistd.h>

namespace pinnipedci::github {
namespace {

constexpr std::array<std::string_view, 10> k_inputs = {
  "kubeconfig", "kubeconfig_data", "context", "username", "password", "password_file",
  "export_kubeconfig", "static", "debug", "binary_path"};
constexpr std::array<std::string_view, 5> k_outputs = {"kubeconfig_path", "contexts", "expiration", "username",
                                                       "groups"};
constexpr const char* k_error_title = "Pinniped login failed";
constexpr const char* k_state_job_dir = "job_dir";

std::string trim(std::string_view s)
{
  auto start = s.find_first_not_of(" \t\r\n");
  auto end = s.find_last_not_of(" \t\r\n");
  return start == std::string_view::npos ? std::string() : std::string(s.substr(start, end - start + 1));
}

std::vector<std::string> non_empty_lines(const std::string& text)
{
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (auto t = trim(line); !t.empty()) {
      lines.push_back(std::move(t));
    }
  }
  return lines;
}

std::string join(const std::vector<std::string>& items, std::string_view separator)
{
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i ? std::string(separator) : std::string()) + items[i];
  }
  return out;
}

// YAML 1.2 core-schema booleans, as @actions/core getBooleanInput accepts them.
Result<bool> boolean_input(const Env& env, std::string_view id, bool default_value)
{
  std::string value = input(env, id);
  if (value.empty()) {
    return default_value;
  }
  if (value == "true" || value == "True" || value == "TRUE") {
    return true;
  }
  if (value == "false" || value == "False" || value == "FALSE") {
    return false;
  }
  return fail(ErrorKind::usage,
              "input \"" + std::string(id) + "\" must be true or false, not \"" + value + "\"");
}

// Plain log lines on stdout. Every physical line gets the prefix, so text from a server can never
// start a line with "::" and be taken for a workflow command.
void print_lines(std::ostream& out, std::string_view prefix, std::string_view text)
{
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    out << prefix << line << '\n';
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
    if (start == text.size()) {
      break;
    }
  }
  out << std::flush;
}

class ActionsLog final : public LogSink
{
public:
  ActionsLog(std::ostream& out, std::mutex& mutex, bool debug) : m_out(out), m_mutex(mutex), m_debug(debug) {}
  bool debug_enabled() const noexcept override { return m_debug; }
  void debug(std::string_view line) override
  {
    std::lock_guard<std::mutex> guard(m_mutex);
    print_lines(m_out, "pinniped-ci: debug: ", line);
  }
  void warning(std::string_view line) override
  {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_out << "::warning::" << escape_data(line) << '\n' << std::flush;
  }

private:
  std::ostream& m_out;
  std::mutex& m_mutex; // shared with the masker: masks and log lines never interleave
  bool m_debug;
};

// Username and password from the inputs only: no terminal, no PINNIPED_* fallbacks, so what the
// workflow says is what is used.
class InputCredentials final : public CredentialSource
{
public:
  InputCredentials(const Inputs& inputs, std::function<void(const Secret&)> on_read)
    : m_inputs(inputs), m_on_read(std::move(on_read))
  {
  }
  Result<std::string> username() override
  {
    if (m_inputs.username.empty()) {
      return fail(ErrorKind::usage, "input \"username\" is empty: set `username:` to the IDP account of the CI job");
    }
    return m_inputs.username;
  }
  Result<Secret> password() override
  {
    if (m_inputs.password) {
      return *m_inputs.password;
    }
    if (!m_inputs.password_file.empty()) {
      auto secret = cli::read_password_file(m_inputs.password_file);
      if (secret) {
        m_on_read(*secret);
      }
      return secret;
    }
    return fail(ErrorKind::usage,
                "no password: set the input \"password\" (from secrets.*) or \"password_file\"; secrets are empty "
                "in workflows triggered from forks");
  }

private:
  const Inputs& m_inputs;
  std::function<void(const Secret&)> m_on_read; // masks a password read from a file at once
};

int report_error(const Error& error, Env& env, bool debug)
{
  std::ostream& out = *env.out;
  if (debug && !error.detail().empty()) {
    print_lines(out, "pinniped-ci: debug: ", error.detail());
  }
  out << "::error title=" << escape_property(k_error_title) << "::" << escape_data(error.message()) << '\n'
      << std::flush;
  return exit_code(error.kind());
}

Result<std::string> make_job_dir(const Env& env)
{
  auto base = env.non_empty("RUNNER_TEMP");
  if (!base || base->front() != '/') {
    return fail(ErrorKind::usage, "RUNNER_TEMP is not set to an absolute directory; run this as a GitHub Actions step");
  }
  std::string pattern = *base + "/pinniped-ci-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) { // mode 0700, a fresh name per job and per step
    return fail(ErrorKind::usage, "could not create a private directory under RUNNER_TEMP (" + *base + ")");
  }
  return std::string(buffer.data());
}

Result<void> require_file_command(const Env& env, std::string_view var)
{
  if (!env.non_empty(var)) {
    return fail(ErrorKind::usage, std::string(var) + " is not set; run this as a GitHub Actions step");
  }
  return {};
}

} // namespace

std::span<const std::string_view> declared_inputs()
{
  return k_inputs;
}

std::span<const std::string_view> declared_outputs()
{
  return k_outputs;
}

std::string input(const Env& env, std::string_view id)
{
  std::string name = "INPUT_";
  for (char c : id) {
    name += c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return trim(env.get(name).value_or(""));
}

Result<Inputs> read_inputs(const Env& env)
{
  Inputs in;
  in.kubeconfig_paths = non_empty_lines(input(env, "kubeconfig"));
  in.kubeconfig_data = input(env, "kubeconfig_data");
  in.contexts = non_empty_lines(input(env, "context"));
  in.username = input(env, "username");
  if (std::string pw = input(env, "password"); !pw.empty()) {
    in.password = Secret(std::move(pw));
  }
  in.password_file = input(env, "password_file");
  PCI_TRY_ASSIGN(in.export_kubeconfig, boolean_input(env, "export_kubeconfig", true));
  PCI_TRY_ASSIGN(in.embed_static, boolean_input(env, "static", false));
  PCI_TRY_ASSIGN(bool debug_input, boolean_input(env, "debug", false));
  in.debug = debug_input || env.get("RUNNER_DEBUG").value_or("") == "1";
  if (in.kubeconfig_paths.empty() && in.kubeconfig_data.empty()) {
    return fail(ErrorKind::usage, "set the input \"kubeconfig\" (path of a Pinniped kubeconfig) or "
                                  "\"kubeconfig_data\" (its content, YAML or base64)");
  }
  if (in.password && !in.password_file.empty()) {
    return fail(ErrorKind::usage, "set only one of the inputs \"password\" and \"password_file\"");
  }
  return in;
}

Result<JobLoginRequest> build_request(const Inputs& inputs, const std::string& job_dir, const std::string& binary_path)
{
  std::vector<std::pair<std::string, std::string>> documents; // (source, yaml)
  for (const auto& path : inputs.kubeconfig_paths) {
    PCI_TRY_ASSIGN(std::string text, read_text_file(path).map_error([](const Error& e) { return e.with_context("input \"kubeconfig\""); }));
    documents.emplace_back(path, std::move(text));
  }
  if (!inputs.kubeconfig_data.empty()) {
    const std::string source = "<kubeconfig_data>";
    auto split = split_kubeconfig_data(inputs.kubeconfig_data, source);
    if (!split) {
      return tl::unexpected(split.error().with_context("input \"kubeconfig_data\""));
    }
    for (std::size_t d = 0; d < split->size(); ++d) {
      documents.emplace_back(split->size() == 1 ? source : "<kubeconfig_data document " + std::to_string(d + 1) + ">",
                             (*split)[d]);
    }
  }
  if (inputs.contexts.size() > 1 && inputs.contexts.size() != documents.size()) {
    return fail(ErrorKind::usage, "input \"context\": give one context for all kubeconfigs or one line per kubeconfig (" +
                                    std::to_string(documents.size()) + "), not " +
                                    std::to_string(inputs.contexts.size()));
  }
  JobLoginRequest request;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    std::string context = inputs.contexts.empty()       ? std::string()
                          : inputs.contexts.size() == 1 ? inputs.contexts[0]
                                                        : inputs.contexts[i];
    request.clusters.push_back({documents[i].second, documents[i].first, context});
  }
  request.job_dir = job_dir;
  request.binary_path = binary_path;
  request.username = inputs.username;
  request.embed_static = inputs.embed_static;
  return request;
}

std::string escape_data(std::string_view text)
{
  std::string out;
  for (char c : text) {
    switch (c) {
    case '%': out += "%25"; break;
    case '\r': out += "%0D"; break;
    case '\n': out += "%0A"; break;
    default: out += c;
    }
  }
  return out;
}

std::string escape_property(std::string_view text)
{
  std::string out;
  for (char c : escape_data(text)) {
    switch (c) {
    case ':': out += "%3A"; break;
    case ',': out += "%2C"; break;
    default: out += c;
    }
  }
  return out;
}

void Masker::emit(const std::string& value)
{
  if (value.empty() || !m_done.insert(value).second) {
    return;
  }
  m_out << "::add-mask::" << escape_data(value) << '\n';
}

void Masker::mask_value(const std::string& value)
{
  emit(value);
  // The runner also registers each line of a multi-line value, but only when it parses the value
  // as one command; announcing every line ourselves does not depend on that.
  if (value.find_first_of("\r\n") != std::string::npos) {
    for (const auto& line : non_empty_lines(value)) {
      emit(line);
    }
  }
  // kubeconfigs carry keys and certificates base64-encoded: a different string, its own mask.
  emit(base64_encode(value));
  m_out << std::flush;
}

void Masker::mask(const Secret& secret)
{
  mask_value(secret.reveal());
}

RandomToken default_random_token()
{
  return [] {
    std::random_device device;
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 8; ++i) {
      unsigned v = device();
      for (int j = 0; j < 4; ++j) {
        out += k_hex[(v >> (j * 8)) & 15];
        out += k_hex[(v >> (j * 8 + 4)) & 15];
      }
    }
    return out;
  };
}

Result<std::string> key_value_record(std::string_view name, std::string_view value, const RandomToken& random)
{
  if (name.empty() || name.find_first_of("=<\r\n") != std::string_view::npos) {
    return fail(ErrorKind::internal, "invalid environment-file name \"" + std::string(name) + "\"");
  }
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string delimiter = "ghadelimiter_" + random();
    if (name.find(delimiter) != std::string_view::npos || value.find(delimiter) != std::string_view::npos) {
      continue;
    }
    return std::string(name) + "<<" + delimiter + "\n" + std::string(value) + "\n" + delimiter + "\n";
  }
  return fail(ErrorKind::internal, "could not choose a heredoc delimiter that does not occur in the value of \"" +
                                     std::string(name) + "\"");
}

Result<void> append_record(const Env& env, std::string_view file_var, std::string_view name, std::string_view value,
                           const RandomToken& random)
{
  auto path = env.non_empty(file_var);
  if (!path) {
    return fail(ErrorKind::usage, std::string(file_var) + " is not set; run this as a GitHub Actions step");
  }
  PCI_TRY_ASSIGN(std::string record, key_value_record(name, value, random));
  std::ofstream out(*path, std::ios::binary | std::ios::app);
  out << record;
  out.flush();
  if (!out) {
    return fail(ErrorKind::usage, "could not write " + std::string(file_var) + " (" + *path + ")");
  }
  return {};
}

int run_main(Env& env, const Hooks& hooks_in)
{
  Hooks hooks = hooks_in;
  if (!hooks.login) {
    hooks.login = [&env](const JobLoginRequest& request, LoginContext& context) {
      return job_login(request, context, [&env](const std::string& name) { return env.get(name); });
    };
  }
  if (!hooks.random) {
    hooks.random = default_random_token();
  }
  if (hooks.binary_path.empty()) {
    hooks.binary_path = cli::self_executable_path();
  }
  std::ostream& out = *env.out;
  Masker masker(out);
  // The password input is known before anything else: mask it first, before any validation
  // message could echo it.
  if (std::string pw = input(env, "password"); !pw.empty()) {
    masker.mask_value(pw);
  }
  bool debug = env.get("RUNNER_DEBUG").value_or("") == "1";
  auto inputs = read_inputs(env);
  if (!inputs) {
    return report_error(inputs.error(), env, debug);
  }
  debug = inputs->debug;
  for (auto var : {"GITHUB_OUTPUT", "GITHUB_STATE"}) {
    if (auto ok = require_file_command(env, var); !ok) {
      return report_error(ok.error(), env, debug);
    }
  }
  if (inputs->export_kubeconfig) {
    if (auto ok = require_file_command(env, "GITHUB_ENV"); !ok) {
      return report_error(ok.error(), env, debug);
    }
  }
  auto job_dir = make_job_dir(env);
  if (!job_dir) {
    return report_error(job_dir.error(), env, debug);
  }
  // Saved before the login so the post step cleans up even after a failed or cancelled login.
  if (auto saved = append_record(env, "GITHUB_STATE", k_state_job_dir, *job_dir, hooks.random); !saved) {
    return report_error(saved.error(), env, debug);
  }
  auto request = build_request(*inputs, *job_dir, hooks.binary_path);
  if (!request) {
    (void)job_logout(*job_dir);
    return report_error(request.error(), env, debug);
  }

  std::mutex out_mutex;
  ActionsLog log(out, out_mutex, debug);
  InputCredentials credentials(*inputs, [&](const Secret& secret) {
    std::lock_guard<std::mutex> guard(out_mutex);
    masker.mask(secret);
  });
  LoginContext ctx;
  ctx.log = &log;
  ctx.credentials = &credentials;
  ctx.user_agent = std::string("pinniped-ci/") + k_version + " github-actions";
  ctx.flow_override = env.get("PINNIPED_UPSTREAM_IDENTITY_PROVIDER_FLOW");
  ctx.notice = [&](const std::string& text) {
    std::lock_guard<std::mutex> guard(out_mutex);
    if (auto t = trim(text); !t.empty()) {
      print_lines(out, "pinniped-ci: ", t);
    }
  };
  ctx.on_secret = [&](const Secret& secret) {
    std::lock_guard<std::mutex> guard(out_mutex);
    masker.mask(secret);
  };

  out << "::group::" << escape_data("Pinniped login (" + std::to_string(request->clusters.size()) + " kubeconfig" +
                                    (request->clusters.size() == 1 ? "" : "s") + ")")
      << '\n';
  for (const auto& c : request->clusters) {
    out << "pinniped-ci: kubeconfig " << c.source << (c.context.empty() ? "" : ", context \"" + c.context + "\"")
        << '\n';
  }
  out << std::flush;
  auto result = hooks.login(*request, ctx);
  if (result) {
    for (const auto& c : result->clusters) {
      out << "pinniped-ci: context \"" << c.context << "\" (" << c.server << "): "
          << (c.expiration ? "credential valid until " + format_rfc3339(*c.expiration) : std::string("no expiry"))
          << '\n';
    }
  }
  out << "::endgroup::\n" << std::flush;
  if (!result) {
    (void)job_logout(*job_dir);
    return report_error(result.error(), env, debug);
  }

  Identity who = job_identity(*result);
  const std::vector<std::pair<std::string, std::string>> outputs = {
    {"kubeconfig_path", result->kubeconfig_path},
    {"contexts", join(job_contexts(*result), "\n")},
    {"expiration", job_expiration(*result)},
    {"username", who.username},
    {"groups", join(who.groups, "\n")},
  };
  for (const auto& [name, value] : outputs) {
    if (auto ok = append_record(env, "GITHUB_OUTPUT", name, value, hooks.random); !ok) {
      return report_error(ok.error(), env, debug);
    }
  }
  if (inputs->export_kubeconfig) {
    if (auto ok = append_record(env, "GITHUB_ENV", "KUBECONFIG", result->kubeconfig_path, hooks.random); !ok) {
      return report_error(ok.error(), env, debug);
    }
  }
  if (inputs->embed_static) {
    out << "::warning title=Static credentials::"
        << escape_data("static: true embeds the current credentials in the kubeconfig; they expire at " +
                       job_expiration(*result) + " and are not renewed")
        << '\n';
  }
  out << "pinniped-ci: logged in as " << who.username << " to " << result->clusters.size() << " cluster"
      << (result->clusters.size() == 1 ? "" : "s") << "; kubeconfig " << result->kubeconfig_path
      << (inputs->export_kubeconfig ? " (exported as KUBECONFIG)" : "") << '\n'
      << std::flush;
  return 0;
}

int run_post(Env& env)
{
  std::ostream& out = *env.out;
  auto job_dir = env.non_empty(std::string("STATE_") + k_state_job_dir);
  if (!job_dir) {
    out << "pinniped-ci: nothing to clean up\n" << std::flush;
    return 0;
  }
  if (::access(job_dir->c_str(), F_OK) != 0) {
    out << "pinniped-ci: nothing to clean up (" << *job_dir << " is already gone)\n" << std::flush;
    return 0;
  }
  if (auto removed = job_logout(*job_dir); !removed) {
    out << "::warning title=Pinniped cleanup::" << escape_data(removed.error().message()) << '\n' << std::flush;
    return 0;
  }
  out << "pinniped-ci: removed the job directory " << *job_dir << '\n' << std::flush;
  return 0;
}

int run(const std::vector<std::string>& args, Env& env)
{
  if (args.empty()) {
    return run_main(env);
  }
  if (args.size() == 1 && args[0] == "--post") {
    return run_post(env);
  }
  return report_error(Error(ErrorKind::usage, "usage: pinniped-ci github [--post] (inputs come from INPUT_* "
                                              "variables, as GitHub Actions sets them)"),
                      env, false);
}

} // namespace pinnipedci::github
