#include "job_output.hpp"

#include <pinnipedci/credential.hpp>
#include <pinnipedci/json.hpp>

namespace pinnipedci {
namespace {

std::string string_array(const std::vector<std::string>& items)
{
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i ? "," : "") + json_quote(items[i]);
  }
  return out + "]";
}

} // namespace

std::vector<std::string> job_contexts(const JobLoginResult& result)
{
  std::vector<std::string> names;
  for (const auto& c : result.clusters) {
    names.push_back(c.context);
  }
  return names;
}

Identity job_identity(const JobLoginResult& result)
{
  for (const auto& c : result.clusters) {
    if (!c.identity.username.empty()) {
      return c.identity;
    }
  }
  return {};
}

std::string job_expiration(const JobLoginResult& result)
{
  return result.earliest_expiration ? format_rfc3339(*result.earliest_expiration) : std::string();
}

std::string job_summary_json(const JobLoginResult& result)
{
  Identity who = job_identity(result);
  std::string out = "{\"job_dir\":" + json_quote(result.job_dir) + ",\"kubeconfig\":" + json_quote(result.kubeconfig_path) +
                    ",\"contexts\":[";
  for (std::size_t i = 0; i < result.clusters.size(); ++i) {
    const auto& c = result.clusters[i];
    out += (i ? "," : "");
    out += "{\"name\":" + json_quote(c.context) + ",\"server\":" + json_quote(c.server) +
           ",\"source\":" + json_quote(c.source) + ",\"expiration\":" +
           (c.expiration ? json_quote(format_rfc3339(*c.expiration)) : std::string("null")) +
           ",\"username\":" + json_quote(c.identity.username) + ",\"groups\":" + string_array(c.identity.groups) + "}";
  }
  out += "],\"expiration\":" + (result.earliest_expiration ? json_quote(job_expiration(result)) : std::string("null"));
  out += ",\"username\":" + json_quote(who.username) + ",\"groups\":" + string_array(who.groups);
  out += ",\"password_logins\":" + std::to_string(result.password_logins);
  out += ",\"http_requests\":" + std::to_string(result.http_requests);
  out += ",\"new_connections\":" + std::to_string(result.new_connections) + "}\n";
  return out;
}

} // namespace pinnipedci
