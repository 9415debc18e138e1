#include <pinnipedci/secret.hpp>

#include <openssl/crypto.h>

namespace pinnipedci {

bool Secret::operator==(const Secret& other) const noexcept
{
  if (m_value.size() != other.m_value.size()) {
    return false;
  }
  return m_value.empty() || CRYPTO_memcmp(m_value.data(), other.m_value.data(), m_value.size()) == 0;
}

void Secret::wipe() noexcept
{
  if (!m_value.empty()) {
    OPENSSL_cleanse(m_value.data(), m_value.size());
  }
  m_value.clear();
}

} // namespace pinnipedci
