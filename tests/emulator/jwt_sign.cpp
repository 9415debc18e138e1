// SPDX-License-Identifier: Apache-2.0
// ES256 JWS signing/verification, JWKS rendering, and the small encoding helpers they need.
#include "internal.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace pinnipedci::testing::detail {

namespace {

struct MdCtxDeleter { void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); } };
struct SigDeleter { void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); } };
struct BnDeleter { void operator()(BIGNUM* p) const noexcept { BN_free(p); } };
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

constexpr std::string_view k_b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encode64(std::string_view data, bool url)
{
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(data[k])); };
  auto sym = [&](unsigned v) {
    char c = k_b64[v & 0x3fU];
    if (url && c == '+') {
      c = '-';
    } else if (url && c == '/') {
      c = '_';
    }
    out.push_back(c);
  };
  for (; i + 2 < data.size(); i += 3) {
    const unsigned v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    sym(v >> 18);
    sym(v >> 12);
    sym(v >> 6);
    sym(v);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const unsigned v = at(i) << 16;
    sym(v >> 18);
    sym(v >> 12);
    if (!url) {
      out += "==";
    }
  } else if (rest == 2) {
    const unsigned v = (at(i) << 16) | (at(i + 1) << 8);
    sym(v >> 18);
    sym(v >> 12);
    sym(v >> 6);
    if (!url) {
      out += "=";
    }
  }
  return out;
}

std::optional<std::string> decode64(std::string_view text, bool url)
{
  while (!url && !text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (const char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == (url ? '-' : '+')) {
      v = 62;
    } else if (c == (url ? '_' : '/')) {
      v = 63;
    } else if (!url && (c == '\n' || c == '\r')) {
      continue;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xffU));
    }
  }
  if (bits >= 6) {
    return std::nullopt;
  }
  return out;
}

BnPtr get_bn(EVP_PKEY* key, const char* param)
{
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) {
    throw std::runtime_error("pinniped-emulator: EVP_PKEY_get_bn_param failed");
  }
  return BnPtr(bn);
}

std::string bn_32(const BIGNUM* bn)
{
  std::string out(32, '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), 32) != 32) {
    throw std::runtime_error("pinniped-emulator: BN_bn2binpad failed");
  }
  return out;
}

} // namespace

std::string base64_encode(std::string_view data) { return encode64(data, false); }
std::string base64url_encode(std::string_view data) { return encode64(data, true); }
std::optional<std::string> base64url_decode(std::string_view text) { return decode64(text, true); }
std::optional<std::string> base64_decode(std::string_view text) { return decode64(text, false); }

std::string sha256(std::string_view data)
{
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string random_bytes(std::size_t n)
{
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("pinniped-emulator: RAND_bytes failed");
  }
  return out;
}

std::string random_urlsafe(std::size_t bytes) { return base64url_encode(random_bytes(bytes)); }

std::string uuid4()
{
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0fU) | 0x40U);
  b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3fU) | 0x80U);
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned>(static_cast<unsigned char>(b[i])));
    out += hex;
  }
  return out;
}

std::string query_escape(std::string_view s)
{
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(k_hex[c >> 4]);
      out.push_back(k_hex[c & 0x0fU]);
    }
  }
  return out;
}

std::string query_unescape(std::string_view s)
{
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string form_encode(std::vector<std::pair<std::string, std::string>> values)
{
  std::stable_sort(values.begin(), values.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [k, v] : values) {
    if (!out.empty()) {
      out.push_back('&');
    }
    out += query_escape(k) + "=" + query_escape(v);
  }
  return out;
}

std::multimap<std::string, std::string> parse_form(std::string_view text)
{
  std::multimap<std::string, std::string> out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const auto eq = pair.find('=');
    out.emplace(query_unescape(pair.substr(0, eq)),
                eq == std::string_view::npos ? std::string{} : query_unescape(pair.substr(eq + 1)));
  }
  return out;
}

std::string form_get(const std::multimap<std::string, std::string>& form, const std::string& key)
{
  const auto it = form.find(key);
  return it == form.end() ? std::string{} : it->second;
}

