#include "cli/credentials.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pinnipedci::cli {
namespace {

std::string trim(const std::string& s)
{
  auto start = s.find_first_not_of(" \t\r\n");
  auto end = s.find_last_not_of(" \t\r\n");
  return start == std::string::npos ? std::string() : s.substr(start, end - start + 1);
}

} // namespace

Result<Secret> read_password_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorKind::usage, "could not read the password file " + path + ": " + std::strerror(errno) +
                                    "; check PINNIPED_PASSWORD_FILE / --password-file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string value = text.str();
  if (!value.empty() && value.back() == '\n') {
    value.pop_back();
    if (!value.empty() && value.back() == '\r') {
      value.pop_back();
    }
  }
  Secret secret(std::move(value));
  if (secret.empty()) {
    return fail(ErrorKind::usage, "the password file " + path + " is empty");
  }
  return secret;
}

Result<std::string> EnvCredentialSource::username()
{
  if (auto v = m_env.non_empty("PINNIPED_USERNAME")) {
    return *v;
  }
  if (m_env.stdin_is_tty && m_env.prompt) {
    if (auto line = m_env.prompt("Username: ", true)) {
      return trim(*line);
    }
  }
  return fail(ErrorKind::usage, "error prompting for username: stdin is not connected to a terminal; set "
                                "PINNIPED_USERNAME for non-interactive logins");
}

Result<Secret> EnvCredentialSource::password()
{
  if (!m_password_file.empty()) {
    return read_password_file(m_password_file);
  }
  if (auto v = m_env.non_empty("PINNIPED_PASSWORD")) {
    return Secret(std::move(*v));
  }
  if (auto file = m_env.non_empty("PINNIPED_PASSWORD_FILE")) {
    return read_password_file(*file);
  }
  if (m_env.stdin_is_tty && m_env.prompt) {
    if (auto line = m_env.prompt("Password: ", false)) {
      return Secret(std::move(*line));
    }
  }
  return fail(ErrorKind::usage, "error prompting for password: stdin is not connected to a terminal; set "
                                "PINNIPED_PASSWORD or PINNIPED_PASSWORD_FILE for non-interactive logins");
}

} // namespace pinnipedci::cli
