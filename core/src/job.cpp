// Job-scoped login (see job.hpp): one Supervisor login per session, concurrent cluster logins,
// a private job directory with a kubeconfig whose exec users read the job's caches.
#include <pinnipedci/job.hpp>

#include "crypto/crypto.hpp"
#include "json/json_util.hpp"

#include <pinnipedci/cache.hpp>
#include <pinnipedci/kubeconfig.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace pinnipedci {
namespace {

// Serialises a LogSink, a CredentialSource and the secret hook for worker threads.
class SharedLog final : public LogSink
{
public:
  explicit SharedLog(LogSink& inner) : m_inner(inner) {}
  bool debug_enabled() const noexcept override { return m_inner.debug_enabled(); }
  void debug(std::string_view line) override
  {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_inner.debug(line);
  }
  void warning(std::string_view line) override
  {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_inner.warning(line);
  }

private:
  LogSink& m_inner;
  std::mutex m_mutex;
};

class SharedCredentials final : public CredentialSource
{
public:
  explicit SharedCredentials(CredentialSource* inner) : m_inner(inner) {}
  Result<std::string> username() override
  {
    std::lock_guard<std::mutex> guard(m_mutex);
    if (m_inner == nullptr) {
      return fail(ErrorKind::usage, "no credentials were provided");
    }
    return m_inner->username();
  }
  Result<Secret> password() override
  {
    std::lock_guard<std::mutex> guard(m_mutex);
    if (m_inner == nullptr) {
      return fail(ErrorKind::usage, "no credentials were provided");
    }
    return m_inner->password();
  }

private:
  CredentialSource* m_inner;
  std::mutex m_mutex;
};

struct Entry
{
  KubeconfigContext context;
  std::string source;
  std::string name;                       // unique context name in the job kubeconfig
  std::vector<std::string> exec_args;     // args of the job kubeconfig's exec user
  ParsedLogin login;                      // parsed from exec_args
  std::vector<std::pair<std::string, std::string>> exec_env;
  Secret static_token;
  Result<LoginOutcome> outcome = fail(ErrorKind::internal, "not logged in");
};

bool is_flag(const std::string& arg, const std::string& name)
{
  return arg == "--" + name || arg.rfind("--" + name + "=", 0) == 0;
}

// The original login args without cache/password/debug flags, plus the job's cache paths.
std::vector<std::string> job_exec_args(const std::vector<std::string>& original, const std::string& dir,
                                       int min_validity)
{
  static const char* const dropped[] = {"session-cache", "credential-cache", "password-file", "debug",
                                        "debug-session-cache", "credential-min-validity"};
  static const char* const takes_value[] = {"session-cache", "credential-cache", "password-file",
                                            "credential-min-validity"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < original.size(); ++i) {
    const std::string& arg = original[i];
    bool drop = false;
    for (const char* name : dropped) {
      if (is_flag(arg, name)) {
        drop = true;
        bool separate_value = arg == std::string("--") + name &&
                              std::any_of(std::begin(takes_value), std::end(takes_value),
                                          [&](const char* v) { return std::string(v) == name; });
        if (separate_value) {
          ++i;
        }
        break;
      }
    }
    if (!drop) {
      out.push_back(arg);
    }
  }
  if (original.size() > 1 && original[1] == "oidc") {
    out.push_back("--session-cache=" + dir + "/sessions.yaml");
  }
  out.push_back("--credential-cache=" + dir + "/credentials.yaml");
  if (min_validity != 30) {
    out.push_back("--credential-min-validity=" + std::to_string(min_validity));
  }
  return out;
}

std::string session_group(const OidcLoginOptions& o, const std::string& username)
{
  SessionKey key = make_session_key(o, username);
  std::string id = key.issuer + "\n" + key.client_id + "\n" + key.redirect_uri + "\n" + key.upstream_provider_name +
                   "\n" + key.username_sha256;
  for (const auto& s : key.scopes) {
    id += "\n" + s;
  }
  return id;
}

std::size_t worker_count(std::size_t n, int parallel)
{
  return std::max<std::size_t>(1, std::min<std::size_t>(n, static_cast<std::size_t>(std::max(parallel, 1))));
}

// Runs fn(i, worker) for i in [0, n) on worker_count(n, parallel) threads.
void run_parallel(std::size_t n, int parallel, const std::function<void(std::size_t, std::size_t)>& fn)
{
  std::atomic<std::size_t> next{0};
  auto worker = [&](std::size_t w) {
    for (std::size_t i = next++; i < n; i = next++) {
      fn(i, w);
    }
  };
  std::size_t threads = worker_count(n, parallel);
  if (threads <= 1) {
    worker(0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back(worker, t);
  }
  for (auto& t : pool) {
    t.join();
  }
}

// The job kubeconfig, written by hand: every string is a double-quoted YAML scalar with JSON escapes
// (a subset of YAML's), which is exact and far cheaper than yaml-cpp's emitter for 50 clusters.
std::string render_kubeconfig(const std::vector<Entry>& entries, const JobLoginRequest& request)
{
  auto q = [](const std::string& value) { return json::go_string(value); };
  std::string out = "apiVersion: v1\nkind: Config\npreferences: {}\ncurrent-context: " + q(entries.front().name) + "\n";
  out += "clusters:\n";
  for (const auto& e : entries) {
    const ClusterConfig& c = e.context.cluster;
    out += "- name: " + q(e.name) + "\n  cluster:\n    server: " + q(c.server) + "\n";
    if (!c.certificate_authority_data.empty()) {
      out += "    certificate-authority-data: " + q(c.certificate_authority_data) + "\n";
    }
    if (!c.tls_server_name.empty()) {
      out += "    tls-server-name: " + q(c.tls_server_name) + "\n";
    }
    if (!c.proxy_url.empty()) {
      out += "    proxy-url: " + q(c.proxy_url) + "\n";
    }
  }
  out += "contexts:\n";
  for (const auto& e : entries) {
    out += "- name: " + q(e.name) + "\n  context:\n    cluster: " + q(e.name) + "\n    user: " + q(e.name) + "\n";
  }
  out += "users:\n";
  for (const auto& e : entries) {
    out += "- name: " + q(e.name) + "\n  user:\n";
    const Credential& c = e.outcome->credential;
    if (request.embed_static) {
      if (!c.client_certificate_data.empty()) {
        out += "    client-certificate-data: " + q(crypto::base64_encode(c.client_certificate_data.reveal())) + "\n";
        out += "    client-key-data: " + q(crypto::base64_encode(c.client_key_data.reveal())) + "\n";
      } else {
        out += "    token: " + q(c.token.reveal()) + "\n";
      }
      continue;
    }
    out += "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n";
    out += "      command: " + q(request.binary_path) + "\n      args:\n";
    for (const auto& a : e.exec_args) {
      out += "      - " + q(a) + "\n";
    }
    out += e.exec_env.empty() ? "      env: []\n" : "      env:\n";
    for (const auto& [name, value] : e.exec_env) {
      out += "      - name: " + q(name) + "\n        value: " + q(value) + "\n";
    }
    out += "      installHint: \"pinniped-ci is not installed at this path; the job kubeconfig only works inside the "
           "job that created it\"\n";
    out += "      provideClusterInfo: false\n";
  }
  return out;
}

} // namespace

Result<JobLoginResult> job_login(const JobLoginRequest& request, LoginContext& base_context,
                                 const std::function<std::optional<std::string>(const std::string&)>& static_token_lookup)
{
  complete_defaults(base_context);
  if (request.clusters.empty()) {
    return fail(ErrorKind::usage, "no kubeconfig was given; pass at least one Pinniped kubeconfig");
  }
  if (request.job_dir.empty() || request.job_dir.front() != '/') {
    return fail(ErrorKind::usage, "the job directory must be an absolute path: \"" + request.job_dir + "\"");
  }
  PCI_TRY(make_private_dir(request.job_dir));
  PCI_TRY(write_private_file(request.job_dir + "/" + k_job_marker, "pinniped-ci job directory\n"));
  const std::string session_path = request.job_dir + "/sessions.yaml";
  const std::string credential_path = request.job_dir + "/credentials.yaml";

  // 1. Read every cluster.
  std::vector<Entry> entries;
  std::set<std::string> names;
  // YAML parsing dominates the CPU time of a many-cluster login: spread it over the cores.
  std::vector<Result<PinnipedContext>> parsed(request.clusters.size(), fail(ErrorKind::internal, "not parsed"));
  run_parallel(request.clusters.size(), static_cast<int>(std::max(2u, std::thread::hardware_concurrency())),
               [&](std::size_t i, std::size_t) {
                 const JobCluster& c = request.clusters[i];
                 parsed[i] = read_pinniped_context(c.kubeconfig_yaml, c.source, c.context);
               });
  for (std::size_t ci = 0; ci < request.clusters.size(); ++ci) {
    const JobCluster& cluster = request.clusters[ci];
    PCI_TRY_ASSIGN(PinnipedContext pinniped, std::move(parsed[ci]));
    Entry e;
    e.source = cluster.source;
    e.context = std::move(pinniped.context);
    e.name = e.context.name;
    for (int n = 2; names.count(e.name) != 0; ++n) {
      e.name = e.context.name + "-" + std::to_string(n);
    }
    names.insert(e.name);
    e.exec_args = job_exec_args(e.context.exec->args, request.job_dir, request.credential_min_validity);
    PCI_TRY_ASSIGN(e.login, parse_login_args(e.exec_args));
    if (const auto* s = std::get_if<StaticLoginOptions>(&e.login.command)) {
      if (!s->token.empty()) {
        e.static_token = Secret(s->token);
      } else if (!s->token_env.empty()) {
        auto value = static_token_lookup(s->token_env);
        if (!value || value->empty()) {
          return fail(ErrorKind::usage, "kubeconfig " + e.source + ", context \"" + e.context.name +
                                          "\": --token-env variable \"" + s->token_env + "\" is not set");
        }
        e.static_token = Secret(*value);
        e.exec_env.emplace_back(s->token_env, *value);
      } else {
        return fail(ErrorKind::usage, "kubeconfig " + e.source + ", context \"" + e.context.name +
                                        "\": one of --token or --token-env must be set");
      }
      if (base_context.on_secret) {
        base_context.on_secret(e.static_token);
      }
    } else if (!request.username.empty()) {
      e.exec_env.emplace_back("PINNIPED_USERNAME", request.username);
    }
    entries.push_back(std::move(e));
  }

  SharedLog log(*base_context.log);
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()) + " ms";
  };
  SharedCredentials credentials(base_context.credentials);
  std::mutex secret_mutex;
  LoginContext ctx = base_context;
  ctx.log = &log;
  ctx.credentials = &credentials;
  if (base_context.on_secret) {
    ctx.on_secret = [&](const Secret& s) {
      std::lock_guard<std::mutex> guard(secret_mutex);
      base_context.on_secret(s);
    };
  }

  // 2. One Supervisor session per group, groups in parallel.
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (const auto* o = std::get_if<OidcLoginOptions>(&entries[i].login.command)) {
      groups[session_group(*o, request.username)].push_back(i);
    }
  }
  struct Group
  {
    std::vector<std::size_t> members;
    std::unique_ptr<OidcLogin> login;
    Result<OidcLogin::Tokens> tokens = fail(ErrorKind::internal, "not logged in");
  };
  std::vector<Group> session_groups;
  for (auto& [id, members] : groups) {
    Group g;
    g.members = members;
    session_groups.push_back(std::move(g));
  }
  std::optional<CacheLock> session_lock;
  {
    auto acquired = CacheLock::acquire(session_path, std::chrono::seconds(60));
    if (!acquired) {
      return tl::unexpected(acquired.error());
    }
    session_lock = std::move(*acquired);
  }
  std::mutex cache_mutex;
  run_parallel(session_groups.size(), request.max_parallel, [&](std::size_t gi, std::size_t) {
    Group& g = session_groups[gi];
    const auto& options = std::get<OidcLoginOptions>(entries[g.members.front()].login.command);
    g.login = std::make_unique<OidcLogin>(options, ctx);
    SessionKey key = make_session_key(options, request.username);
    std::optional<TokenSet> cached;
    {
      std::lock_guard<std::mutex> guard(cache_mutex);
      cached = session_cache_get(session_path, key, ctx.now(), log);
    }
    g.tokens = g.login->supervisor_tokens(cached);
    if (g.tokens) {
      std::lock_guard<std::mutex> guard(cache_mutex);
      if (auto stored = session_cache_put(session_path, key, g.tokens->tokens, ctx.now(), log); !stored) {
        PCI_DEBUG(log, "could not write the job session cache: " + stored.error().message());
      }
    }
  });
  session_lock.reset();
  PCI_DEBUG(log, "job login: " + std::to_string(session_groups.size()) + " Supervisor session(s) ready after " + elapsed());
  for (const auto& g : session_groups) {
    if (!g.tokens) {
      return tl::unexpected(g.tokens.error());
    }
  }

  // 3. Every cluster's credential, concurrently.
  std::vector<Group*> group_of(entries.size(), nullptr);
  for (auto& g : session_groups) {
    for (std::size_t i : g.members) {
      group_of[i] = &g;
    }
  }
  // Each worker thread owns one connection pool, so the clusters it handles one after another
  // reuse its connections to the Supervisor (and to API servers sharing a host).
  std::vector<std::unique_ptr<ConnectionPool>> pools;
  for (std::size_t w = 0; w < worker_count(entries.size(), request.max_parallel); ++w) {
    pools.push_back(std::make_unique<ConnectionPool>(log, ctx.user_agent));
  }
  run_parallel(entries.size(), request.max_parallel, [&](std::size_t i, std::size_t w) {
    Entry& e = entries[i];
    if (const auto* o = std::get_if<OidcLoginOptions>(&e.login.command)) {
      Group& g = *group_of[i];
      if (i == g.members.front()) {
        // The cluster that shares the group's options continues on its connections.
        e.outcome = g.login->cluster_credential(g.tokens->tokens);
        return;
      }
      OidcLogin login(*o, ctx, *pools[w]);
      login.share_discovery(*g.login);
      e.outcome = login.cluster_credential(g.tokens->tokens);
    } else {
      e.outcome = login_static_on(std::get<StaticLoginOptions>(e.login.command), e.static_token, ctx, *pools[w]);
    }
  });
  int requests = 0;
  int connections = 0;
  for (const auto& pool : pools) {
    auto [r, c] = pool->http_stats();
    requests += r;
    connections += c;
  }
  for (const auto& g : session_groups) {
    auto [r, c] = g.login->http_stats();
    requests += r;
    connections += c;
  }
  for (const auto& e : entries) {
    if (!e.outcome) {
      return tl::unexpected(e.outcome.error().with_context("kubeconfig " + e.source + ", context \"" +
                                                           e.context.name + "\""));
    }
  }

  PCI_DEBUG(log, "job login: " + std::to_string(entries.size()) + " cluster credential(s) after " + elapsed());
  // 4. Pre-populate the credential cache exactly as the exec plugin will look it up.
  {
    auto lock = CacheLock::acquire(credential_path, std::chrono::seconds(60));
    if (!lock) {
      return tl::unexpected(lock.error());
    }
    std::vector<std::pair<std::string, Credential>> fresh;
    for (const auto& e : entries) {
      bool is_static = std::holds_alternative<StaticLoginOptions>(e.login.command);
      std::string key = credential_cache_key(e.exec_args, "null",
                                             is_static ? std::optional<std::string>(e.static_token.reveal())
                                                       : std::nullopt,
                                             is_static ? std::string() : request.username);
      fresh.emplace_back(std::move(key), e.outcome->credential);
    }
    if (auto stored = credential_cache_put(credential_path, fresh, ctx.now(), log); !stored) {
      return tl::unexpected(stored.error());
    }
  }

  PCI_DEBUG(log, "job login: credential cache written after " + elapsed());
  // 5. The job kubeconfig.
  JobLoginResult result;
  result.job_dir = request.job_dir;
  result.kubeconfig_path = request.job_dir + "/kubeconfig";
  PCI_TRY(write_private_file(result.kubeconfig_path, render_kubeconfig(entries, request)));
  for (const auto& g : session_groups) {
    if (g.tokens->used_password) {
      ++result.password_logins;
    }
  }
  for (const auto& e : entries) {
    JobClusterResult r;
    r.context = e.name;
    r.source = e.source;
    r.server = e.context.cluster.server;
    r.expiration = e.outcome->credential.expiration;
    r.identity = e.outcome->identity;
    if (r.expiration && (!result.earliest_expiration || *r.expiration < *result.earliest_expiration)) {
      result.earliest_expiration = r.expiration;
    }
    result.clusters.push_back(std::move(r));
  }
  result.http_requests = requests;
  result.new_connections = connections;
  return result;
}

Result<void> job_logout(const std::string& job_dir)
{
  namespace fs = std::filesystem;
  std::error_code ec;
  if (job_dir.empty()) {
    return fail(ErrorKind::usage, "no job directory given");
  }
  if (!fs::exists(job_dir, ec)) {
    return {};
  }
  if (!fs::exists(fs::path(job_dir) / k_job_marker, ec)) {
    return fail(ErrorKind::usage, "refusing to remove " + job_dir + ": it is not a pinniped-ci job directory (no " +
                                    k_job_marker + " file)");
  }
  fs::remove_all(job_dir, ec);
  if (ec) {
    return fail(ErrorKind::usage, "could not remove " + job_dir + ": " + ec.message());
  }
  return {};
}

} // namespace pinnipedci
