#include <pinnipedci/error.hpp>

namespace pinnipedci {

Error::Error(ErrorKind kind, std::string message, std::string detail)
  : m_kind(kind), m_message(std::move(message)), m_detail(std::move(detail))
{
}

Error Error::with_context(std::string_view context) const
{
  std::string message(context);
  message += ": ";
  message += m_message;
  return Error(m_kind, std::move(message), m_detail);
}

int exit_code(ErrorKind kind) noexcept
{
  switch (kind) {
  case ErrorKind::usage: return 2;
  case ErrorKind::auth: return 3;
  case ErrorKind::network: return 4;
  case ErrorKind::remote: return 5;
  case ErrorKind::verification: return 6;
  case ErrorKind::expired: return 7;
  case ErrorKind::internal: return 70;
  }
  return 70;
}

std::string_view to_string(ErrorKind kind) noexcept
{
  switch (kind) {
  case ErrorKind::usage: return "usage";
  case ErrorKind::auth: return "auth";
  case ErrorKind::network: return "network";
  case ErrorKind::remote: return "remote";
  case ErrorKind::verification: return "verification";
  case ErrorKind::expired: return "expired";
  case ErrorKind::internal: return "internal";
  }
  return "internal";
}

} // namespace pinnipedci
