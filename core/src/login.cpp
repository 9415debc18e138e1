// Orchestrates `login oidc` and `login static` (pinniped-protocol.md §2, §4).
#include <pinnipedci/login.hpp>

#include "concierge/concierge.hpp"
#include "crypto/crypto.hpp"
#include "http/ca_bundle.hpp"
#include "oidc/supervisor.hpp"

#include <algorithm>
#include <chrono>

namespace pinnipedci {
namespace {

const char* const k_login_prefix = "could not complete Pinniped login";
const char* const k_concierge_prefix = "could not complete Concierge credential exchange";

bool contains(const std::vector<std::string>& items, const std::string& value)
{
  return std::find(items.begin(), items.end(), value) != items.end();
}

std::string quoted_list(std::vector<std::string> items)
{
  std::sort(items.begin(), items.end());
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i ? ", " : "") + ("\"" + items[i] + "\"");
  }
  return out + "]";
}

struct FlowChoice
{
  std::string flow;        // always "cli_password" when this returns successfully
  std::string idp_name;
  std::string idp_type;
};

// §2.6, with one deliberate difference: pinniped-ci never opens a browser, so when no flow is given
// it uses cli_password (Pinniped would pick the browser flow or the IDP's first listed flow).
Result<FlowChoice> choose_flow(oidc::Supervisor& supervisor, const OidcLoginOptions& options,
                               const std::string& requested_flow)
{
  const std::string browser_hint =
    "pinniped-ci logs in without a browser: use --upstream-identity-provider-flow=cli_password (or set "
    "PINNIPED_UPSTREAM_IDENTITY_PROVIDER_FLOW=cli_password)";
  if (requested_flow == "browser_authcode") {
    return fail(ErrorKind::usage, "the browser_authcode flow needs a browser; " + browser_hint);
  }
  FlowChoice choice{"cli_password", options.upstream_idp_name, options.upstream_idp_type};
  if (options.upstream_idp_name.empty()) {
    return choice;
  }
  const std::string& name = options.upstream_idp_name;
  const std::string& type = options.upstream_idp_type;
  if (supervisor.provider().idp_discovery_endpoint.empty()) {
    return fail(ErrorKind::usage, "upstream identity provider name \"" + name +
                                    "\" was specified, but OIDC issuer \"" + supervisor.provider().issuer +
                                    "\" does not offer Pinniped-style IDP discovery, so it does not appear to be a "
                                    "Pinniped Supervisor; specifying an upstream identity provider name is only meant "
                                    "to be used with Pinniped Supervisors");
  }
  if (requested_flow == "cli_password") {
    // Everything is explicit (what `pinniped get kubeconfig --upstream-identity-provider-flow=
    // cli_password` writes): skip IDP discovery, one round trip less. The Supervisor still checks
    // the name and answers an unknown one with a 400 whose description we show.
    return choice;
  }
  PCI_TRY_ASSIGN(oidc::IdpDiscovery idps, supervisor.discover_idps());
  if (!idps.supported_types.empty() && !contains(idps.supported_types, type)) {
    return fail(ErrorKind::usage, "unable to find upstream identity provider with type \"" + type +
                                    "\", this Pinniped Supervisor supports IDP types " +
                                    quoted_list(idps.supported_types));
  }
  const oidc::UpstreamIdp* found = nullptr;
  for (const auto& idp : idps.providers) {
    if (idp.name == name && idp.type == type && (requested_flow.empty() || contains(idp.flows, requested_flow))) {
      found = &idp;
      break;
    }
  }
  if (found == nullptr) {
    std::string message = "unable to find upstream identity provider with name \"" + name + "\" and type \"" + type + "\"";
    if (!requested_flow.empty()) {
      message += " and flow \"" + requested_flow + "\"";
    }
    return fail(ErrorKind::usage, message + ". Found these providers: " + idps.raw_providers_json);
  }
  if (found->flows.empty()) {
    return fail(ErrorKind::usage, "unable to infer flow for upstream identity provider with name \"" + name +
                                    "\" and type \"" + type +
                                    "\" because there were no flows discovered for that provider");
  }
  if (!contains(found->flows, "cli_password")) {
    return fail(ErrorKind::usage, "upstream identity provider \"" + name + "\" of type \"" + type +
                                    "\" does not offer the cli_password flow; a CI login needs an LDAP or Active "
                                    "Directory provider, or an OIDC provider with allowPasswordGrant: true");
  }
  return choice;
}

