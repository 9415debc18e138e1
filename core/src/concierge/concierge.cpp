#include "concierge/concierge.hpp"

#include "http/ca_bundle.hpp"
#include "json/json_util.hpp"

#include <rapidjson/document.h>

#include <chrono>

namespace pinnipedci::concierge {
namespace {

const std::string k_default_suffix = "pinniped.dev";

// The message of a Kubernetes Status object, if the body is one.
std::string status_message(const std::string& body)
{
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return {};
  }
  return json::get_string(doc, "message").value_or("");
}

Error http_error(const http::Response& response, const std::string& resource)
{
  std::string message = status_message(response.body);
  if (response.status >= 500 || message.empty()) {
    return Error(response.status >= 500 || response.status == 429 ? ErrorKind::remote : ErrorKind::usage,
                 "an error on the server (\"" + http::one_line(message.empty() ? response.body : message) +
                   "\") has prevented the request from succeeding (post " + resource + "), HTTP " +
                   response.status_line());
  }
  return Error(response.status == 404 ? ErrorKind::usage : ErrorKind::auth,
               message + " (HTTP " + response.status_line() + ")");
}

} // namespace

std::string replace_group_suffix(const std::string& group, const std::string& suffix)
{
  const std::string tail = "." + k_default_suffix;
  if (suffix == k_default_suffix || group.size() < tail.size() ||
      group.compare(group.size() - tail.size(), tail.size(), tail) != 0) {
    return group;
  }
  return group.substr(0, group.size() - k_default_suffix.size()) + suffix;
}

std::string token_credential_request_body(const std::string& token, const ConciergeOptions& options)
{
  std::string type = options.authenticator_type;
  for (char& c : type) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string out = R"({"kind":"TokenCredentialRequest","apiVersion":)";
  json::append_go_string(out, replace_group_suffix("login.concierge.pinniped.dev", options.api_group_suffix) +
                                "/v1alpha1");
  out += R"(,"metadata":{"creationTimestamp":null},"spec":{"token":)";
  json::append_go_string(out, token);
  out += R"(,"authenticator":{"apiGroup":)";
  json::append_go_string(out, replace_group_suffix("authentication.concierge.pinniped.dev", options.api_group_suffix));
  out += R"(,"kind":)";
  out += type == "jwt" ? R"("JWTAuthenticator")" : R"("WebhookAuthenticator")";
  out += R"(,"name":)";
  json::append_go_string(out, options.authenticator_name);
  out += R"(}},"status":{}})";
  return out;
}

Result<Credential> exchange(http::Client& client, const ConciergeOptions& options, const Secret& token)
{
  http::TlsConfig tls;
  if (!options.ca_bundle_data.empty()) {
    auto pem = http::decode_ca_bundle(options.ca_bundle_data);
    if (!pem) {
      return tl::unexpected(pem.error());
    }
    tls.ca_pem = std::move(*pem);
  }
  std::string endpoint = options.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') {
    endpoint.pop_back();
  }
  std::string group = replace_group_suffix("login.concierge.pinniped.dev", options.api_group_suffix);
  http::Request request;
  request.method = "POST";
  request.url = endpoint + "/apis/" + group + "/v1alpha1/tokencredentialrequests";
  request.headers = {{"Content-Type", "application/json", false}, {"Accept", "application/json", false}};
  request.body = token_credential_request_body(token.reveal(), options);
  request.tls = &tls;
  request.timeout = std::chrono::seconds(30);
  PCI_TRY_ASSIGN(http::Response response, http::send_retrying(client, request));
  if (response.status < 200 || response.status > 299) {
    return tl::unexpected(http_error(response, "tokencredentialrequests." + group).with_context("could not login"));
  }
  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return fail(ErrorKind::remote, "could not login: the Concierge returned invalid JSON");
  }
  const rapidjson::Value* status = json::get_object(doc, "status");
  const rapidjson::Value* credential = status ? json::get_object(*status, "credential") : nullptr;
  std::optional<std::string> message = status ? json::get_string(*status, "message") : std::nullopt;
  if (credential == nullptr || message) {
    return fail(ErrorKind::auth, "login failed: " + message.value_or("unknown cause"));
  }
  Credential out;
  if (auto ts = json::get_string(*credential, "expirationTimestamp")) {
    out.expiration = parse_rfc3339(*ts);
    if (!out.expiration) {
      return fail(ErrorKind::remote, "could not login: invalid expirationTimestamp \"" + *ts + "\"");
    }
  }
  out.token = Secret(json::get_string(*credential, "token").value_or(""));
  out.client_certificate_data = Secret(json::get_string(*credential, "clientCertificateData").value_or(""));
  out.client_key_data = Secret(json::get_string(*credential, "clientKeyData").value_or(""));
  if (out.token.empty() && out.client_certificate_data.empty()) {
    return fail(ErrorKind::remote, "login failed: the Concierge returned a credential with neither token nor certificate");
  }
  return out;
}

Result<WhoAmI> whoami(http::Client& client, const std::string& server, const http::TlsConfig& base_tls,
                      const Credential& credential, const std::string& api_group_suffix)
{
  http::TlsConfig tls;
  tls.ca_pem = base_tls.ca_pem;
  std::string base = server;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  std::string group = replace_group_suffix("identity.concierge.pinniped.dev", api_group_suffix);
  http::Request request;
  request.method = "POST";
  request.url = base + "/apis/" + group + "/v1alpha1/whoamirequests";
  request.headers = {{"Content-Type", "application/json", false}, {"Accept", "application/json", false}};
  if (!credential.token.empty()) {
    request.headers.push_back({"Authorization", "Bearer " + credential.token.reveal(), true});
  } else {
    tls.client_certificate_pem = credential.client_certificate_data;
    tls.client_key_pem = credential.client_key_data;
  }
  request.body = R"({"kind":"WhoAmIRequest","apiVersion":")" + group +
                 R"(/v1alpha1","metadata":{"creationTimestamp":null},"spec":{},"status":{"kubernetesUserInfo":{"user":{"username":""}}}})";
  request.body_is_secret = false;
  request.tls = &tls;
  PCI_TRY_ASSIGN(http::Response response, http::send_retrying(client, request));
  if (response.status == 404) {
    return fail(ErrorKind::usage, "could not complete WhoAmIRequest (is the Pinniped WhoAmI API running and healthy?): " +
                                    response.status_line());
  }
  if (response.status < 200 || response.status > 299) {
    return tl::unexpected(http_error(response, "whoamirequests." + group).with_context("could not complete WhoAmIRequest"));
  }
  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  const rapidjson::Value* status = doc.IsObject() ? json::get_object(doc, "status") : nullptr;
  const rapidjson::Value* info = status ? json::get_object(*status, "kubernetesUserInfo") : nullptr;
  const rapidjson::Value* user = info ? json::get_object(*info, "user") : nullptr;
  if (user == nullptr) {
    return fail(ErrorKind::remote, "could not complete WhoAmIRequest: the response has no status.kubernetesUserInfo.user");
  }
  WhoAmI out;
  out.username = json::get_string(*user, "username").value_or("");
  out.uid = json::get_string(*user, "uid").value_or("");
  out.groups = json::get_string_array(*user, "groups");
  if (const rapidjson::Value* extra = json::get_object(*user, "extra")) {
    for (const auto& m : extra->GetObject()) {
      out.extra[m.name.GetString()] = json::get_string_array(*extra, m.name.GetString());
    }
  }
  out.raw_json = response.body;
  return out;
}

} // namespace pinnipedci::concierge