std::string rfc3339(std::int64_t unix_seconds)
{
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string es256_sign_jws(EVP_PKEY* key, const std::string& header_json, const std::string& payload_json)
{
  const std::string input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t der_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1
      || EVP_DigestSign(ctx.get(), nullptr, &der_len,
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    throw std::runtime_error("pinniped-emulator: EVP_DigestSign failed");
  }
  std::string der(der_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    throw std::runtime_error("pinniped-emulator: EVP_DigestSign failed");
  }
  // JWS wants the raw 64-byte r||s form, not DER.
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, SigDeleter> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) {
    throw std::runtime_error("pinniped-emulator: d2i_ECDSA_SIG failed");
  }
  const std::string raw = bn_32(ECDSA_SIG_get0_r(sig.get())) + bn_32(ECDSA_SIG_get0_s(sig.get()));
  return input + "." + base64url_encode(raw);
}

std::optional<rapidjson::Document> es256_verify_jws(EVP_PKEY* key, const std::string& jws)
{
  const auto dot1 = jws.find('.');
  const auto dot2 = dot1 == std::string::npos ? dot1 : jws.find('.', dot1 + 1);
  if (dot2 == std::string::npos || jws.find('.', dot2 + 1) != std::string::npos) {
    return std::nullopt;
  }
  const auto header = base64url_decode(std::string_view(jws).substr(0, dot1));
  const auto payload = base64url_decode(std::string_view(jws).substr(dot1 + 1, dot2 - dot1 - 1));
  const auto raw = base64url_decode(std::string_view(jws).substr(dot2 + 1));
  if (!header || !payload || !raw || raw->size() != 64) {
    return std::nullopt;
  }
  rapidjson::Document hdr;
  hdr.Parse(header->c_str(), header->size());
  if (hdr.HasParseError() || !hdr.IsObject() || json_string_member(hdr, "alg") != "ES256") {
    return std::nullopt;
  }
  std::unique_ptr<ECDSA_SIG, SigDeleter> sig(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw->data()), 32, nullptr));
  BnPtr s(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw->data()) + 32, 32, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return std::nullopt;
  }
  (void)r.release();
  (void)s.release();
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) {
    return std::nullopt;
  }
  const std::string input = jws.substr(0, dot2);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1
                  && EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len),
                                      reinterpret_cast<const unsigned char*>(input.data()),
                                      input.size()) == 1;
  OPENSSL_free(der);
  if (!ok) {
    return std::nullopt;
  }
  rapidjson::Document claims;
  claims.Parse(payload->c_str(), payload->size());
  if (claims.HasParseError() || !claims.IsObject()) {
    return std::nullopt;
  }
  return claims;
}

std::string jwks_json(EVP_PKEY* key, const std::string& kid)
{
  const BnPtr x = get_bn(key, OSSL_PKEY_PARAM_EC_PUB_X);
  const BnPtr y = get_bn(key, OSSL_PKEY_PARAM_EC_PUB_Y);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  jkey(w, "keys");
  w.StartArray();
  w.StartObject();
  jkv(w, "use", "sig");
  jkv(w, "kty", "EC");
  jkv(w, "kid", kid);
  jkv(w, "crv", "P-256");
  jkv(w, "alg", "ES256");
  jkv(w, "x", base64url_encode(bn_32(x.get())));
  jkv(w, "y", base64url_encode(bn_32(y.get())));
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string at_hash(std::string_view access_token)
{
  return base64url_encode(sha256(access_token).substr(0, 16));
}

std::string json_string_member(const rapidjson::Value& obj, const char* name)
{
  if (!obj.IsObject()) {
    return {};
  }
  const auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) {
    return {};
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::vector<std::string> json_string_array(const rapidjson::Value& obj, const char* name)
{
  std::vector<std::string> out;
  if (!obj.IsObject()) {
    return out;
  }
  const auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) {
    return out;
  }
  if (it->value.IsString()) {
    out.emplace_back(it->value.GetString(), it->value.GetStringLength());
  } else if (it->value.IsArray()) {
    for (const auto& v : it->value.GetArray()) {
      if (v.IsString()) {
        out.emplace_back(v.GetString(), v.GetStringLength());
      }
    }
  }
  return out;
}

} // namespace pinnipedci::testing::detail
