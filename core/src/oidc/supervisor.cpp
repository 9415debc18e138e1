#include "oidc/supervisor.hpp"

#include "crypto/crypto.hpp"
#include "json/json_util.hpp"

#include <rapidjson/document.h>

#include <algorithm>

namespace pinnipedci::oidc {
namespace {

std::string scheme_of(const std::string& url)
{
  auto colon = url.find("://");
  return colon == std::string::npos ? std::string() : url.substr(0, colon);
}

std::string join(const std::vector<std::string>& items, const std::string& sep)
{
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i ? sep : "") + items[i];
  }
  return out;
}

// Splits "a=b&c=d" into decoded pairs.
std::vector<std::pair<std::string, std::string>> parse_query(const std::string& query)
{
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    auto amp = query.find('&', start);
    std::string part = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!part.empty()) {
      auto eq = part.find('=');
      out.emplace_back(http::form_unescape(part.substr(0, eq)),
                       eq == std::string::npos ? std::string() : http::form_unescape(part.substr(eq + 1)));
    }
    if (amp == std::string::npos) {
      break;
    }
    start = amp + 1;
  }
  return out;
}

std::string query_value(const std::vector<std::pair<std::string, std::string>>& q, const std::string& key)
{
  for (const auto& [k, v] : q) {
    if (k == key) {
      return v;
    }
  }
  return {};
}

std::string media_type(const std::string& content_type)
{
  std::string t = content_type.substr(0, content_type.find(';'));
  t.erase(t.find_last_not_of(" \t") + 1);
  t.erase(0, t.find_first_not_of(" \t"));
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return t;
}

ErrorKind kind_for_oauth_error(const std::string& error, long status)
{
  if (status >= 500) {
    return ErrorKind::remote;
  }
  if (error == "access_denied" || error == "invalid_grant" || error == "request_unauthorized") {
    return ErrorKind::auth;
  }
  if (error == "invalid_client" || error == "invalid_request" || error == "invalid_scope" ||
      error == "unauthorized_client" || error == "unsupported_response_type" || error == "unsupported_grant_type") {
    return ErrorKind::usage;
  }
  return ErrorKind::remote;
}

// Error from a token-endpoint reply in golang.org/x/oauth2 wording (kept on one line).
Error oauth2_error(const http::Response& response)
{
  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    if (auto error = json::get_string(doc, "error"); error && !error->empty()) {
      std::string description = json::get_string(doc, "error_description").value_or("");
      return Error(kind_for_oauth_error(*error, response.status),
                   "oauth2: \"" + *error + "\" \"" + description + "\"");
    }
  }
  return Error(response.status >= 500 ? ErrorKind::remote : ErrorKind::auth,
               "oauth2: cannot fetch token: " + response.status_line() + "; response: " + http::one_line(response.body));
}

} // namespace

std::string build_authorize_url(const std::string& endpoint, const AuthorizeParams& p)
{
  std::vector<std::pair<std::string, std::string>> params = {
    {"access_type", "offline"},
    {"client_id", p.client_id},
    {"code_challenge", p.code_challenge},
    {"code_challenge_method", "S256"},
    {"nonce", p.nonce},
    {"redirect_uri", p.redirect_uri},
    {"response_type", "code"},
    {"scope", join(p.scopes, " ")},
    {"state", p.state},
  };
  if (!p.idp_name.empty()) {
    params.emplace_back("pinniped_idp_name", p.idp_name);
    params.emplace_back("pinniped_idp_type", p.idp_type);
  }
  std::sort(params.begin(), params.end());
  std::string url = endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&");
  for (std::size_t i = 0; i < params.size(); ++i) {
    url += (i ? "&" : "") + http::form_escape(params[i].first) + "=" + http::form_escape(params[i].second);
  }
  return url;
}

