#include <pinnipedci/encoding.hpp>

#include "crypto/crypto.hpp"

namespace pinnipedci {

std::string base64_encode(std::string_view bytes)
{
  return crypto::base64_encode(bytes);
}

} // namespace pinnipedci