Result<TokenSet> password_login(oidc::Supervisor& supervisor, const OidcLoginOptions& options,
                                const std::vector<std::string>& scopes, const std::string& requested_flow,
                                LoginContext& ctx, bool* credentials_missing)
{
  PCI_TRY_ASSIGN(FlowChoice choice, choose_flow(supervisor, options, requested_flow));
  if (!choice.idp_name.empty() && ctx.notice) {
    ctx.notice("\nLog in to " + choice.idp_name + "\n\n");
  }
  *credentials_missing = true;
  PCI_TRY_ASSIGN(std::string username, ctx.credentials->username());
  PCI_TRY_ASSIGN(Secret password, ctx.credentials->password());
  *credentials_missing = false;
  if (ctx.on_secret) {
    ctx.on_secret(password);
  }

  oidc::AuthorizeParams params;
  params.client_id = options.client_id;
  params.scopes = scopes;
  params.redirect_uri = "http://127.0.0.1:" + std::to_string(options.listen_port) + "/callback";
  PCI_TRY_ASSIGN(params.state, ctx.random_hex(16));
  PCI_TRY_ASSIGN(params.nonce, ctx.random_hex(16));
  PCI_TRY_ASSIGN(std::string verifier, ctx.random_hex(32));
  params.code_challenge = crypto::pkce_challenge_s256(verifier);
  params.idp_name = choice.idp_name;
  params.idp_type = choice.idp_type;
  PCI_TRY_ASSIGN(Secret code, supervisor.authorize_password(params, username, password));
  return supervisor.redeem_code(code, verifier, params.redirect_uri, params.nonce, ctx.now());
}

Identity identity_of(const jose::Jwt& jwt)
{
  Identity id;
  id.username = jwt.username.value_or("");
  id.groups = jwt.groups;
  id.subject = jwt.sub;
  return id;
}

} // namespace

void complete_defaults(LoginContext& context)
{
  if (!context.now) {
    context.now = [] {
      return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    };
  }
  if (!context.random_hex) {
    context.random_hex = [](std::size_t n) { return crypto::random_hex(n); };
  }
}

struct ConnectionPool::Impl
{
  Impl(LogSink& log, std::string user_agent) : client(log, std::move(user_agent)) {}
  http::Client client;
};

ConnectionPool::ConnectionPool(LogSink& log, std::string user_agent)
  : m_impl(std::make_unique<Impl>(log, std::move(user_agent)))
{
}

ConnectionPool::~ConnectionPool() = default;

std::pair<int, int> ConnectionPool::http_stats() const
{
  return {m_impl->client.stats().requests, m_impl->client.stats().new_connections};
}

struct OidcLogin::Impl
{
  Impl(const OidcLoginOptions& o, LoginContext& c, http::Client* external)
    : options(o), ctx(c), client(external != nullptr ? *external : owned.emplace(*c.log, c.user_agent))
  {
  }

  // Flow, Concierge parameters, scopes and CA pool; done once.
  Result<void> prepare()
  {
    if (supervisor) {
      return {};
    }
    flow = options.upstream_idp_flow;
    std::string flow_source = "--upstream-identity-provider-flow";
    if (ctx.flow_override) {
      flow = *ctx.flow_override;
      flow_source = "PINNIPED_UPSTREAM_IDENTITY_PROVIDER_FLOW";
    }
    if (!flow.empty() && flow != "cli_password" && flow != "browser_authcode") {
      return fail(ErrorKind::usage, std::string(k_login_prefix) + ": WithLoginFlow error: loginFlow '" + flow +
                                      "' from '" + flow_source + "' must be 'cli_password' or 'browser_authcode'");
    }
    PCI_TRY(validate_concierge(options.concierge));
    scopes = options.scopes;
    std::sort(scopes.begin(), scopes.end());
    http::TlsConfig tls;
    auto pool = http::merge_ca_bundles(options.ca_bundle_paths, options.ca_bundle_data);
    if (!pool) {
      return tl::unexpected(pool.error().with_context(k_login_prefix));
    }
    tls.ca_pem = std::move(*pool);
    supervisor.emplace(client, *ctx.log, std::move(tls), options.issuer, options.client_id);
    return {};
  }

