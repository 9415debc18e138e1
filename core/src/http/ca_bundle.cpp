#include "http/ca_bundle.hpp"

#include "crypto/crypto.hpp"

#include <fstream>
#include <sstream>

namespace pinnipedci::http {
namespace {

bool has_certificate(const std::string& pem)
{
  return pem.find("-----BEGIN CERTIFICATE-----") != std::string::npos;
}

} // namespace

Result<std::string> decode_ca_bundle(const std::string& base64_pem)
{
  auto pem = crypto::base64_decode(base64_pem);
  if (!pem) {
    return fail(ErrorKind::usage, "invalid CA bundle data: illegal base64 data");
  }
  if (!has_certificate(*pem)) {
    return fail(ErrorKind::usage, "invalid CA bundle data: no certificates found");
  }
  return *pem;
}

Result<std::string> merge_ca_bundles(const std::vector<std::string>& paths, const std::vector<std::string>& data)
{
  std::string pool;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return fail(ErrorKind::usage, "could not read --ca-bundle " + path + ": no such file or not readable");
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (!has_certificate(text.str())) {
      return fail(ErrorKind::usage, "--ca-bundle " + path + ": no certificates found");
    }
    pool += text.str();
    pool += "\n";
  }
  for (const auto& item : data) {
    PCI_TRY_ASSIGN(std::string pem, decode_ca_bundle(item));
    pool += pem;
    pool += "\n";
  }
  return pool;
}

} // namespace pinnipedci::http