Result<Secret> parse_authorize_redirect(const std::string& location, const std::string& expected_redirect_uri,
                                        const std::string& expected_state)
{
  auto wrong_location = [&] {
    return fail(ErrorKind::remote, "error getting authorization: redirected to the wrong location: " + location);
  };
  // expected_redirect_uri is http://127.0.0.1:<port>/callback; compare scheme, host:port and path.
  auto query_start = location.find('?');
  std::string base = location.substr(0, query_start);
  auto fragment = base.find('#');
  if (fragment != std::string::npos) {
    base.resize(fragment);
  }
  if (base != expected_redirect_uri) {
    return wrong_location();
  }
  std::string query = query_start == std::string::npos ? "" : location.substr(query_start + 1);
  if (auto hash = query.find('#'); hash != std::string::npos) {
    query.resize(hash);
  }
  auto q = parse_query(query);
  if (!crypto::constant_time_equal(query_value(q, "state"), expected_state)) {
    return fail(ErrorKind::verification, "missing or invalid state parameter in authorization response: " +
                                           http::redact_url(location));
  }
  std::string code = query_value(q, "code");
  if (code.empty()) {
    std::string error = query_value(q, "error");
    std::string description = query_value(q, "error_description");
    std::string message = "login failed with code \"" + error + "\"";
    if (!description.empty()) {
      message += ": " + description;
    }
    return fail(kind_for_oauth_error(error, 0), message);
  }
  return Secret(std::move(code));
}

Supervisor::Supervisor(http::Client& client, LogSink& log, http::TlsConfig tls, std::string issuer,
                       std::string client_id)
  : m_client(client), m_log(log), m_tls(std::move(tls)), m_issuer(std::move(issuer)), m_client_id(std::move(client_id))
{
}

Result<http::Response> Supervisor::get_with_retries(const std::string& url, std::vector<http::Header> headers)
{
  http::Request request;
  request.url = url;
  request.headers = std::move(headers);
  request.tls = &m_tls;
  return http::send_retrying(m_client, request);
}

void Supervisor::adopt_discovery(const Supervisor& other)
{
  if (other.m_issuer != m_issuer || !other.m_discovered) {
    return;
  }
  m_provider = other.m_provider;
  m_discovered = true;
  if (other.m_jwks) {
    m_jwks = other.m_jwks;
  }
}

Result<void> Supervisor::discover()
{
  if (m_discovered) {
    return {};
  }
  if (std::string scheme = scheme_of(m_issuer); scheme != "https") {
    return fail(ErrorKind::usage, "issuer must be an https URL, but had scheme \"" + scheme + "\" instead");
  }
  std::string base = m_issuer;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  PCI_DEBUG(m_log, "Performing OIDC discovery for issuer " + m_issuer);
  auto response = get_with_retries(base + "/.well-known/openid-configuration", {});
  if (!response) {
    return tl::unexpected(response.error().with_context("could not perform OIDC discovery for \"" + m_issuer + "\""));
  }
  if (response->status != 200) {
    return fail(response->status >= 500 || response->status == 429 ? ErrorKind::remote : ErrorKind::usage,
                "could not perform OIDC discovery for \"" + m_issuer + "\": " + response->status_line() + ": " +
                  http::one_line(response->body) + " (check --issuer)");
  }
  rapidjson::Document doc;
  doc.Parse(response->body.c_str(), response->body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return fail(ErrorKind::remote, "could not perform OIDC discovery for \"" + m_issuer +
                                     "\": the discovery document is not a JSON object");
  }
  Provider p;
  p.issuer = json::get_string(doc, "issuer").value_or("");
  if (p.issuer != m_issuer) {
    return fail(ErrorKind::verification, "oidc: issuer did not match the issuer returned by provider, expected \"" +
                                           m_issuer + "\" got \"" + p.issuer + "\"");
  }
  p.authorization_endpoint = json::get_string(doc, "authorization_endpoint").value_or("");
  p.token_endpoint = json::get_string(doc, "token_endpoint").value_or("");
  p.jwks_uri = json::get_string(doc, "jwks_uri").value_or("");
  p.userinfo_endpoint = json::get_string(doc, "userinfo_endpoint").value_or("");
  p.signing_algs = json::get_string_array(doc, "id_token_signing_alg_values_supported");
  p.scopes_supported = json::get_string_array(doc, "scopes_supported");
  if (const auto* ext = json::get_object(doc, "discovery.supervisor.pinniped.dev/v1alpha1")) {
    p.idp_discovery_endpoint = json::get_string(*ext, "pinniped_identity_providers_endpoint").value_or("");
  }
  if (scheme_of(p.authorization_endpoint) != "https") {
    return fail(ErrorKind::remote, "discovered authorize URL from issuer must be an https URL, but had scheme \"" +
                                     scheme_of(p.authorization_endpoint) + "\" instead");
  }
  if (scheme_of(p.token_endpoint) != "https") {
    return fail(ErrorKind::remote, "discovered token URL from issuer must be an https URL, but had scheme \"" +
                                     scheme_of(p.token_endpoint) + "\" instead");
  }
  m_provider = std::move(p);
  m_discovered = true;
  return {};
}

