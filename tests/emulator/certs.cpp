// SPDX-License-Identifier: Apache-2.0
// Throwaway CAs and certificates, generated in memory at start-up (nothing on disk can expire).
#include "internal.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace pinnipedci::testing::detail {

namespace {

struct BioDeleter { void operator()(BIO* p) const noexcept { BIO_free(p); } };
struct PkeyCtxDeleter { void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); } };
struct BnDeleter { void operator()(BIGNUM* p) const noexcept { BN_free(p); } };
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

[[noreturn]] void fail(const std::string& what)
{
  std::string detail;
  while (const unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    detail += std::string(detail.empty() ? ": " : "; ") + buf;
  }
  throw std::runtime_error("pinniped-emulator: " + what + detail);
}

void check(int ok, const char* what)
{
  if (ok <= 0) {
    fail(what);
  }
}

std::string bio_to_string(BIO* bio)
{
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value)
{
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) {
    fail("X509V3_EXT_conf_nid");
  }
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(ok, "X509_add_ext");
}

// A new certificate shell: v3, random positive 127-bit serial, validity [now+from, now+to].
X509Ptr new_cert(EVP_PKEY* subject_key, long from_seconds, long to_seconds)
{
  X509Ptr cert(X509_new());
  if (!cert) {
    fail("X509_new");
  }
  check(X509_set_version(cert.get(), 2), "X509_set_version");
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial), "RAND_bytes");
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, BnDeleter> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    fail("serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_seconds) == nullptr
      || X509_gmtime_adj(X509_getm_notAfter(cert.get()), to_seconds) == nullptr) {
    fail("X509_gmtime_adj");
  }
  check(X509_set_pubkey(cert.get(), subject_key), "X509_set_pubkey");
  return cert;
}

void set_cn(X509_NAME* name, const std::string& cn)
{
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0),
        "X509_NAME_add_entry_by_txt(CN)");
}

std::optional<std::string> name_entry(const X509_NAME_ENTRY* entry)
{
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    return std::nullopt;
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

} // namespace

PkeyPtr generate_p256_key()
{
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  if (!ctx) {
    fail("EVP_PKEY_CTX_new_id");
  }
  check(EVP_PKEY_keygen_init(ctx.get()), "EVP_PKEY_keygen_init");
  check(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1), "set curve");
  EVP_PKEY* raw = nullptr;
  check(EVP_PKEY_keygen(ctx.get(), &raw), "EVP_PKEY_keygen");
  return PkeyPtr(raw);
}

CertAndKey make_ca(const std::string& common_name)
{
  CertAndKey ca;
  ca.key = generate_p256_key();
  ca.cert = new_cert(ca.key.get(), -3600, 10L * 365 * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(ca.cert.get());
  set_cn(name, common_name);
  check(X509_set_issuer_name(ca.cert.get(), name), "X509_set_issuer_name");
  add_ext(ca.cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(ca.cert.get(), ca.cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  add_ext(ca.cert.get(), ca.cert.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(ca.cert.get(), ca.key.get(), EVP_sha256()), "X509_sign(CA)");
  return ca;
}

CertAndKey make_server_cert(const CertAndKey& ca)
{
  CertAndKey leaf;
  leaf.key = generate_p256_key();
  leaf.cert = new_cert(leaf.key.get(), -3600, 10L * 365 * 24 * 3600);
  set_cn(X509_get_subject_name(leaf.cert.get()), "pinniped-emulator");
  check(X509_set_issuer_name(leaf.cert.get(), X509_get_subject_name(ca.cert.get())), "issuer");
  add_ext(leaf.cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(leaf.cert.get(), ca.cert.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(leaf.cert.get(), ca.cert.get(), NID_ext_key_usage, "serverAuth");
  add_ext(leaf.cert.get(), ca.cert.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  add_ext(leaf.cert.get(), ca.cert.get(), NID_authority_key_identifier, "keyid:always");
  check(X509_sign(leaf.cert.get(), ca.key.get(), EVP_sha256()), "X509_sign(server)");
  return leaf;
}

std::string cert_pem(X509* cert)
{
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(bio ? PEM_write_bio_X509(bio.get(), cert) : 0, "PEM_write_bio_X509");
  return bio_to_string(bio.get());
}

std::string pkcs8_pem(EVP_PKEY* key)
{
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(bio ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) : 0,
        "PEM_write_bio_PrivateKey");
  return bio_to_string(bio.get());
}

IssuedClientCert issue_client_cert(const CertAndKey& ca, const std::string& username,
                                   const std::vector<std::string>& groups, std::int64_t ttl_seconds)
{
  PkeyPtr key = generate_p256_key();
  X509Ptr cert = new_cert(key.get(), -5 * 60, static_cast<long>(ttl_seconds));
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& group : groups) {
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(group.c_str()), -1, -1, 0),
          "X509_NAME_add_entry_by_txt(O)");
  }
  set_cn(name, username);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert.get())), "issuer");
  add_ext(cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca.cert.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(cert.get(), ca.cert.get(), NID_ext_key_usage, "clientAuth");
  add_ext(cert.get(), ca.cert.get(), NID_authority_key_identifier, "keyid:always");
  check(X509_sign(cert.get(), ca.key.get(), EVP_sha256()), "X509_sign(client)");

  IssuedClientCert out;
  out.cert_pem = cert_pem(cert.get());
  out.key_pem = pkcs8_pem(key.get());
  std::tm tm{};
  check(ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm), "ASN1_TIME_to_tm");
  out.not_after = static_cast<std::int64_t>(timegm(&tm));
  return out;
}

std::optional<CertIdentity> verify_peer_cert(const SSL* ssl, const CertAndKey& ca)
{
  if (ssl == nullptr) {
    return std::nullopt;
  }
  X509Ptr peer(SSL_get1_peer_certificate(ssl));
  if (!peer) {
    return std::nullopt;
  }
  if (X509_check_issued(ca.cert.get(), peer.get()) != X509_V_OK
      || X509_verify(peer.get(), ca.key.get()) != 1
      || X509_cmp_current_time(X509_get0_notBefore(peer.get())) >= 0
      || X509_cmp_current_time(X509_get0_notAfter(peer.get())) <= 0) {
    return std::nullopt;
  }
  CertIdentity id;
  const X509_NAME* name = X509_get_subject_name(peer.get());
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    auto value = name_entry(entry);
    if (!value) {
      continue;
    }
    if (nid == NID_commonName) {
      id.username = *value;
    } else if (nid == NID_organizationName) {
      id.groups.push_back(*value);
    }
  }
  if (id.username.empty()) {
    return std::nullopt;
  }
  return id;
}

} // namespace pinnipedci::testing::detail
