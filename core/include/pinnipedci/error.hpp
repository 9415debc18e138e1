// The one error type of pinniped-ci and the one table that turns it into an exit code.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace pinnipedci {

// Each kind maps to exactly one exit code (see exit_code()). The table is API: GitLab's
// `allow_failure: exit_codes` and shell users depend on it, so never renumber.
enum class ErrorKind : unsigned char {
  usage,        // bad flags, kubeconfig or inputs                              -> 2
  auth,         // credentials missing or rejected, "authentication failed"      -> 3
  network,      // DNS, connect, TLS handshake, untrusted CA, timeout             -> 4
  remote,       // 5xx after retries, malformed reply, protocol violation         -> 5
  verification, // state, nonce, signature, issuer, audience, expiry              -> 6
  expired,      // job session expired and no credential is left to log in again  -> 7
  internal,     // a bug                                                          -> 70
};

class Error
{
public:
  Error(ErrorKind kind, std::string message, std::string detail = {});

  ErrorKind kind() const noexcept { return m_kind; }
  // One line, safe for any log: never contains a secret.
  const std::string& message() const noexcept { return m_message; }
  // Extra context for --debug (curl error text, status, OpenSSL queue). Never a secret either.
  const std::string& detail() const noexcept { return m_detail; }
  // Prefixes the message: "<context>: <message>".
  Error with_context(std::string_view context) const;

private:
  ErrorKind m_kind;
  std::string m_message;
  std::string m_detail;
};

template<typename T> using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(ErrorKind kind, std::string message, std::string detail = {})
{
  return tl::unexpected<Error>(Error(kind, std::move(message), std::move(detail)));
}

// The only place exit codes are decided.
int exit_code(ErrorKind kind) noexcept;
std::string_view to_string(ErrorKind kind) noexcept;

} // namespace pinnipedci

// Propagates the error of a Result-returning expression, else yields nothing.
#define PCI_TRY(expr)                                                                             \
  do {                                                                                             \
    auto pci_try_result_ = (expr);                                                                 \
    if (!pci_try_result_) {                                                                        \
      return tl::unexpected<::pinnipedci::Error>(std::move(pci_try_result_).error());              \
    }                                                                                              \
  } while (false)

#define PCI_CONCAT_INNER_(a, b) a##b
#define PCI_CONCAT_(a, b) PCI_CONCAT_INNER_(a, b)
// PCI_TRY_ASSIGN(auto x, expr): declares x from the value of expr or propagates its error.
#define PCI_TRY_ASSIGN(decl, expr) PCI_TRY_ASSIGN_IMPL_(PCI_CONCAT_(pci_tmp_, __LINE__), decl, expr)
#define PCI_TRY_ASSIGN_IMPL_(tmp, decl, expr)                                                     \
  auto tmp = (expr);                                                                               \
  if (!tmp) {                                                                                      \
    return tl::unexpected<::pinnipedci::Error>(std::move(tmp).error());                            \
  }                                                                                                \
  decl = std::move(*tmp)
