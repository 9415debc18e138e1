// `pinniped-ci login oidc|static`: the kubectl exec plugin, with Pinniped-compatible caches.
#pragma once

#include "env.hpp"

#include <pinnipedci/log.hpp>
#include <pinnipedci/login.hpp>
#include <pinnipedci/options.hpp>

#include <string>
#include <vector>

namespace pinnipedci::cli {

// args starts with "login". Prints one ExecCredential on success; returns the exit code.
int run_exec_plugin(const std::vector<std::string>& args, Env& env);

// Logs in without caches (whoami, tests).
Result<LoginOutcome> perform_login(const ParsedLogin& parsed, Env& env, LogSink& log);

// Pinniped's default cache paths: $XDG_CONFIG_HOME/pinniped/<file> or $HOME/.config/pinniped/<file>.
std::string default_cache_path(const Env& env, const std::string& file);

} // namespace pinnipedci::cli
