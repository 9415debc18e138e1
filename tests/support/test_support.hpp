// Shared helpers for protocol tests: a capturing log, fixed credentials, and login options that
// point at an in-process emulator.
#pragma once

#include <emulator.hpp>

#include <pinnipedci/login.hpp>

#include <string>
#include <vector>

namespace pinnipedci::testing {

class CapturingLog final : public LogSink
{
public:
  bool debug_enabled() const noexcept override { return true; }
  void debug(std::string_view line) override { m_text += "debug: " + std::string(line) + "\n"; }
  void warning(std::string_view line) override { m_text += "warning: " + std::string(line) + "\n"; }
  const std::string& text() const noexcept { return m_text; }

private:
  std::string m_text;
};

class FixedCredentials final : public CredentialSource
{
public:
  FixedCredentials(std::string username, std::string password)
    : m_username(std::move(username)), m_password(std::move(password))
  {
  }
  Result<std::string> username() override
  {
    ++asked;
    if (m_username.empty()) {
      return fail(ErrorKind::usage, "error prompting for username: stdin is not connected to a terminal");
    }
    return m_username;
  }
  Result<Secret> password() override
  {
    ++asked;
    if (m_password.empty()) {
      return fail(ErrorKind::usage, "error prompting for password: stdin is not connected to a terminal");
    }
    return Secret(m_password);
  }
  int asked = 0;

private:
  std::string m_username;
  std::string m_password;
};

std::string base64(const std::string& text);

// login oidc options for the emulator: LDAP IDP "my-ldap", Concierge JWT authenticator with the
// emulator's audience.
OidcLoginOptions oidc_options_for(const Emulator& emulator);

} // namespace pinnipedci::testing
