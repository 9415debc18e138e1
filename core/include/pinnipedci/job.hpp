// Job-scoped login: one login per CI job serves every cluster for the rest of the job.
//
// job_login() authenticates once per distinct Supervisor session (issuer, client, scopes, IDP,
// user), then performs the token exchanges and TokenCredentialRequests for all clusters
// concurrently, and writes a job directory (0700) holding:
//   kubeconfig         one context per cluster; each user runs `pinniped-ci login oidc|static`
//                      as exec plugin pointed at the job's own caches (or, with embed_static, the
//                      current credential itself)
//   sessions.yaml      Supervisor tokens (refresh token), so later kubectl calls need no password
//   credentials.yaml   the current cluster credentials, keyed exactly as the exec plugin looks
//                      them up
#pragma once

#include <pinnipedci/error.hpp>
#include <pinnipedci/login.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pinnipedci {

struct JobCluster
{
  std::string kubeconfig_yaml;
  std::string source;         // file name or "<input N>", for messages
  std::string context;        // "" = current-context
};

struct JobLoginRequest
{
  std::vector<JobCluster> clusters;
  std::string job_dir;        // created 0700 if missing
  std::string binary_path;    // absolute path of pinniped-ci, the exec command of the job kubeconfig
  std::string username;       // PINNIPED_USERNAME; written to the exec env of the job kubeconfig
  bool embed_static = false;  // embed the current credential instead of an exec plugin
  int credential_min_validity = 30;
  int max_parallel = 24;      // worker threads for cluster logins (each keeps its connections)
};

struct JobClusterResult
{
  std::string context;        // context name in the job kubeconfig
  std::string source;
  std::string server;
  std::optional<std::int64_t> expiration;
  Identity identity;
};

struct JobLoginResult
{
  std::string job_dir;
  std::string kubeconfig_path;
  std::vector<JobClusterResult> clusters;   // in input order
  std::optional<std::int64_t> earliest_expiration;
  int password_logins = 0;
  int http_requests = 0;
  int new_connections = 0;
};

// `context.credentials` supplies the username/password for the password logins; the static
// token of `login static` clusters comes from `static_token_lookup` (env var name -> value).
Result<JobLoginResult> job_login(const JobLoginRequest& request, LoginContext& context,
                                 const std::function<std::optional<std::string>(const std::string&)>& static_token_lookup);

// Removes the job directory created by job_login (kubeconfig, caches, locks). Missing directory:
// success. A directory without the job marker is refused (ErrorKind::usage).
Result<void> job_logout(const std::string& job_dir);

// Name of the marker file job_login writes into the job directory.
inline constexpr const char* k_job_marker = ".pinniped-ci-job";

} // namespace pinnipedci
