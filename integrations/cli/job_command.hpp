// `pinniped-ci login` (job level) and `pinniped-ci logout`.
#pragma once

#include "env.hpp"

#include <string>
#include <vector>

namespace pinnipedci::cli {

// args: everything after "login" (which is not followed by oidc|static).
int run_job_login(const std::vector<std::string>& args, Env& env);
// args: everything after "logout".
int run_job_logout(const std::vector<std::string>& args, Env& env);

// The absolute path of the running executable (the exec command of job kubeconfigs).
std::string self_executable_path();

} // namespace pinnipedci::cli