Result<IdpDiscovery> Supervisor::discover_idps()
{
  const std::string& endpoint = m_provider.idp_discovery_endpoint;
  if (endpoint.rfind(m_issuer, 0) != 0) {
    return fail(ErrorKind::remote, "the Pinniped IDP discovery document must always be hosted by the issuer: \"" +
                                     m_issuer + "\"");
  }
  auto response = get_with_retries(endpoint, {});
  if (!response) {
    return tl::unexpected(response.error().with_context("unable to fetch IDP discovery data from issuer"));
  }
  if (response->status != 200) {
    return fail(ErrorKind::remote, "unable to fetch IDP discovery data from issuer: unexpected http response status: " +
                                     response->status_line());
  }
  rapidjson::Document doc;
  doc.Parse(response->body.c_str(), response->body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return fail(ErrorKind::remote,
                "unable to fetch the Pinniped IDP discovery document: could not parse response JSON");
  }
  IdpDiscovery out;
  const rapidjson::Value* list = json::member(doc, "pinniped_identity_providers");
  if (list != nullptr && list->IsArray()) {
    out.raw_providers_json = json::to_string(*list);
    for (const auto& item : list->GetArray()) {
      UpstreamIdp idp;
      idp.name = json::get_string(item, "name").value_or("");
      idp.type = json::get_string(item, "type").value_or("");
      idp.flows = json::get_string_array(item, "flows");
      out.providers.push_back(std::move(idp));
    }
  } else {
    out.raw_providers_json = "[]";
  }
  const rapidjson::Value* types = json::member(doc, "pinniped_supported_identity_provider_types");
  if (types != nullptr && types->IsArray()) {
    for (const auto& item : types->GetArray()) {
      if (auto t = json::get_string(item, "type")) {
        out.supported_types.push_back(*t);
      }
    }
  }
  return out;
}

