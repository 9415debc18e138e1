// Username and password for the cli_password flow, from the environment, a file or a terminal.
#pragma once

#include "env.hpp"

#include <pinnipedci/login.hpp>

#include <string>

namespace pinnipedci::cli {

// Username: PINNIPED_USERNAME (empty = unset), else a terminal prompt.
// Password: --password-file, else PINNIPED_PASSWORD (empty = unset), else PINNIPED_PASSWORD_FILE,
// else a terminal prompt (no echo). Without a terminal a missing value is a usage error that names
// the variables, never a hang.
class EnvCredentialSource final : public CredentialSource
{
public:
  EnvCredentialSource(Env& env, std::string password_file) : m_env(env), m_password_file(std::move(password_file)) {}
  Result<std::string> username() override;
  Result<Secret> password() override;

private:
  Env& m_env;
  std::string m_password_file;
};

// Reads a password file: one trailing "\n" or "\r\n" is removed; an empty file is an error.
Result<Secret> read_password_file(const std::string& path);

} // namespace pinnipedci::cli