  Result<void> discover()
  {
    if (auto d = supervisor->discover(); !d) {
      return tl::unexpected(d.error().with_context(k_login_prefix));
    }
    return {};
  }

  void reveal_to_masker(const TokenSet& tokens) const
  {
    if (ctx.on_secret) {
      ctx.on_secret(tokens.access_token);
      ctx.on_secret(tokens.id_token);
      if (!tokens.refresh_token.empty()) {
        ctx.on_secret(tokens.refresh_token);
      }
    }
  }

  const OidcLoginOptions& options;
  LoginContext& ctx;
  std::optional<http::Client> owned;
  http::Client& client;
  std::optional<oidc::Supervisor> supervisor;
  std::string flow;
  std::vector<std::string> scopes;
};

OidcLogin::OidcLogin(const OidcLoginOptions& options, LoginContext& context)
{
  complete_defaults(context);
  m_impl = std::make_unique<Impl>(options, context, nullptr);
}

OidcLogin::OidcLogin(const OidcLoginOptions& options, LoginContext& context, ConnectionPool& connections)
{
  complete_defaults(context);
  m_impl = std::make_unique<Impl>(options, context, &connections.m_impl->client);
}

OidcLogin::~OidcLogin() = default;

void OidcLogin::share_discovery(const OidcLogin& other)
{
  if (m_impl->prepare() && other.m_impl->supervisor) {
    m_impl->supervisor->adopt_discovery(*other.m_impl->supervisor);
  }
}

std::pair<int, int> OidcLogin::http_stats() const
{
  return {m_impl->client.stats().requests, m_impl->client.stats().new_connections};
}

Result<OidcLogin::Tokens> OidcLogin::supervisor_tokens(const std::optional<TokenSet>& cached)
{
  Impl& m = *m_impl;
  PCI_TRY(m.prepare());
  LogSink& log = *m.ctx.log;
  const OidcLoginOptions& options = m.options;
  auto login_error = [](const Error& e) { return tl::unexpected(e.with_context(k_login_prefix)); };
  PCI_DEBUG(log, "Performing OIDC login issuer=" + options.issuer + " client id=" + options.client_id);

  const std::int64_t now = m.ctx.now();
  Tokens out;
  bool refresh_failed = false;
  if (cached) {
    bool usable = !options.request_audience.empty()
                    ? (!cached->access_token.empty() && cached->access_token_expiry > now + 10)
                    : (!cached->id_token.empty() && cached->id_token_expiry > now + 600);
    if (usable) {
      PCI_DEBUG(log, "Found unexpired cached Supervisor tokens");
      out.tokens = *cached;
      return out;
    }
    if (!cached->refresh_token.empty()) {
      PCI_TRY(m.discover());
      PCI_DEBUG(log, "Refreshing cached Supervisor tokens");
      auto refreshed = m.supervisor->refresh(cached->refresh_token, now);
      if (refreshed) {
        m.reveal_to_masker(*refreshed);
        out.tokens = std::move(*refreshed);
        out.refreshed = true;
        return out;
      }
      if (refreshed.error().kind() == ErrorKind::verification) {
        return login_error(refreshed.error());
      }
      PCI_DEBUG(log, "Pinniped: Refresh failed. " + refreshed.error().message());
      refresh_failed = true;
    }
  }
  PCI_TRY(m.discover());
  bool credentials_missing = false;
  auto fresh = password_login(*m.supervisor, options, m.scopes, m.flow, m.ctx, &credentials_missing);
  if (!fresh) {
    if (refresh_failed && credentials_missing) {
      return fail(ErrorKind::expired, "the job session expired (the refresh token was rejected) and no password is "
                                      "available to log in again; re-run the login step with the credentials");
    }
    return login_error(fresh.error());
  }
  m.reveal_to_masker(*fresh);
  out.tokens = std::move(*fresh);
  out.used_password = true;
  return out;
}