Result<Secret> Supervisor::authorize_password(const AuthorizeParams& params, const std::string& username,
                                              const Secret& password)
{
  auto has_control = [](const std::string& s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  };
  if (has_control(username)) {
    return fail(ErrorKind::usage, "the username contains a control character (CR, LF, ...); fix PINNIPED_USERNAME");
  }
  if (has_control(password.reveal())) {
    return fail(ErrorKind::usage,
                "the password contains a control character (CR, LF, ...); remove the trailing newline from the "
                "password source");
  }
  std::string url = build_authorize_url(m_provider.authorization_endpoint, params);
  PCI_DEBUG(m_log, "Performing cli_password authorize request for user " + username);
  auto response = get_with_retries(url, {{"Pinniped-Username", username, false},
                                         {"Pinniped-Password", password.reveal(), true}});
  if (!response) {
    return tl::unexpected(response.error().with_context("error getting authorization"));
  }
  auto location = response->header("location");
  bool redirect = response->status >= 300 && response->status < 400 && location;
  if (!redirect) {
    std::string message =
      "error getting authorization: expected to be redirected, but response status was " + response->status_line();
    rapidjson::Document doc;
    doc.Parse(response->body.c_str(), response->body.size());
    ErrorKind kind = response->status >= 500 || response->status == 429 ? ErrorKind::remote : ErrorKind::usage;
    if (!doc.HasParseError() && doc.IsObject()) {
      if (auto description = json::get_string(doc, "error_description")) {
        message += " (server said: " + http::one_line(*description) + ")";
      }
    }
    return tl::unexpected(Error(kind, message));
  }
  return parse_authorize_redirect(*location, params.redirect_uri, params.state);
}

Result<http::Response> Supervisor::token_request(const std::string& form_body, bool* used_basic)
{
  auto send = [&](bool basic) {
    http::Request request;
    request.method = "POST";
    request.url = m_provider.token_endpoint;
    request.tls = &m_tls;
    request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded", false});
    if (basic) {
      request.headers.push_back(
        {"Authorization", "Basic " + crypto::base64_encode(http::form_escape(m_client_id) + ":"), false});
      request.body = form_body;
    } else {
      // client_id sorts before every other parameter we send.
      request.body = "client_id=" + http::form_escape(m_client_id) + "&" + form_body;
    }
    return m_client.send(request);
  };
  auto ok = [](const Result<http::Response>& r) {
    if (!r || r->status < 200 || r->status > 299) {
      return false;
    }
    rapidjson::Document doc;
    doc.Parse(r->body.c_str(), r->body.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      return true; // let the parser report it
    }
    return !doc.HasMember("error") && json::get_string(doc, "access_token").value_or("") != "";
  };
  if (m_basic_auth_works.value_or(true)) {
    auto first = send(true);
    if (ok(first) || m_basic_auth_works.has_value()) {
      m_basic_auth_works = ok(first) ? std::optional<bool>(true) : m_basic_auth_works;
      *used_basic = true;
      return first;
    }
    PCI_DEBUG(m_log, "token request with HTTP Basic client authentication failed; retrying with client_id in the body");
  }
  auto second = send(false);
  if (ok(second)) {
    m_basic_auth_works = false;
  }
  *used_basic = false;
  return second;
}

Result<const jose::Jwks*> Supervisor::jwks()
{
  if (!m_jwks) {
    auto response = get_with_retries(m_provider.jwks_uri, {});
    if (!response) {
      return tl::unexpected(response.error().with_context("failed to fetch the issuer's JWKS"));
    }
    if (response->status != 200) {
      return fail(ErrorKind::remote, "failed to fetch the issuer's JWKS: " + response->status_line());
    }
    PCI_TRY_ASSIGN(auto keys, jose::Jwks::parse(response->body));
    m_jwks = std::move(keys);
  }
  return &*m_jwks;
}

Result<jose::Jwt> Supervisor::verify(const std::string& token, const std::string& audience,
                                     const std::optional<std::string>& nonce,
                                     const std::optional<std::string>& access_token, std::int64_t now)
{
  PCI_TRY_ASSIGN(const jose::Jwks* keys, jwks());
  jose::VerifyOptions options;
  options.issuer = m_issuer;
  options.audience = audience;
  options.allowed_algs = m_provider.signing_algs;
  options.expected_nonce = nonce;
  options.access_token = access_token;
  options.now = now;
  return jose::verify(token, *keys, options);
}

