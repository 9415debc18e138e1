// SPDX-License-Identifier: Apache-2.0
// The Kubernetes API server stub: Concierge TokenCredentialRequest (doc 4) and WhoAmIRequest (doc 8),
// SelfSubjectReview (what `kubectl auth whoami` calls), /version, minimal /api and /apis.
#include "emulator_impl.hpp"

#include <algorithm>

namespace pinnipedci::testing {

using namespace detail;

namespace {

void unauthorized(httplib::Response& res)
{
  set_json(res, 401, k8s_status_json(401, "Unauthorized", "Unauthorized"));
}

std::vector<std::string> with_authenticated(std::vector<std::string> groups)
{
  if (std::find(groups.begin(), groups.end(), "system:authenticated") == groups.end()) {
    groups.emplace_back("system:authenticated");
  }
  return groups;
}

} // namespace

std::optional<Identity> Emulator::Impl::verify_supervisor_jwt(const std::string& token,
                                                              const std::vector<std::string>& audiences) const
{
  const auto claims = es256_verify_jws(signing_key.get(), token);
  if (!claims) {
    return std::nullopt;
  }
  if (json_string_member(*claims, "iss") != issuer()) {
    return std::nullopt;
  }
  const auto aud = json_string_array(*claims, "aud");
  const bool aud_ok = std::any_of(aud.begin(), aud.end(), [&](const std::string& a) {
    return std::find(audiences.begin(), audiences.end(), a) != audiences.end();
  });
  const auto exp = claims->FindMember("exp");
  if (!aud_ok || exp == claims->MemberEnd() || !exp->value.IsNumber() || exp->value.GetDouble() <= static_cast<double>(now_seconds())) {
    return std::nullopt;
  }
  Identity id;
  id.username = json_string_member(*claims, "username");
  id.groups = json_string_array(*claims, "groups");
  id.method = "bearer";
  if (id.username.empty()) {
    return std::nullopt;
  }
  return id;
}

std::optional<Identity> Emulator::Impl::authenticate(const httplib::Request& req, int cluster) const
{
  if (auto cert = verify_peer_cert(req.ssl, client_ca)) {
    return Identity{cert->username, cert->groups, "cert"};
  }
  const std::string authz = req.get_header_value("Authorization");
  if (authz.rfind("Bearer ", 0) != 0) {
    return std::nullopt;
  }
  const std::string token = authz.substr(7);
  for (const auto& st : cfg.static_tokens) {
    if (!st.token.empty() && st.token == token) {
      return Identity{st.username, st.groups, "static"};
    }
  }
  return verify_supervisor_jwt(token, {k_client_id, cluster_audience(cluster)});
}

void Emulator::Impl::install_api(httplib::Server& server)
{
  const std::string suffix = regex_escape(cfg.api_group_suffix);
  // Every route is served at the root (cluster 0) and under /clusters/<i> (virtual cluster i): one
  // server, routing by prefix. The group is non-capturing so req.matches keep their indices.
  const std::string p = cfg.clusters > 1 ? "(?:/clusters/[1-9][0-9]{0,8})?" : "";
  // Resolves the cluster; an index outside 1..clusters-1 is an unknown path (404) like any other.
  auto route = [this](ClusterHandler handler) {
    return wrap([this, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
      std::string_view rest;
      const int cluster = cluster_of(req.path, &rest);
      if (rest.size() != req.path.size() || req.path.rfind("/clusters/", 0) != 0) {
        return handler(req, res, cluster);
      }
      set_json(res, 404, k8s_status_json(404, "NotFound", "the server could not find the requested resource"));
    }, true);
  };

  server.Get(p + "/version", route([this](const httplib::Request& req, httplib::Response& res, int cluster) {
    if (const auto id = authenticate(req, cluster)) {
      current_note().user = id->username; // anonymous access is fine too
    }
    set_json(res, 200,
             R"({"major":"1","minor":"32","gitVersion":"v1.32.0-pinniped-emulator",)"
             R"("gitCommit":"0000000000000000000000000000000000000000","gitTreeState":"clean",)"
             R"("buildDate":"2025-01-01T00:00:00Z","goVersion":"go1.23.4","compiler":"gc","platform":"linux/amd64"})");
  }));

  server.Get(p + "/api", route([this](const httplib::Request& req, httplib::Response& res, int cluster) {
    const auto id = authenticate(req, cluster);
    if (!id) {
      return unauthorized(res);
    }
    current_note().user = id->username;
    set_json(res, 200,
             R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:)"
                 + std::to_string(api_port) + R"("}]})");
  }));

  server.Get(p + "/apis", route([this](const httplib::Request& req, httplib::Response& res, int cluster) {
    const auto id = authenticate(req, cluster);
    if (!id) {
      return unauthorized(res);
    }
    current_note().user = id->username;
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    jkv(w, "kind", "APIGroupList");
    jkv(w, "apiVersion", "v1");
    jkey(w, "groups");
    w.StartArray();
    auto group = [&](const std::string& name, const std::vector<std::string>& versions) {
      w.StartObject();
      jkv(w, "name", name);
      jkey(w, "versions");
      w.StartArray();
      for (const auto& v : versions) {
        w.StartObject();
        jkv(w, "groupVersion", name + "/" + v);
        jkv(w, "version", v);
        w.EndObject();
      }
      w.EndArray();
      jkey(w, "preferredVersion");
      w.StartObject();
      jkv(w, "groupVersion", name + "/" + versions.front());
      jkv(w, "version", versions.front());
      w.EndObject();
      w.EndObject();
    };
    group("authentication.k8s.io", {"v1", "v1beta1", "v1alpha1"});
    group("login.concierge." + cfg.api_group_suffix, {"v1alpha1"});
    group("identity.concierge." + cfg.api_group_suffix, {"v1alpha1"});
    w.EndArray();
    w.EndObject();
    set_json(res, 200, buf.GetString());
  }));

  server.Post(p + "/apis/authentication\\.k8s\\.io/(v1|v1beta1|v1alpha1)/selfsubjectreviews",
              route([this](const httplib::Request& req, httplib::Response& res, int cluster) {
    const auto id = authenticate(req, cluster);
    if (!id) {
      return unauthorized(res);
    }
    current_note().user = id->username;
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    jkv(w, "kind", "SelfSubjectReview");
    jkv(w, "apiVersion", "authentication.k8s.io/" + std::string(req.matches[1]));
    jkey(w, "metadata");
    w.StartObject();
    jkey(w, "creationTimestamp");
    w.Null();
    w.EndObject();
    jkey(w, "status");
    w.StartObject();
    jkey(w, "userInfo");
    w.StartObject();
    jkv(w, "username", id->username);
    jkey(w, "groups");
    jstrings(w, with_authenticated(id->groups));
    w.EndObject();
    w.EndObject();
    w.EndObject();
    set_json(res, 201, buf.GetString());
  }));

  server.Post(p + "/apis/identity\\.concierge\\." + suffix + "/v1alpha1/whoamirequests",
              route([this](const httplib::Request& req, httplib::Response& res, int cluster) {
    const auto id = authenticate(req, cluster);
    if (!id) {
      return unauthorized(res);
    }
    current_note().user = id->username;
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    jkv(w, "kind", "WhoAmIRequest");
    jkv(w, "apiVersion", "identity.concierge." + cfg.api_group_suffix + "/v1alpha1");
    jkey(w, "metadata");
    w.StartObject();
    jkey(w, "creationTimestamp");
    w.Null();
    w.EndObject();
    jkey(w, "spec");
    w.StartObject();
    w.EndObject();
    jkey(w, "status");
    w.StartObject();
    jkey(w, "kubernetesUserInfo");
    w.StartObject();
    jkey(w, "user");
    w.StartObject();
    jkv(w, "username", id->username);
    jkey(w, "groups");
    jstrings(w, with_authenticated(id->groups));
    w.EndObject();
    w.EndObject();
    w.EndObject();
    w.EndObject();
    set_json(res, 201, buf.GetString());
  }));

  server.Post(p + "/apis/login\\.concierge\\." + suffix + "/v1alpha1/namespaces/([^/]+)/tokencredentialrequests",
              route([](const httplib::Request& req, httplib::Response& res, int) {
    set_json(res, 400, k8s_status_json(400, "BadRequest",
                                       "namespace is not allowed on TokenCredentialRequest: " + std::string(req.matches[1])));
  }));

  server.Post(p + "/apis/login\\.concierge\\." + suffix + "/v1alpha1/tokencredentialrequests",
              route([this](const httplib::Request& req, httplib::Response& res, int cluster) {
    const std::string api_version = "login.concierge." + cfg.api_group_suffix + "/v1alpha1";
    rapidjson::Document body;
    body.Parse(req.body.c_str(), req.body.size());
    if (body.HasParseError() || !body.IsObject()) {
      return set_json(res, 400, k8s_status_json(400, "BadRequest", "the request body is not a valid TokenCredentialRequest"));
    }
    const auto spec_it = body.FindMember("spec");
    const rapidjson::Value empty_object(rapidjson::kObjectType);
    const rapidjson::Value& spec = spec_it != body.MemberEnd() && spec_it->value.IsObject() ? spec_it->value : empty_object;
    const std::string token = json_string_member(spec, "token");
    if (token.empty()) {
      return set_json(res, 422,
                      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"TokenCredentialRequest.)"
                          + api_version.substr(0, api_version.find('/'))
                          + R"( \"\" is invalid: spec.token.value: Required value: token must be supplied","reason":"Invalid","details":{"group":")"
                          + api_version.substr(0, api_version.find('/'))
                          + R"(","kind":"TokenCredentialRequest","causes":[{"reason":"FieldValueRequired","message":"Required value: token must be supplied","field":"spec.token.value"}]},"code":422})");
    }
    const auto auth_it = spec.FindMember("authenticator");
    const rapidjson::Value& authn =
        auth_it != spec.MemberEnd() && auth_it->value.IsObject() ? auth_it->value : empty_object;
    const std::string group = json_string_member(authn, "apiGroup");
    const std::string kind = json_string_member(authn, "kind");
    const std::string name = json_string_member(authn, "name");

    std::optional<Identity> id;
    if (!faults_snapshot().tcr_auth_failed && group == "authentication.concierge." + cfg.api_group_suffix) {
      if (kind == "JWTAuthenticator" && name == cfg.jwt_authenticator_name) {
        id = verify_supervisor_jwt(token, {cluster_audience(cluster)});
      } else if (kind == "WebhookAuthenticator" && name == cfg.webhook_authenticator_name) {
        for (const auto& st : cfg.static_tokens) {
          if (st.token == token) {
            id = Identity{st.username, st.groups, "static"};
          }
        }
      }
    }

    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    jkv(w, "kind", "TokenCredentialRequest");
    jkv(w, "apiVersion", api_version);
    jkey(w, "metadata");
    w.StartObject();
    jkey(w, "creationTimestamp");
    w.Null();
    w.EndObject();
    jkey(w, "spec");
    w.StartObject();
    w.EndObject();
    jkey(w, "status");
    w.StartObject();
    if (id) {
      current_note().user = id->username;
      const auto issued = issue_client_cert(client_ca, id->username, id->groups, faults_snapshot().cert_ttl_seconds);
      jkey(w, "credential");
      w.StartObject();
      jkv(w, "expirationTimestamp", rfc3339(issued.not_after));
      jkv(w, "clientCertificateData", issued.cert_pem);
      jkv(w, "clientKeyData", issued.key_pem);
      w.EndObject();
    } else {
      jkv(w, "message", "authentication failed");
    }
    w.EndObject();
    w.EndObject();
    set_json(res, 201, buf.GetString());
  }));

  // Everything else: a Kubernetes-style 404.
  on_any_not_found(server);
}

void Emulator::Impl::on_any_not_found(httplib::Server& server)
{
  const auto handler = wrap([](const httplib::Request&, httplib::Response& res) {
    set_json(res, 404, k8s_status_json(404, "NotFound", "the server could not find the requested resource"));
  }, true);
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Patch(".*", handler);
  server.Delete(".*", handler);
  server.Options(".*", handler);
}

} // namespace pinnipedci::testing