Result<LoginOutcome> OidcLogin::cluster_credential(const TokenSet& tokens)
{
  Impl& m = *m_impl;
  PCI_TRY(m.prepare());
  const OidcLoginOptions& options = m.options;
  LoginOutcome outcome;
  Secret credential_token = tokens.id_token;
  std::int64_t credential_expiry = tokens.id_token_expiry;
  if (!options.request_audience.empty()) {
    PCI_TRY(m.discover());
    auto exchanged = m.supervisor->exchange(tokens.access_token, options.request_audience, m.ctx.now());
    if (!exchanged) {
      return tl::unexpected(exchanged.error().with_context(k_login_prefix));
    }
    credential_token = std::move(exchanged->first);
    credential_expiry = exchanged->second.exp.value_or(0);
    outcome.identity = identity_of(exchanged->second);
    if (m.ctx.on_secret) {
      m.ctx.on_secret(credential_token);
    }
  } else if (auto claims = jose::decode_unverified(tokens.id_token.reveal())) {
    outcome.identity = identity_of(*claims);
  }
  if (options.concierge.enabled) {
    auto credential = concierge::exchange(m.client, options.concierge, credential_token);
    if (!credential) {
      return tl::unexpected(credential.error().with_context(k_concierge_prefix));
    }
    outcome.credential = std::move(*credential);
    if (m.ctx.on_secret) {
      m.ctx.on_secret(outcome.credential.client_key_data);
      if (!outcome.credential.token.empty()) {
        m.ctx.on_secret(outcome.credential.token);
      }
    }
  } else {
    outcome.credential.token = credential_token;
    outcome.credential.expiration = credential_expiry;
  }
  PCI_DEBUG(*m.ctx.log, "HTTP requests: " + std::to_string(m.client.stats().requests) +
                          ", new connections: " + std::to_string(m.client.stats().new_connections));
  outcome.tokens = tokens;
  return outcome;
}

Result<LoginOutcome> login_oidc(const OidcLoginOptions& options, LoginContext& ctx, const std::optional<TokenSet>& cached)
{
  OidcLogin login(options, ctx);
  PCI_TRY_ASSIGN(OidcLogin::Tokens tokens, login.supervisor_tokens(cached));
  PCI_TRY_ASSIGN(LoginOutcome outcome, login.cluster_credential(tokens.tokens));
  outcome.used_password = tokens.used_password;
  return outcome;
}

Result<LoginOutcome> login_static(const StaticLoginOptions& options, const Secret& token, LoginContext& ctx)
{
  complete_defaults(ctx);
  ConnectionPool connections(*ctx.log, ctx.user_agent);
  return login_static_on(options, token, ctx, connections);
}

Result<LoginOutcome> login_static_on(const StaticLoginOptions& options, const Secret& token, LoginContext& ctx,
                                     ConnectionPool& connections)
{
  complete_defaults(ctx);
  if (auto valid = validate_concierge(options.concierge); !valid) {
    return tl::unexpected(valid.error());
  }
  LoginOutcome outcome;
  if (!options.concierge.enabled) {
    outcome.credential.token = token;
    return outcome;
  }
  auto credential = concierge::exchange(connections.m_impl->client, options.concierge, token);
  if (!credential) {
    return tl::unexpected(credential.error().with_context(k_concierge_prefix));
  }
  outcome.credential = std::move(*credential);
  if (ctx.on_secret) {
    ctx.on_secret(outcome.credential.client_key_data);
  }
  return outcome;
}

} // namespace pinnipedci
