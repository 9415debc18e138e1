// A value that must never be printed: passwords, tokens, authorization codes, refresh tokens,
// private keys. It cannot be streamed or converted implicitly; reading it needs reveal(), which is
// easy to grep for.
#pragma once

#include <iosfwd>
#include <string>
#include <utility>

namespace pinnipedci {

class Secret
{
public:
  Secret() = default;
  explicit Secret(std::string value) : m_value(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret(Secret&& other) noexcept : m_value(std::move(other.m_value)) { other.wipe(); }
  Secret& operator=(const Secret& other)
  {
    if (this != &other) {
      wipe();
      m_value = other.m_value;
    }
    return *this;
  }
  Secret& operator=(Secret&& other) noexcept
  {
    if (this != &other) {
      wipe();
      m_value = std::move(other.m_value);
      other.wipe();
    }
    return *this;
  }
  ~Secret() { wipe(); }

  const std::string& reveal() const noexcept { return m_value; }
  bool empty() const noexcept { return m_value.empty(); }
  std::size_t size() const noexcept { return m_value.size(); }
  bool operator==(const Secret& other) const noexcept; // constant time

private:
  void wipe() noexcept;
  std::string m_value;
};

// Deliberately not defined: streaming a Secret is a compile error.
std::ostream& operator<<(std::ostream&, const Secret&) = delete;

} // namespace pinnipedci
