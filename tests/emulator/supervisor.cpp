// SPDX-License-Identifier: Apache-2.0
// The Supervisor FederationDomain: protocol doc section 7 (discovery, IDP discovery, JWKS,
// browserless authorize, token endpoint). Error strings are fosite's description + " " + hint.
#include "emulator_impl.hpp"

#include <algorithm>
#include <array>

namespace pinnipedci::testing {

using namespace detail;

namespace {

constexpr const char* k_desc_invalid_request =
    "The request is missing a required parameter, includes an invalid parameter value, includes a "
    "parameter more than once, or is otherwise malformed.";
constexpr const char* k_desc_invalid_client =
    "Client authentication failed (e.g., unknown client, no client authentication included, or "
    "unsupported authentication method).";
constexpr const char* k_desc_invalid_grant =
    "The provided authorization grant (e.g., authorization code, resource owner credentials) or "
    "refresh token is invalid, expired, revoked, does not match the redirection URI used in the "
    "authorization request, or was issued to another client.";
constexpr const char* k_desc_access_denied = "The resource owner or authorization server denied the request.";
constexpr const char* k_desc_request_unauthorized = "The request could not be authorized.";
constexpr const char* k_token_type_access = "urn:ietf:params:oauth:token-type:access_token";
constexpr const char* k_token_type_jwt = "urn:ietf:params:oauth:token-type:jwt";
constexpr const char* k_grant_exchange = "urn:ietf:params:oauth:grant-type:token-exchange";

// Scopes the Supervisor grants, in its own order (doc 7.4).
constexpr std::array<const char*, 5> k_grantable = {"openid", "offline_access", "pinniped:request-audience",
                                                    "username", "groups"};
constexpr std::array<const char*, 7> k_allowed = {"openid", "offline_access", "profile", "email",
                                                  "pinniped:request-audience", "username", "groups"};

std::string oauth_error_json(const std::string& error, const std::string& description)
{
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  jkv(w, "error", error);
  jkv(w, "error_description", description);
  w.EndObject();
  return buf.GetString();
}

void token_headers(httplib::Response& res)
{
  res.set_header("Cache-Control", "no-store");
  res.set_header("Pragma", "no-cache");
}

void token_error(httplib::Response& res, int status, const std::string& error, const std::string& description)
{
  token_headers(res);
  set_json(res, status, oauth_error_json(error, description), "application/json;charset=UTF-8");
}

bool contains(const std::vector<std::string>& v, const std::string& s)
{
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> split_spaces(const std::string& s)
{
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto j = s.find(' ', i);
    const auto part = s.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (!part.empty()) {
      out.push_back(part);
    }
    if (j == std::string::npos) {
      break;
    }
    i = j + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep)
{
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) {
      out += sep;
    }
    out += s;
  }
  return out;
}

// redirect_uri accepted for pinniped-cli: http://127.0.0.1[:port]/callback (never localhost).
bool valid_redirect_uri(const std::string& uri)
{
  constexpr std::string_view prefix = "http://127.0.0.1";
  constexpr std::string_view suffix = "/callback";
  if (uri.size() < prefix.size() + suffix.size() || uri.compare(0, prefix.size(), prefix) != 0
      || uri.compare(uri.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  const std::string middle = uri.substr(prefix.size(), uri.size() - prefix.size() - suffix.size());
  if (middle.empty()) {
    return true;
  }
  return middle.size() >= 2 && middle.size() <= 6 && middle[0] == ':'
         && std::all_of(middle.begin() + 1, middle.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_pkce_verifier(const std::string& v)
{
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
           || c == '_' || c == '~';
  });
}

std::string subject_for(const UpstreamIdp& idp, const std::string& uid)
{
  if (idp.type == IdpType::oidc) {
    return idp.oidc_upstream_issuer + "?idpName=" + query_escape(idp.name) + "&sub=" + query_escape(uid);
  }
  return "ldaps://" + idp.ldap_host + "?base=" + query_escape(idp.ldap_base_dn) + "&idpName="
         + query_escape(idp.name) + "&sub=" + query_escape(uid);
}

// Registers one handler for every method so that unsupported methods get a proper answer.
void on_any(httplib::Server& server, const std::string& pattern, const httplib::Server::Handler& handler)
{
  server.Get(pattern, handler);
  server.Post(pattern, handler);
  server.Put(pattern, handler);
  server.Patch(pattern, handler);
  server.Delete(pattern, handler);
  server.Options(pattern, handler);
}

std::string new_token(const char* prefix)
{
  // fosite HMAC tokens look like "<key>.<signature>".
  return std::string(prefix) + random_urlsafe(32) + "." + random_urlsafe(32);
}

} // namespace

std::string Emulator::Impl::sign(const std::string& payload_json) const
{
  const bool kid = faults_snapshot().include_kid;
  const std::string header = kid ? std::string(R"({"alg":"ES256","kid":")") + k_jwks_kid + R"(","typ":"JWT"})"
                                 : std::string(R"({"alg":"ES256","typ":"JWT"})");
  return es256_sign_jws(signing_key.get(), header, payload_json);
}

std::string Emulator::Impl::mint_jwt(const Session& session, const std::string& audience, const std::string& nonce,
                                     const std::string& access_token)
{
  const Faults f = faults_snapshot();
  const std::int64_t now = now_seconds();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  // Go marshals the claims map with sorted keys.
  w.StartObject();
  if (!access_token.empty()) {
    jkv(w, "at_hash", at_hash(access_token));
  }
  jkey(w, "aud");
  jstrings(w, {audience});
  jkey(w, "auth_time");
  w.Int64(session.auth_time);
  jkv(w, "azp", k_client_id);
  jkey(w, "exp");
  w.Int64(f.expired_id_token ? now - 60 : now + f.token_ttl_seconds);
  if (contains(session.granted_scopes, "groups")) {
    jkey(w, "groups");
    jstrings(w, session.groups);
  }
  jkey(w, "iat");
  w.Int64(f.expired_id_token ? now - 60 - f.token_ttl_seconds : now);
  jkv(w, "iss", f.wrong_issuer ? issuer() + "-wrong" : issuer());
  jkv(w, "jti", uuid4());
  if (!nonce.empty()) {
    jkv(w, "nonce", nonce);
  }
  jkey(w, "rat");
  w.Int64(session.rat);
  jkv(w, "sub", session.subject);
  if (contains(session.granted_scopes, "username")) {
    jkv(w, "username", session.username);
  }
  w.EndObject();
  std::string jwt = sign(buf.GetString());
  if (f.bad_signature) {
    const auto dot = jwt.rfind('.');
    auto sig = base64url_decode(std::string_view(jwt).substr(dot + 1));
    if (sig && !sig->empty()) {
      (*sig)[sig->size() / 2] = static_cast<char>((*sig)[sig->size() / 2] ^ 0x01);
      jwt = jwt.substr(0, dot + 1) + base64url_encode(*sig);
    }
  }
  return jwt;
}

void Emulator::Impl::install_supervisor(httplib::Server& server)
{
  const std::string base = regex_escape(cfg.issuer_path);

  // ---- 7.1 discovery
  on_any(server, base + "/\\.well-known/openid-configuration", wrap([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET") {
      res.status = 405;
      res.set_content("Method not allowed (try GET)", "text/plain; charset=utf-8");
      return;
    }
    const std::string iss = issuer();
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    jkv(w, "issuer", iss);
    jkv(w, "authorization_endpoint", iss + "/oauth2/authorize");
    jkv(w, "token_endpoint", iss + "/oauth2/token");
    jkv(w, "jwks_uri", iss + "/jwks.json");
    jkey(w, "response_types_supported");
    jstrings(w, {"code"});
    jkey(w, "response_modes_supported");
    jstrings(w, {"query", "form_post"});
    jkey(w, "subject_types_supported");
    jstrings(w, {"public"});
    jkey(w, "id_token_signing_alg_values_supported");
    jstrings(w, {"ES256"});
    jkey(w, "token_endpoint_auth_methods_supported");
    jstrings(w, {"client_secret_basic"});
    jkey(w, "scopes_supported");
    jstrings(w, {"openid", "offline_access", "pinniped:request-audience", "username", "groups"});
    jkey(w, "claims_supported");
    jstrings(w, {"username", "groups", "additionalClaims"});
    jkey(w, "code_challenge_methods_supported");
    jstrings(w, {"S256"});
    jkey(w, "discovery.supervisor.pinniped.dev/v1alpha1");
    w.StartObject();
    jkv(w, "pinniped_identity_providers_endpoint", iss + "/v1alpha1/pinniped_identity_providers");
    w.EndObject();
    w.EndObject();
    set_json(res, 200, buf.GetString());
  }, false));

  // ---- 7.2 IDP discovery
  on_any(server, base + "/v1alpha1/pinniped_identity_providers", wrap([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET") {
      res.status = 405;
      res.set_content("Method not allowed (try GET)", "text/plain; charset=utf-8");
      return;
    }
    std::vector<const UpstreamIdp*> idps;
    for (const auto& idp : cfg.idps) {
      idps.push_back(&idp);
    }
    std::sort(idps.begin(), idps.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    jkey(w, "pinniped_identity_providers");
    w.StartArray();
    for (const auto* idp : idps) {
      w.StartObject();
      jkv(w, "name", idp->name);
      jkv(w, "type", to_string(idp->type));
      jkey(w, "flows");
      if (idp->type != IdpType::oidc) {
        jstrings(w, {"cli_password", "browser_authcode"});
      } else if (idp->allow_password_grant) {
        jstrings(w, {"browser_authcode", "cli_password"});
      } else {
        jstrings(w, {"browser_authcode"});
      }
      w.EndObject();
    }
    w.EndArray();
    jkey(w, "pinniped_supported_identity_provider_types");
    w.StartArray();
    for (const char* type : {"activedirectory", "github", "ldap", "oidc"}) {
      w.StartObject();
      jkv(w, "type", type);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    set_json(res, 200, buf.GetString());
  }, false));

  // ---- JWKS
  server.Get(base + "/jwks\\.json", wrap([this](const httplib::Request&, httplib::Response& res) {
    set_json(res, 200, jwks_json(signing_key.get(), k_jwks_kid));
  }, false));

  // ---- 7.4 authorize (browserless password flow)
  on_any(server, base + "/oauth2/authorize", wrap([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET" && req.method != "POST") {
      res.status = 405;
      res.set_content(req.method + " (try GET or POST)", "text/plain; charset=utf-8");
      return;
    }
    const Faults f = faults_snapshot();
    const auto qpos = req.target.find('?');
    auto params = parse_form(qpos == std::string::npos ? std::string_view{} : std::string_view(req.target).substr(qpos + 1));
    if (req.method == "POST" && req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0) {
      params.merge(parse_form(req.body));
    }
    const bool browserless = req.has_header("Pinniped-Username") || req.has_header("Pinniped-Password");
    const std::string username = req.get_header_value("Pinniped-Username");
    const std::string password = req.get_header_value("Pinniped-Password");
    current_note().user = username;

    if (f.authorize_status != 0) {
      current_note().fault = "authorize_status";
      res.status = f.authorize_status;
      res.set_content("pinniped-emulator: injected authorize failure\n", "text/plain; charset=utf-8");
      return;
    }

    // IDP selection (before any OAuth validation; 400 text/plain, never a redirect).
    const std::string idp_name = form_get(params, "pinniped_idp_name");
    const UpstreamIdp* idp = nullptr;
    std::string idp_error;
    if (idp_name.empty()) {
      if (cfg.idps.size() == 1) {
        idp = &cfg.idps.front();
      } else {
        idp_error = "identity provider not found: this federation domain does not have a default identity provider";
      }
    } else {
      for (const auto& candidate : cfg.idps) {
        if (candidate.name == idp_name) {
          idp = &candidate;
        }
      }
      if (idp == nullptr) {
        idp_error = "did not find IDP with name '" + idp_name + "'";
      }
    }
    if (idp == nullptr) {
      res.status = 400;
      res.set_content(oauth_error_json("invalid_request", std::string(k_desc_invalid_request)
                                                              + " 'pinniped_idp_name' param error: " + idp_error),
                      "text/plain; charset=utf-8");
      return;
    }

    // Client and redirect URI problems are JSON bodies, not redirects.
    if (form_get(params, "client_id") != k_client_id) {
      set_json(res, 401,
               oauth_error_json("invalid_client", std::string(k_desc_invalid_client)
                                                      + " The requested OAuth 2.0 Client does not exist."),
               "application/json;charset=UTF-8");
      return;
    }
    const std::string redirect_uri = form_get(params, "redirect_uri");
    if (!valid_redirect_uri(redirect_uri)) {
      set_json(res, 400,
               oauth_error_json("invalid_request",
                                std::string(k_desc_invalid_request)
                                    + " The 'redirect_uri' parameter does not match any of the OAuth 2.0 Client's "
                                      "pre-registered redirect urls."),
               "application/json;charset=UTF-8");
      return;
    }

    const std::string state = form_get(params, "state");
    const std::string reply_state = f.wrong_state ? "emulator-wrong-state" : state;
    auto redirect_error = [&](const std::string& error, const std::string& description) {
      res.status = 302;
      res.set_header("Location", redirect_uri + "?"
                                     + form_encode({{"error", error}, {"error_description", description},
                                                    {"state", reply_state}}));
      res.set_header("Content-Type", "application/json; charset=utf-8");
    };

    if (form_get(params, "response_type") != "code") {
      return redirect_error("unsupported_response_type",
                            "The authorization server does not support obtaining a token using this method. "
                            "The client is not allowed to request response_type '"
                                + form_get(params, "response_type") + "'.");
    }
    const std::vector<std::string> requested = split_spaces(form_get(params, "scope"));
    for (const auto& scope : requested) {
      if (std::find(k_allowed.begin(), k_allowed.end(), scope) == k_allowed.end()) {
        return redirect_error("invalid_scope", "The requested scope is invalid, unknown, or malformed. The OAuth 2.0 "
                                               "Client is not allowed to request scope '"
                                                   + scope + "'.");
      }
    }
    if (state.size() < 8) {
      return redirect_error("invalid_state",
                            "The state is missing or does not have enough characters and is therefore considered "
                            "too weak. Request parameter 'state' must be at least be 8 characters long to ensure "
                            "sufficient entropy.");
    }
    const std::string nonce = form_get(params, "nonce");
    if (!nonce.empty() && nonce.size() < 8) {
      return redirect_error("invalid_request", std::string(k_desc_invalid_request)
                                                   + " Parameter 'nonce' is set but does not satisfy the minimum "
                                                     "entropy of 8 characters.");
    }
    if (!browserless) {
      res.status = 400;
      res.set_content("pinniped-emulator: only the browserless cli_password flow is emulated\n",
                      "text/plain; charset=utf-8");
      return;
    }
    if (username.empty() || password.empty()) {
      return redirect_error("access_denied",
                            std::string(k_desc_access_denied) + " Missing or blank username or password.");
    }

    // Upstream login.
    if (idp->type == IdpType::oidc && !idp->allow_password_grant) {
      return redirect_error("access_denied", std::string(k_desc_access_denied)
                                                 + " Resource owner password credentials grant is not allowed for "
                                                   "this upstream provider according to its configuration.");
    }
    const EmulatorUser* user = nullptr;
    for (const auto& candidate : cfg.users) {
      if (candidate.username == username && candidate.password == password
          && (candidate.idps.empty() || contains(candidate.idps, idp->name))) {
        user = &candidate;
      }
    }
    if (user == nullptr) {
      if (idp->type == IdpType::oidc) {
        return redirect_error("access_denied",
                              std::string(k_desc_access_denied)
                                  + " Make sure that the request you are making is valid. Maybe the credential or "
                                    "request parameters you are using are limited in scope or otherwise restricted.");
      }
      return redirect_error("access_denied",
                            std::string(k_desc_access_denied) + " Username/password not accepted by LDAP provider.");
    }

    // PKCE (fosite checks it when building the response, i.e. after the login).
    if (form_get(params, "code_challenge").empty()) {
      return redirect_error("invalid_request", std::string(k_desc_invalid_request)
                                                   + " Clients must include a code_challenge when performing the "
                                                     "authorize code flow, but it is missing.");
    }
    if (form_get(params, "code_challenge_method") != "S256") {
      return redirect_error("invalid_request", std::string(k_desc_invalid_request)
                                                   + " Clients must use code_challenge_method=S256, plain is not "
                                                     "allowed.");
    }

    Session session;
    session.subject = subject_for(*idp, user->uid.empty() ? "uid-" + user->username : user->uid);
    session.username = user->claim_username.empty() ? user->username : user->claim_username;
    session.groups = user->groups;
    session.idp_name = idp->name;
    for (const char* scope : k_grantable) {
      const std::string s = scope;
      if (contains(requested, s) || s == "username" || s == "groups") {
        session.granted_scopes.push_back(s);
      }
    }
    session.auth_time = now_seconds();
    session.rat = session.auth_time;

    AuthCode code;
    code.session = session;
    code.redirect_uri = redirect_uri;
    code.code_challenge = form_get(params, "code_challenge");
    code.nonce = f.omit_nonce ? std::string{} : nonce;
    code.expires = now_seconds() + k_code_ttl;
    const std::string code_value = new_token("pin_ac_");
    {
      const std::lock_guard lock(mu);
      codes.emplace(code_value, std::move(code));
    }
    res.status = 302;
    res.set_header("Location", redirect_uri + "?"
                                   + form_encode({{"code", code_value},
                                                  {"scope", join(session.granted_scopes, " ")},
                                                  {"state", reply_state}}));
  }, false));

  // ---- 7.5 token endpoint
  on_any(server, base + "/oauth2/token", wrap([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "POST") {
      return token_error(res, 400, "invalid_request",
                         std::string(k_desc_invalid_request) + " HTTP method is '" + req.method
                             + "', expected 'POST'.");
    }
    const Faults f = faults_snapshot();
    const auto form = parse_form(req.body);

    // Client authentication: Basic with an empty secret, or client_id in the body.
    const std::string authz = req.get_header_value("Authorization");
    std::string client;
    if (authz.rfind("Basic ", 0) == 0) {
      const auto decoded = base64_decode(authz.substr(6));
      const auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (f.reject_basic_auth || colon == std::string::npos || decoded->substr(colon + 1) != "") {
        return token_error(res, 401, "invalid_client", k_desc_invalid_client);
      }
      client = query_unescape(decoded->substr(0, colon));
    } else {
      client = form_get(form, "client_id");
    }
    if (client != k_client_id) {
      return token_error(res, 401, "invalid_client",
                         std::string(k_desc_invalid_client) + " The requested OAuth 2.0 Client does not exist.");
    }

    const std::string grant = form_get(form, "grant_type");
    const std::int64_t now = now_seconds();

    // Issues access (+refresh) tokens for the session and renders the response body.
    auto issue = [&](const Session& session, const std::string& nonce, std::vector<std::string>* issued) {
      const std::string access = new_token("pin_at_");
      std::string refresh;
      {
        const std::lock_guard lock(mu);
        access_tokens[access] = AccessToken{session, now + f.token_ttl_seconds};
        if (contains(session.granted_scopes, "offline_access")) {
          refresh = new_token("pin_rt_");
          refresh_tokens[refresh] = RefreshToken{session, now + k_refresh_ttl, false, false};
        }
      }
      if (issued != nullptr) {
        issued->push_back(access);
        if (!refresh.empty()) {
          issued->push_back(refresh);
        }
      }
      std::vector<std::string> sorted = session.granted_scopes;
      std::sort(sorted.begin(), sorted.end());
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      jkv(w, "access_token", access);
      jkey(w, "expires_in");
      w.Int(std::max(0, f.token_ttl_seconds - 1));
      if (contains(session.granted_scopes, "openid")) {
        jkv(w, "id_token", mint_jwt(session, k_client_id, nonce, access));
      }
      if (!refresh.empty()) {
        jkv(w, "refresh_token", refresh);
      }
      jkv(w, "scope", join(sorted, " "));
      jkv(w, "token_type", "bearer");
      w.EndObject();
      token_headers(res);
      set_json(res, 200, buf.GetString(), "application/json;charset=UTF-8");
    };

    if (grant == "authorization_code") {
      Session session;
      std::string nonce;
      std::vector<std::string> issued;
      {
        const std::lock_guard lock(mu);
        const auto it = codes.find(form_get(form, "code"));
        if (it == codes.end()) {
          return token_error(res, 400, "invalid_grant", k_desc_invalid_grant);
        }
        AuthCode& code = it->second;
        if (code.used) {
          // fosite also revokes what the code produced when it is replayed.
          for (const auto& token : code.issued_tokens) {
            access_tokens.erase(token);
            refresh_tokens.erase(token);
          }
          return token_error(res, 400, "invalid_grant",
                             std::string(k_desc_invalid_grant) + " The authorization code has already been used.");
        }
        if (code.expires < now) {
          return token_error(res, 400, "invalid_grant",
                             std::string(k_desc_invalid_grant) + " The authorization code has expired.");
        }
        if (form_get(form, "redirect_uri") != code.redirect_uri) {
          return token_error(res, 400, "invalid_grant",
                             std::string(k_desc_invalid_grant)
                                 + " The 'redirect_uri' from this request does not match the one from the "
                                   "authorize request.");
        }
        const std::string verifier = form_get(form, "code_verifier");
        if (verifier.size() < 43) {
          return token_error(res, 400, "invalid_grant",
                             std::string(k_desc_invalid_grant)
                                 + " The PKCE code verifier must be at least 43 characters.");
        }
        if (verifier.size() > 128 || !valid_pkce_verifier(verifier)) {
          return token_error(res, 400, "invalid_grant",
                             std::string(k_desc_invalid_grant)
                                 + " The PKCE code verifier must contain only [a-zA-Z0-9-._~] and be at most 128 "
                                   "characters.");
        }
        if (base64url_encode(sha256(verifier)) != code.code_challenge) {
          return token_error(res, 400, "invalid_grant",
                             std::string(k_desc_invalid_grant)
                                 + " The PKCE code challenge did not match the code verifier.");
        }
        code.used = true;
        session = code.session;
        nonce = code.nonce;
      }
      current_note().user = session.username;
      issue(session, nonce, &issued);
      const std::lock_guard lock(mu);
      if (const auto it = codes.find(form_get(form, "code")); it != codes.end()) {
        it->second.issued_tokens = std::move(issued);
      }
      return;
    }

    if (grant == "refresh_token") {
      Session session;
      {
        const std::lock_guard lock(mu);
        const auto it = refresh_tokens.find(form_get(form, "refresh_token"));
        if (it == refresh_tokens.end() || it->second.used || it->second.expires < now) {
          return token_error(res, 400, "invalid_grant",
                             std::string(k_desc_invalid_grant) + " The refresh token is invalid, used or expired.");
        }
        current_note().user = it->second.session.username;
        if (it->second.revoked) {
          return token_error(res, 401, "error", "Error during upstream refresh. Upstream refresh failed.");
        }
        it->second.used = true;
        session = it->second.session;
      }
      current_note().user = session.username;
      return issue(session, {}, nullptr);
    }

    if (grant == k_grant_exchange) {
      auto bad = [&](const std::string& hint) {
        token_error(res, 400, "invalid_request", std::string(k_desc_invalid_request) + " " + hint);
      };
      const std::string audience = form_get(form, "audience");
      const std::string subject_token = form_get(form, "subject_token");
      if (audience.empty()) {
        return bad("Missing 'audience' parameter.");
      }
      if (subject_token.empty()) {
        return bad("Missing 'subject_token' parameter.");
      }
      if (form_get(form, "subject_token_type") != k_token_type_access) {
        return bad(std::string("Unsupported 'subject_token_type' parameter value, must be \"") + k_token_type_access
                   + "\".");
      }
      if (form_get(form, "requested_token_type") != k_token_type_jwt) {
        return bad(std::string("Unsupported 'requested_token_type' parameter value, must be \"") + k_token_type_jwt
                   + "\".");
      }
      for (const char* param : {"resource", "scope", "actor_token", "actor_token_type"}) {
        if (!form_get(form, param).empty()) {
          return bad(std::string("Unsupported parameter \"") + param + "\".");
        }
      }
      if (audience.find(".pinniped.dev") != std::string::npos) {
        return bad("requested audience cannot contain '.pinniped.dev'");
      }
      if (audience == k_client_id) {
        return bad("requested audience cannot equal 'pinniped-cli'");
      }
      Session session;
      {
        const std::lock_guard lock(mu);
        const auto it = access_tokens.find(subject_token);
        if (it == access_tokens.end()) {
          return token_error(res, 401, "request_unauthorized",
                             std::string(k_desc_request_unauthorized) + " Invalid 'subject_token' parameter value.");
        }
        if (it->second.expires < now) {
          return token_error(res, 401, "invalid_token",
                             "Token is inactive because it is malformed, expired or otherwise invalid. Token "
                             "expired. Access token expired at '"
                                 + rfc3339(it->second.expires) + "'.");
        }
        session = it->second.session;
      }
      if (!contains(session.granted_scopes, "pinniped:request-audience")) {
        return token_error(res, 403, "access_denied",
                           std::string(k_desc_access_denied) + " Missing the \"pinniped:request-audience\" scope.");
      }
      if (!contains(session.granted_scopes, "openid")) {
        return token_error(res, 403, "access_denied", std::string(k_desc_access_denied) + " Missing the \"openid\" scope.");
      }
      if (session.username.empty() || !contains(session.granted_scopes, "username")) {
        return token_error(res, 403, "access_denied",
                           std::string(k_desc_access_denied)
                               + " No username found in session. Ensure that the \"username\" scope was requested "
                                 "and granted at the authorization endpoint.");
      }
      current_note().user = session.username;
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      jkv(w, "access_token", mint_jwt(session, audience, {}, {}));
      jkv(w, "issued_token_type", k_token_type_jwt);
      jkv(w, "token_type", "N_A");
      w.EndObject();
      token_headers(res);
      set_json(res, 200, buf.GetString(), "application/json;charset=UTF-8");
      return;
    }

    if (grant.empty()) {
      return token_error(res, 400, "invalid_request",
                         std::string(k_desc_invalid_request) + " Request parameter 'grant_type' is missing");
    }
    token_error(res, 400, "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.");
  }, false));
}

} // namespace pinnipedci::testing
