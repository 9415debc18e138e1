#pragma once

#include <pinnipedci/error.hpp>

#include <string>
#include <vector>

namespace pinnipedci::http {

// Decodes base64 PEM bundle data (--ca-bundle-data, --concierge-ca-bundle-data,
// certificate-authority-data); errors read "invalid CA bundle data: ...".
Result<std::string> decode_ca_bundle(const std::string& base64_pem);

// Merges --ca-bundle files and --ca-bundle-data values into one PEM pool ("" = system roots).
Result<std::string> merge_ca_bundles(const std::vector<std::string>& paths, const std::vector<std::string>& data);

} // namespace pinnipedci::http
