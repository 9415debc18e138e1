#pragma once

#include <string>
#include <string_view>

namespace pinnipedci {

// Standard padded base64 (RFC 4648 §4), e.g. for the form in which kubeconfigs carry keys.
std::string base64_encode(std::string_view bytes);

} // namespace pinnipedci
