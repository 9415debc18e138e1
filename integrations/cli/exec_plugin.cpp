#include "cli/exec_plugin.hpp"

#include "cli/cli.hpp"
#include "cli/credentials.hpp"

#include <pinnipedci/cache.hpp>
#include <pinnipedci/credential.hpp>
#include <pinnipedci/version.hpp>

#include <chrono>
#include <optional>

namespace pinnipedci::cli {
namespace {

constexpr std::chrono::seconds k_lock_timeout{60};

LoginContext make_context(Env& env, LogSink& log, CredentialSource* credentials)
{
  LoginContext ctx;
  ctx.log = &log;
  ctx.credentials = credentials;
  ctx.flow_override = env.get("PINNIPED_UPSTREAM_IDENTITY_PROVIDER_FLOW");
  ctx.notice = [&env](const std::string& text) { *env.err << text << std::flush; };
  ctx.user_agent = std::string("pinniped-ci/") + k_version;
  complete_defaults(ctx);
  return ctx;
}

// Resolves the static token of `login static` (§1.4 errors).
Result<Secret> static_token(const StaticLoginOptions& options, const Env& env)
{
  if (!options.token.empty() && !options.token_env.empty()) {
    return fail(ErrorKind::usage, "only one of --token and --token-env can be specified");
  }
  if (!options.token.empty()) {
    return Secret(options.token);
  }
  if (options.token_env.empty()) {
    return fail(ErrorKind::usage, "one of --token or --token-env must be set");
  }
  auto value = env.get(options.token_env);
  if (!value) {
    return fail(ErrorKind::usage, "--token-env variable \"" + options.token_env + "\" is not set");
  }
  if (value->empty()) {
    return fail(ErrorKind::usage, "--token-env variable \"" + options.token_env + "\" is empty");
  }
  return Secret(std::move(*value));
}

// "" disables a cache; nullopt means Pinniped's default path.
std::string cache_path(const std::optional<std::string>& flag, const Env& env, const std::string& file)
{
  return flag ? *flag : default_cache_path(env, file);
}

// Takes the lock of a cache file; on failure the cache is skipped (said under --debug).
std::optional<CacheLock> lock_cache(const std::string& path, LogSink& log)
{
  if (path.empty()) {
    return std::nullopt;
  }
  auto lock = CacheLock::acquire(path, k_lock_timeout);
  if (!lock) {
    PCI_DEBUG(log, "not using the cache " + path + ": " + lock.error().message());
    return std::nullopt;
  }
  return std::move(*lock);
}

void store_credential(const std::optional<CacheLock>& lock, const std::string& path, const std::string& key,
                      const Credential& credential, std::int64_t now, LogSink& log)
{
  if (!lock) {
    return;
  }
  if (auto stored = credential_cache_put(path, key, credential, now, log); !stored) {
    PCI_DEBUG(log, "could not write the credential cache: " + stored.error().message());
  }
}

int finish(const Credential& credential, const std::string& api_version, Env& env)
{
  *env.out << exec_credential_json(credential, api_version) << std::flush;
  return 0;
}

int oidc_plugin(const std::vector<std::string>& args, const ParsedLogin& parsed, const OidcLoginOptions& options,
                const ExecInfo& info, Env& env, LogSink& log)
{
  EnvCredentialSource credentials(env, options.password_file);
  LoginContext ctx = make_context(env, log, &credentials);
  const std::string username = env.non_empty("PINNIPED_USERNAME").value_or("");
  const std::string credential_path = cache_path(options.credential_cache, env, "credentials.yaml");
  const std::string session_path = cache_path(options.session_cache, env, "sessions.yaml");
  const std::string key = credential_cache_key(args, info.cluster_json, std::nullopt, username);

  std::optional<CacheLock> credential_lock = lock_cache(credential_path, log);
  if (credential_lock) {
    if (auto hit = credential_cache_get(credential_path, key, ctx.now(), parsed.credential_min_validity, log)) {
      PCI_DEBUG(log, "using the cached credential");
      return finish(*hit, info.api_version, env);
    }
  }
  OidcLogin login(options, ctx);
  OidcLogin::Tokens tokens;
  {
    std::optional<CacheLock> session_lock = lock_cache(session_path, log);
    SessionKey session_key = make_session_key(options, username);
    std::optional<TokenSet> cached;
    if (session_lock) {
      cached = session_cache_get(session_path, session_key, ctx.now(), log);
    }
    auto obtained = login.supervisor_tokens(cached);
    if (!obtained) {
      return report(obtained.error(), env, log.debug_enabled());
    }
    tokens = std::move(*obtained);
    if (session_lock && (tokens.used_password || tokens.refreshed)) {
      if (auto stored = session_cache_put(session_path, session_key, tokens.tokens, ctx.now(), log); !stored) {
        PCI_DEBUG(log, "could not write the session cache: " + stored.error().message());
      }
    }
  }
  auto outcome = login.cluster_credential(tokens.tokens);
  if (!outcome) {
    return report(outcome.error(), env, log.debug_enabled());
  }
  store_credential(credential_lock, credential_path, key, outcome->credential, ctx.now(), log);
  return finish(outcome->credential, info.api_version, env);
}

int static_plugin(const std::vector<std::string>& args, const ParsedLogin& parsed, const StaticLoginOptions& options,
                  const ExecInfo& info, Env& env, LogSink& log)
{
  auto token = static_token(options, env);
  if (!token) {
    return report(token.error(), env, log.debug_enabled());
  }
  LoginContext ctx = make_context(env, log, nullptr);
  // Only Concierge credentials are cached (as in Pinniped).
  const std::string credential_path =
    options.concierge.enabled ? cache_path(options.credential_cache, env, "credentials.yaml") : std::string();
  const std::string key = credential_cache_key(args, info.cluster_json,
                                               token->reveal(), "");
  std::optional<CacheLock> credential_lock = lock_cache(credential_path, log);
  if (credential_lock) {
    if (auto hit = credential_cache_get(credential_path, key, ctx.now(), parsed.credential_min_validity, log)) {
      return finish(*hit, info.api_version, env);
    }
  }
  auto outcome = login_static(options, *token, ctx);
  if (!outcome) {
    return report(outcome.error(), env, log.debug_enabled());
  }
  store_credential(credential_lock, credential_path, key, outcome->credential, ctx.now(), log);
  return finish(outcome->credential, info.api_version, env);
}

} // namespace

std::string default_cache_path(const Env& env, const std::string& file)
{
  if (auto xdg = env.non_empty("XDG_CONFIG_HOME")) {
    return *xdg + "/pinniped/" + file;
  }
  return env.non_empty("HOME").value_or("") + "/.config/pinniped/" + file;
}

Result<LoginOutcome> perform_login(const ParsedLogin& parsed, Env& env, LogSink& log)
{
  if (const auto* oidc = std::get_if<OidcLoginOptions>(&parsed.command)) {
    EnvCredentialSource credentials(env, oidc->password_file);
    LoginContext ctx = make_context(env, log, &credentials);
    return login_oidc(*oidc, ctx);
  }
  const auto& options = std::get<StaticLoginOptions>(parsed.command);
  PCI_TRY_ASSIGN(Secret token, static_token(options, env));
  LoginContext ctx = make_context(env, log, nullptr);
  return login_static(options, token, ctx);
}

int run_exec_plugin(const std::vector<std::string>& args, Env& env)
{
  bool debug = env.get("PINNIPED_DEBUG").value_or("") == "true";
  auto parsed = parse_login_args(args);
  if (!parsed) {
    return report(parsed.error(), env, debug);
  }
  debug = debug || parsed->debug;
  StreamLog log(*env.err, debug);
  ExecInfo info;
  if (auto info_text = env.non_empty("KUBERNETES_EXEC_INFO")) {
    auto parsed_info = parse_exec_info(*info_text);
    if (!parsed_info) {
      return report(parsed_info.error(), env, debug);
    }
    info = std::move(*parsed_info);
  }
  if (const auto* oidc = std::get_if<OidcLoginOptions>(&parsed->command)) {
    return oidc_plugin(args, *parsed, *oidc, info, env, log);
  }
  return static_plugin(args, *parsed, std::get<StaticLoginOptions>(parsed->command), info, env, log);
}

} // namespace pinnipedci::cli
