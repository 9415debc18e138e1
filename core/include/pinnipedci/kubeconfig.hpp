// Reading kubeconfigs, in particular those written by `pinniped get kubeconfig`.
#pragma once

#include <pinnipedci/error.hpp>
#include <pinnipedci/options.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pinnipedci {

struct ExecPluginConfig
{
  std::string api_version;
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool provide_cluster_info = false;
  std::string interactive_mode;
};

struct ClusterConfig
{
  std::string name;
  std::string server;
  std::string certificate_authority_data;   // base64, as in the file
  std::string tls_server_name;
  bool insecure_skip_tls_verify = false;
  std::string proxy_url;
  bool disable_compression = false;
  std::string exec_extension_json = "null"; // extensions[client.authentication.k8s.io/exec], as JSON
};

struct KubeconfigContext
{
  std::string source;                       // file name or "<inline>", for messages
  std::string name;
  std::string user_name;
  ClusterConfig cluster;
  std::optional<ExecPluginConfig> exec;
};

// Selects `context` (or current-context when empty) from kubeconfig YAML text. `source` names the
// input in error messages. Errors are ErrorKind::usage and name the source, context and problem.
Result<KubeconfigContext> read_kubeconfig_context(const std::string& yaml_text, const std::string& source,
                                                  const std::string& context = {});

// All context names in the kubeconfig, in file order.
Result<std::vector<std::string>> list_kubeconfig_contexts(const std::string& yaml_text,
                                                          const std::string& source);

// Splits kubeconfig data given inline: one or more YAML documents ("---" separated), or the same
// base64-encoded. Errors (ErrorKind::usage) name `source`.
Result<std::vector<std::string>> split_kubeconfig_data(const std::string& data, const std::string& source);

// A context whose user runs `<anything> login oidc|static ...`, parsed into typed options.
struct PinnipedContext
{
  KubeconfigContext context;
  ParsedLogin login;
};
Result<PinnipedContext> read_pinniped_context(const std::string& yaml_text, const std::string& source,
                                              const std::string& context = {});

} // namespace pinnipedci