Result<TokenSet> Supervisor::parse_token_response(const http::Response& response,
                                                  const std::optional<std::string>& nonce, std::int64_t now,
                                                  const Secret* previous_refresh)
{
  if (response.status < 200 || response.status > 299) {
    return tl::unexpected(oauth2_error(response));
  }
  std::string type = media_type(response.header("content-type").value_or(""));
  std::string access_token, token_type, refresh_token, id_token;
  std::int64_t expires_in = 0;
  if (type == "application/x-www-form-urlencoded" || type == "text/plain") {
    auto q = parse_query(response.body);
    access_token = query_value(q, "access_token");
    token_type = query_value(q, "token_type");
    refresh_token = query_value(q, "refresh_token");
    id_token = query_value(q, "id_token");
    expires_in = std::atoll(query_value(q, "expires_in").c_str());
    if (std::string e = query_value(q, "error"); !e.empty()) {
      return tl::unexpected(Error(kind_for_oauth_error(e, response.status),
                                  "oauth2: \"" + e + "\" \"" + query_value(q, "error_description") + "\""));
    }
  } else {
    rapidjson::Document doc;
    doc.Parse(response.body.c_str(), response.body.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      return fail(ErrorKind::remote, "oauth2: cannot parse json: the token endpoint returned invalid JSON");
    }
    if (auto e = json::get_string(doc, "error"); e && !e->empty()) {
      return tl::unexpected(oauth2_error(response));
    }
    access_token = json::get_string(doc, "access_token").value_or("");
    token_type = json::get_string(doc, "token_type").value_or("");
    refresh_token = json::get_string(doc, "refresh_token").value_or("");
    id_token = json::get_string(doc, "id_token").value_or("");
    if (const rapidjson::Value* v = json::member(doc, "expires_in"); v != nullptr && v->IsNumber()) {
      expires_in = v->IsInt64() ? v->GetInt64() : static_cast<std::int64_t>(v->GetDouble());
    }
  }
  if (access_token.empty()) {
    return fail(ErrorKind::remote, "oauth2: server response missing access_token");
  }
  if (id_token.empty()) {
    return fail(ErrorKind::remote, "received response missing ID token");
  }
  auto verified = verify(id_token, m_client_id, nonce, access_token, now);
  if (!verified) {
    const std::string& message = verified.error().message();
    if (message.rfind("invalid nonce", 0) == 0) {
      return fail(ErrorKind::verification, "received ID token with invalid nonce: " + message);
    }
    return fail(verified.error().kind(), "received invalid ID token: " + message);
  }
  if (!m_provider.userinfo_endpoint.empty()) {
    auto info = get_with_retries(m_provider.userinfo_endpoint, {{"Authorization", "Bearer " + access_token, true}});
    if (!info) {
      return tl::unexpected(info.error().with_context("could not fetch user info claims"));
    }
    if (info->status == 200) {
      rapidjson::Document doc;
      doc.Parse(info->body.c_str(), info->body.size());
      std::string sub = doc.IsObject() ? json::get_string(doc, "sub").value_or("") : "";
      if (sub != verified->sub) {
        return fail(ErrorKind::verification, "userinfo 'sub' claim (" + sub + ") did not match id_token 'sub' claim (" +
                                               verified->sub + ")");
      }
    }
  }
  TokenSet tokens;
  tokens.access_token = Secret(std::move(access_token));
  tokens.access_token_type = token_type.empty() ? "bearer" : token_type;
  tokens.access_token_expiry = expires_in > 0 ? now + expires_in : 0;
  tokens.id_token = Secret(std::move(id_token));
  tokens.id_token_expiry = verified->exp.value_or(0);
  tokens.id_token_claims_json = verified->payload_json;
  if (!refresh_token.empty()) {
    tokens.refresh_token = Secret(std::move(refresh_token));
  } else if (previous_refresh != nullptr) {
    tokens.refresh_token = *previous_refresh;
  }
  return tokens;
}

