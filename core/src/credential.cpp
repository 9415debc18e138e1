#include <pinnipedci/credential.hpp>

#include "json/json_util.hpp"

#include <rapidjson/document.h>

#include <cstdio>
#include <ctime>

namespace pinnipedci {

std::string format_rfc3339(std::int64_t unix_seconds)
{
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<std::int64_t> parse_rfc3339(const std::string& text)
{
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail[16] = {0};
  // Seconds precision with "Z"; fractional seconds and numeric offsets are accepted and applied.
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &y, &mo, &d, &h, &mi, &s, tail);
  if (n < 6) {
    return std::nullopt;
  }
  std::string rest = n == 7 ? tail : "";
  if (!rest.empty() && rest[0] == '.') {
    auto end = rest.find_first_not_of("0123456789", 1);
    rest = end == std::string::npos ? "" : rest.substr(end);
  }
  long offset = 0;
  if (rest == "Z" || rest == "z") {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(rest.c_str() + 1, "%2d:%2d", &oh, &om) != 2) {
      return std::nullopt;
    }
    offset = (rest[0] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
  } else {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

Result<ExecInfo> parse_exec_info(const std::string& text)
{
  ExecInfo info;
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return fail(ErrorKind::usage, "KUBERNETES_EXEC_INFO is not valid ExecCredential JSON");
  }
  if (auto v = json::get_string(doc, "apiVersion")) {
    if (*v != k_exec_v1beta1 && *v != k_exec_v1) {
      return fail(ErrorKind::usage, "KUBERNETES_EXEC_INFO has unsupported apiVersion \"" + *v +
                                      "\" (supported: client.authentication.k8s.io/v1beta1 and v1)");
    }
    info.api_version = *v;
  }
  const rapidjson::Value* spec = json::get_object(doc, "spec");
  const rapidjson::Value* cluster = spec ? json::get_object(*spec, "cluster") : nullptr;
  if (cluster == nullptr) {
    return info;
  }
  // Re-encode in Go's v1beta1 Cluster field order, omitting empty fields except "config".
  std::string out = "{";
  bool first = true;
  auto add_string = [&](const char* name) {
    auto v = json::get_string(*cluster, name);
    if (v && !v->empty()) {
      if (!first) {
        out.push_back(',');
      }
      first = false;
      out += "\"" + std::string(name) + "\":";
      json::append_go_string(out, *v);
    }
  };
  auto add_bool = [&](const char* name) {
    const rapidjson::Value* v = json::member(*cluster, name);
    if (v != nullptr && v->IsBool() && v->GetBool()) {
      if (!first) {
        out.push_back(',');
      }
      first = false;
      out += "\"" + std::string(name) + "\":true";
    }
  };
  add_string("server");
  add_string("tls-server-name");
  add_bool("insecure-skip-tls-verify");
  add_string("certificate-authority-data");
  add_string("proxy-url");
  add_bool("disable-compression");
  if (!first) {
    out.push_back(',');
  }
  out += "\"config\":";
  const rapidjson::Value* config = json::member(*cluster, "config");
  out += (config == nullptr || config->IsNull()) ? "null" : json::to_string(*config);
  out += "}";
  info.cluster_json = std::move(out);
  info.server = json::get_string(*cluster, "server").value_or("");
  return info;
}

std::string exec_credential_json(const Credential& c, const std::string& api_version)
{
  std::string out = R"({"kind":"ExecCredential","apiVersion":)";
  json::append_go_string(out, api_version);
  out += R"(,"spec":{"interactive":false},"status":{)";
  bool first = true;
  auto field = [&](const char* name, const std::string& value) {
    if (value.empty()) {
      return;
    }
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out += "\"";
    out += name;
    out += "\":";
    json::append_go_string(out, value);
  };
  if (c.expiration) {
    field("expirationTimestamp", format_rfc3339(*c.expiration));
  }
  field("token", c.token.reveal());
  field("clientCertificateData", c.client_certificate_data.reveal());
  field("clientKeyData", c.client_key_data.reveal());
  out += "}}\n";
  return out;
}

} // namespace pinnipedci
