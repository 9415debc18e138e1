// WhoAmIRequest (pinniped-protocol.md §8): who does the cluster think we are?
#pragma once

#include <pinnipedci/credential.hpp>
#include <pinnipedci/error.hpp>
#include <pinnipedci/kubeconfig.hpp>
#include <pinnipedci/log.hpp>

#include <map>
#include <string>
#include <vector>

namespace pinnipedci {

struct WhoAmIResult
{
  std::string cluster_name;
  std::string cluster_url;
  std::string username;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

// Calls the cluster of `context` with `credential` (client certificate or bearer token).
Result<WhoAmIResult> whoami(const KubeconfigContext& context, const Credential& credential,
                            const std::string& api_group_suffix, LogSink& log);

} // namespace pinnipedci