Result<TokenSet> Supervisor::redeem_code(const Secret& code, const std::string& verifier,
                                         const std::string& redirect_uri, const std::string& nonce, std::int64_t now)
{
  std::string body = "code=" + http::form_escape(code.reveal()) + "&code_verifier=" + http::form_escape(verifier) +
                     "&grant_type=authorization_code&redirect_uri=" + http::form_escape(redirect_uri);
  bool basic = false;
  auto response = token_request(body, &basic);
  if (!response) {
    return tl::unexpected(response.error().with_context("could not complete authorization code exchange"));
  }
  auto tokens = parse_token_response(*response, nonce, now, nullptr);
  if (!tokens) {
    return tl::unexpected(tokens.error().with_context("could not complete authorization code exchange"));
  }
  return tokens;
}

Result<TokenSet> Supervisor::refresh(const Secret& refresh_token, std::int64_t now)
{
  std::string body = "grant_type=refresh_token&refresh_token=" + http::form_escape(refresh_token.reveal());
  bool basic = false;
  auto response = token_request(body, &basic);
  if (!response) {
    return tl::unexpected(response.error().with_context("refresh failed"));
  }
  if (response->status < 200 || response->status > 299) {
    return tl::unexpected(oauth2_error(*response).with_context("refresh failed"));
  }
  return parse_token_response(*response, std::nullopt, now, &refresh_token);
}

Result<std::pair<Secret, jose::Jwt>> Supervisor::exchange(const Secret& access_token, const std::string& audience,
                                                          std::int64_t now)
{
  auto failed = [](ErrorKind kind, const std::string& why) {
    return fail(kind, "failed to exchange token: " + why);
  };
  http::Request request;
  request.method = "POST";
  request.url = m_provider.token_endpoint;
  request.tls = &m_tls;
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded", false});
  request.body = "audience=" + http::form_escape(audience) + "&client_id=" + http::form_escape(m_client_id) +
                 "&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
                 "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt"
                 "&subject_token=" +
                 http::form_escape(access_token.reveal()) +
                 "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token";
  auto response = m_client.send(request);
  if (!response) {
    return tl::unexpected(response.error().with_context("failed to exchange token"));
  }
  if (response->status != 200) {
    std::string message = "unexpected HTTP response status " + std::to_string(response->status);
    rapidjson::Document doc;
    doc.Parse(response->body.c_str(), response->body.size());
    ErrorKind kind = response->status >= 500 ? ErrorKind::remote : ErrorKind::auth;
    if (!doc.HasParseError() && doc.IsObject()) {
      if (auto d = json::get_string(doc, "error_description")) {
        message += " (server said: " + http::one_line(*d) + ")";
      }
      if (auto e = json::get_string(doc, "error"); e && response->status < 500) {
        kind = kind_for_oauth_error(*e, response->status);
      }
    }
    return failed(kind, message);
  }
  std::string content_type = response->header("content-type").value_or("");
  if (media_type(content_type) != "application/json") {
    return failed(ErrorKind::remote, "unexpected HTTP response content type \"" + content_type + "\"");
  }
  rapidjson::Document doc;
  doc.Parse(response->body.c_str(), response->body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return failed(ErrorKind::remote, "failed to decode response: unexpected EOF");
  }
  std::string token_type = json::get_string(doc, "token_type").value_or("");
  if (token_type != "N_A") {
    return failed(ErrorKind::remote, "got unexpected token_type \"" + token_type + "\"");
  }
  std::string issued = json::get_string(doc, "issued_token_type").value_or("");
  if (issued != "urn:ietf:params:oauth:token-type:jwt") {
    return failed(ErrorKind::remote, "got unexpected issued_token_type \"" + issued + "\"");
  }
  std::string jwt = json::get_string(doc, "access_token").value_or("");
  auto verified = verify(jwt, audience, std::nullopt, std::nullopt, now);
  if (!verified) {
    return failed(verified.error().kind(), "received invalid JWT: " + verified.error().message());
  }
  return std::make_pair(Secret(std::move(jwt)), std::move(*verified));
}

} // namespace pinnipedci::oidc
