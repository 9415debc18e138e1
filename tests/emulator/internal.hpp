// SPDX-License-Identifier: Apache-2.0
// Private helpers shared by the emulator's translation units: OpenSSL wrappers (certs.cpp),
// JOSE/encoding helpers (jwt_sign.cpp) and small JSON/form utilities (emulator.cpp).
#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinnipedci::testing::detail {

// ---- OpenSSL ownership -------------------------------------------------------------------------
struct PkeyDeleter { void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); } };
struct X509Deleter { void operator()(X509* p) const noexcept { X509_free(p); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// A certificate with its private key.
struct CertAndKey
{
  X509Ptr cert;
  PkeyPtr key;
};

// All throw std::runtime_error (with the OpenSSL error queue) on failure.
PkeyPtr generate_p256_key();
CertAndKey make_ca(const std::string& common_name);
// Server certificate for 127.0.0.1 / localhost, signed by `ca`.
CertAndKey make_server_cert(const CertAndKey& ca);
std::string cert_pem(X509* cert);
std::string pkcs8_pem(EVP_PKEY* key);

struct IssuedClientCert
{
  std::string cert_pem;
  std::string key_pem;       // PKCS#8 "PRIVATE KEY"
  std::int64_t not_after = 0; // unix seconds
};
// ECDSA P-256 client certificate: CN=username, one O per group, EKU clientAuth,
// NotBefore = now - 5 min, NotAfter = now + ttl.
IssuedClientCert issue_client_cert(const CertAndKey& ca, const std::string& username,
                                   const std::vector<std::string>& groups, std::int64_t ttl_seconds);

struct CertIdentity
{
  std::string username;
  std::vector<std::string> groups;
};
// The identity of the TLS peer when it presented a certificate issued by `ca` that is currently
// valid; nullopt otherwise (no certificate, other issuer, bad signature, outside validity).
std::optional<CertIdentity> verify_peer_cert(const SSL* ssl, const CertAndKey& ca);

// ---- encodings and hashes ------------------------------------------------------------------
std::string base64_encode(std::string_view data);
std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);
std::optional<std::string> base64_decode(std::string_view text);
std::string sha256(std::string_view data);
std::string random_bytes(std::size_t n);
std::string random_urlsafe(std::size_t bytes);
std::string uuid4();

// Go url.QueryEscape: unreserved kept, space -> '+', everything else %XX.
std::string query_escape(std::string_view s);
std::string query_unescape(std::string_view s);
// Go url.Values.Encode: keys sorted, "k=v" joined by '&'.
std::string form_encode(std::vector<std::pair<std::string, std::string>> values);
std::multimap<std::string, std::string> parse_form(std::string_view text);
std::string form_get(const std::multimap<std::string, std::string>& form, const std::string& key);

std::string rfc3339(std::int64_t unix_seconds);

// ---- ES256 JWTs -----------------------------------------------------------------------------
std::string es256_sign_jws(EVP_PKEY* key, const std::string& header_json,
                           const std::string& payload_json);
// Verifies the compact JWS signature (alg must be ES256) and returns the parsed payload.
std::optional<rapidjson::Document> es256_verify_jws(EVP_PKEY* key, const std::string& jws);
// {"keys":[{"use":"sig","kty":"EC","kid":...,"crv":"P-256","alg":"ES256","x":...,"y":...}]}
std::string jwks_json(EVP_PKEY* key, const std::string& kid);
// at_hash: base64url of the left half of SHA-256(access_token).
std::string at_hash(std::string_view access_token);

// ---- JSON helpers ---------------------------------------------------------------------------
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
inline void jkey(JsonWriter& w, std::string_view k)
{
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
inline void jstr(JsonWriter& w, std::string_view v)
{
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
inline void jkv(JsonWriter& w, std::string_view k, std::string_view v)
{
  jkey(w, k);
  jstr(w, v);
}
inline void jstrings(JsonWriter& w, const std::vector<std::string>& values)
{
  w.StartArray();
  for (const auto& v : values) {
    jstr(w, v);
  }
  w.EndArray();
}
std::string json_string_member(const rapidjson::Value& obj, const char* name);
std::vector<std::string> json_string_array(const rapidjson::Value& obj, const char* name);

} // namespace pinnipedci::testing::detail
