#include "jose/jwt.hpp"

#include "crypto/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

namespace pinnipedci::jose {

namespace {

// ---- OpenSSL ownership ------------------------------------------------------------------------

struct PkeyFree
{
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct PkeyCtxFree
{
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree
{
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct ParamBldFree
{
  void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree
{
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct BnFree
{
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
struct EcdsaSigFree
{
  void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

const unsigned char* bytes_of(std::string_view s)
{
  return reinterpret_cast<const unsigned char*>(s.data());
}

// ---- Messages ---------------------------------------------------------------------------------

constexpr std::size_t k_max_quoted = 128;

// Go's %q for a string, roughly: double quotes, escapes for quotes, backslashes and control
// characters (so a hostile value cannot break the one-line message), long values cut short.
std::string quote(std::string_view s)
{
  bool cut = false;
  if (s.size() > k_max_quoted) {
    std::size_t end = k_max_quoted;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0U) == 0x80U) {
      --end; // do not split a UTF-8 sequence
    }
    s = s.substr(0, end);
    cut = true;
  }
  std::string out = "\"";
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (b < 0x20U || b == 0x7FU) {
        std::array<char, 5> buf{};
        std::snprintf(buf.data(), buf.size(), "\\x%02x", static_cast<unsigned>(b));
        out += buf.data();
      } else {
        out += c;
      }
    }
  }
  out += cut ? "...\"" : "\"";
  return out;
}

// Go's %q for a []string: ["a" "b"].
std::string quote_list(const std::vector<std::string>& items)
{
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += ' ';
    }
    out += quote(items[i]);
  }
  out += ']';
  return out;
}

tl::unexpected<Error> verification_error(std::string message, std::string detail = {})
{
  return fail(ErrorKind::verification, std::move(message), std::move(detail));
}

// ---- JSON -------------------------------------------------------------------------------------

using JsonValue = rapidjson::Value;

// Parses `text` as one JSON object; on failure returns a reason (never the text itself).
std::optional<std::string> parse_object(rapidjson::Document& doc, std::string_view text)
{
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " (at offset "
           + std::to_string(doc.GetErrorOffset()) + ")";
  }
  if (!doc.IsObject()) {
    return std::string("not a JSON object");
  }
  return std::nullopt;
}

std::string_view view_of(const JsonValue& v)
{
  return {v.GetString(), v.GetStringLength()};
}

// RapidJSON keeps duplicate members and finds the first; Go's encoding/json keeps the last. A token
// that reads differently to different parsers is rejected outright.
std::optional<std::string> find_duplicate_member(const JsonValue& object)
{
  std::vector<std::string_view> names;
  names.reserve(object.MemberCount());
  for (const auto& member : object.GetObject()) {
    names.push_back(view_of(member.name));
  }
  std::sort(names.begin(), names.end());
  const auto dup = std::adjacent_find(names.begin(), names.end());
  if (dup != names.end()) {
    return std::string(*dup);
  }
  return std::nullopt;
}

// A member, or nullptr when absent or JSON null (Go's encoding/json treats null as absent).
const JsonValue* member(const JsonValue& object, const char* name)
{
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) {
    return nullptr;
  }
  return &it->value;
}

// Optional string member; a present non-string is an error (returned as the reason).
Result<std::optional<std::string>> optional_string(const JsonValue& object, const char* name,
                                                   std::string_view error_prefix, ErrorKind kind)
{
  const JsonValue* v = member(object, name);
  if (v == nullptr) {
    return std::optional<std::string>();
  }
  if (!v->IsString()) {
    return fail(kind, std::string(error_prefix) + "\"" + name + "\" is not a string");
  }
  return std::optional<std::string>(std::string(view_of(*v)));
}

// ---- Time -------------------------------------------------------------------------------------

// Claims are limited to +-2^62 seconds so that all arithmetic on them stays in range.
constexpr std::int64_t k_max_time = std::int64_t{1} << 62;
constexpr std::int64_t k_nbf_leeway = 5 * 60;

Result<std::optional<std::int64_t>> optional_time(const JsonValue& claims, const char* name)
{
  const JsonValue* v = member(claims, name);
  if (v == nullptr) {
    return std::optional<std::int64_t>();
  }
  std::int64_t seconds = 0;
  if (v->IsInt64()) {
    seconds = v->GetInt64();
  } else if (v->IsDouble()) {
    const double d = v->GetDouble();
    if (!std::isfinite(d) || std::fabs(d) >= static_cast<double>(k_max_time)) {
      return verification_error(std::string("oidc: failed to unmarshal claims: \"") + name + "\" is out of range");
    }
    seconds = static_cast<std::int64_t>(d);
  } else if (v->IsNumber()) {
    return verification_error(std::string("oidc: failed to unmarshal claims: \"") + name + "\" is out of range");
  } else {
    return verification_error(std::string("oidc: failed to unmarshal claims: \"") + name + "\" is not a number");
  }
  if (seconds >= k_max_time || seconds <= -k_max_time) {
    return verification_error(std::string("oidc: failed to unmarshal claims: \"") + name + "\" is out of range");
  }
  return std::optional<std::int64_t>(seconds);
}

// ---- Compact JWS ------------------------------------------------------------------------------

struct Parsed
{
  Jwt jwt;
  std::string_view signing_input; // "<header>.<payload>" as sent, a view into the caller's token
  std::string signature;          // raw signature bytes
};

Result<JwtHeader> decode_header(std::string_view json)
{
  constexpr std::string_view k_prefix = "oidc: malformed jwt header: ";
  rapidjson::Document doc;
  if (auto reason = parse_object(doc, json)) {
    return verification_error(std::string(k_prefix) + *reason);
  }
  if (auto dup = find_duplicate_member(doc)) {
    return verification_error(std::string(k_prefix) + "duplicate parameter " + quote(*dup));
  }
  // No extension is understood, so any critical one makes the token unusable (RFC 7515 4.1.11).
  if (doc.HasMember("crit")) {
    return verification_error(std::string(k_prefix) + "unsupported critical header parameters");
  }
  JwtHeader header;
  PCI_TRY_ASSIGN(auto alg, optional_string(doc, "alg", k_prefix, ErrorKind::verification));
  header.alg = alg.value_or("");
  PCI_TRY_ASSIGN(header.kid, optional_string(doc, "kid", k_prefix, ErrorKind::verification));
  PCI_TRY_ASSIGN(header.typ, optional_string(doc, "typ", k_prefix, ErrorKind::verification));
  return header;
}

Result<std::vector<std::string>> string_or_strings(const JsonValue& claims, const char* name, bool& was_string)
{
  was_string = false;
  std::vector<std::string> out;
  const JsonValue* v = member(claims, name);
  if (v == nullptr) {
    return out;
  }
  if (v->IsString()) {
    was_string = true;
    out.emplace_back(view_of(*v));
    return out;
  }
  if (v->IsArray()) {
    for (const auto& item : v->GetArray()) {
      if (!item.IsString()) {
        return verification_error(std::string("oidc: failed to unmarshal claims: \"") + name
                                  + "\" is not a string or an array of strings");
      }
      out.emplace_back(view_of(item));
    }
    return out;
  }
  return verification_error(std::string("oidc: failed to unmarshal claims: \"") + name
                            + "\" is not a string or an array of strings");
}

Result<void> decode_claims(std::string_view json, Jwt& jwt)
{
  constexpr std::string_view k_prefix = "oidc: failed to unmarshal claims: ";
  rapidjson::Document doc;
  if (auto reason = parse_object(doc, json)) {
    return verification_error(std::string(k_prefix) + *reason);
  }
  if (auto dup = find_duplicate_member(doc)) {
    return verification_error(std::string(k_prefix) + "duplicate claim " + quote(*dup));
  }
  constexpr ErrorKind k_kind = ErrorKind::verification;
  PCI_TRY_ASSIGN(auto iss, optional_string(doc, "iss", k_prefix, k_kind));
  PCI_TRY_ASSIGN(auto sub, optional_string(doc, "sub", k_prefix, k_kind));
  PCI_TRY_ASSIGN(auto azp, optional_string(doc, "azp", k_prefix, k_kind));
  jwt.iss = iss.value_or("");
  jwt.sub = sub.value_or("");
  jwt.azp = azp.value_or("");
  PCI_TRY_ASSIGN(jwt.aud, string_or_strings(doc, "aud", jwt.aud_is_string));
  PCI_TRY_ASSIGN(jwt.exp, optional_time(doc, "exp"));
  PCI_TRY_ASSIGN(jwt.iat, optional_time(doc, "iat"));
  PCI_TRY_ASSIGN(jwt.nbf, optional_time(doc, "nbf"));
  PCI_TRY_ASSIGN(jwt.nonce, optional_string(doc, "nonce", k_prefix, k_kind));
  PCI_TRY_ASSIGN(jwt.at_hash, optional_string(doc, "at_hash", k_prefix, k_kind));
  PCI_TRY_ASSIGN(jwt.username, optional_string(doc, "username", k_prefix, k_kind));
  bool groups_was_string = false;
  PCI_TRY_ASSIGN(jwt.groups, string_or_strings(doc, "groups", groups_was_string));
  return {};
}

Result<Parsed> parse_compact(std::string_view compact)
{
  const auto dots = static_cast<std::size_t>(std::count(compact.begin(), compact.end(), '.'));
  if (dots != 2) {
    return verification_error("oidc: malformed jwt, expected 3 parts got " + std::to_string(dots + 1));
  }
  const std::size_t first = compact.find('.');
  const std::size_t second = compact.find('.', first + 1);
  const std::string_view header_b64 = compact.substr(0, first);
  const std::string_view payload_b64 = compact.substr(first + 1, second - first - 1);
  const std::string_view signature_b64 = compact.substr(second + 1);

  Parsed parsed;
  parsed.signing_input = compact.substr(0, second);

  auto header_json = crypto::base64url_decode(header_b64);
  if (!header_json) {
    return verification_error("oidc: malformed jwt header: illegal base64 data");
  }
  auto payload_json = crypto::base64url_decode(payload_b64);
  if (!payload_json) {
    return verification_error("oidc: malformed jwt payload: illegal base64 data");
  }
  auto signature = crypto::base64url_decode(signature_b64);
  if (!signature) {
    return verification_error("oidc: malformed jwt signature: illegal base64 data");
  }
  PCI_TRY_ASSIGN(parsed.jwt.header, decode_header(*header_json));
  PCI_TRY(decode_claims(*payload_json, parsed.jwt));
  parsed.jwt.header_json = std::move(*header_json);
  parsed.jwt.payload_json = std::move(*payload_json);
  parsed.signature = std::move(*signature);
  return parsed;
}

// ---- JWKS -------------------------------------------------------------------------------------

tl::unexpected<Error> jwks_error(std::string reason, std::string detail = {})
{
  return fail(ErrorKind::remote, "could not parse JWKS: " + std::move(reason), std::move(detail));
}

Result<PkeyPtr> pkey_from_params(const char* type, OSSL_PARAM_BLD* bld)
{
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return fail(ErrorKind::internal, "could not prepare a public key", crypto::drain_openssl_errors());
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 || raw == nullptr) {
    return fail(ErrorKind::remote, "invalid public key", crypto::drain_openssl_errors());
  }
  PkeyPtr key(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return fail(ErrorKind::remote, "invalid public key", crypto::drain_openssl_errors());
  }
  return key;
}

Result<std::string> key_bytes(const JsonValue& jwk, const char* name)
{
  const JsonValue* v = member(jwk, name);
  if (v == nullptr || !v->IsString()) {
    return fail(ErrorKind::remote, std::string("missing \"") + name + "\"");
  }
  auto bytes = crypto::base64url_decode(view_of(*v));
  if (!bytes || bytes->empty()) {
    return fail(ErrorKind::remote, std::string("\"") + name + "\" is not base64url");
  }
  return std::move(*bytes);
}

Result<PkeyPtr> ec_p256_key(const JsonValue& jwk)
{
  PCI_TRY_ASSIGN(std::string x, key_bytes(jwk, "x"));
  PCI_TRY_ASSIGN(std::string y, key_bytes(jwk, "y"));
  if (x.size() != 32 || y.size() != 32) {
    return fail(ErrorKind::remote, "P-256 coordinates must be 32 bytes");
  }
  const std::string point = std::string(1, '\x04') + x + y; // SEC 1 uncompressed point
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld
      || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1
      || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return fail(ErrorKind::internal, "could not prepare a public key", crypto::drain_openssl_errors());
  }
  return pkey_from_params("EC", bld.get());
}

constexpr std::size_t k_max_rsa_bytes = 16384 / 8; // OpenSSL's own modulus limit

Result<PkeyPtr> rsa_key(const JsonValue& jwk)
{
  PCI_TRY_ASSIGN(std::string n_bytes, key_bytes(jwk, "n"));
  PCI_TRY_ASSIGN(std::string e_bytes, key_bytes(jwk, "e"));
  if (n_bytes.size() > k_max_rsa_bytes || e_bytes.size() > 8) {
    return fail(ErrorKind::remote, "RSA key too large");
  }
  BnPtr n(BN_bin2bn(bytes_of(n_bytes), static_cast<int>(n_bytes.size()), nullptr));
  BnPtr e(BN_bin2bn(bytes_of(e_bytes), static_cast<int>(e_bytes.size()), nullptr));
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1
      || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return fail(ErrorKind::internal, "could not prepare a public key", crypto::drain_openssl_errors());
  }
  return pkey_from_params("RSA", bld.get());
}

constexpr int k_min_rsa_bits = 2048;

// ---- Signatures -------------------------------------------------------------------------------

bool key_fits(const Jwk& key, std::string_view alg)
{
  if (!key.alg.empty() && key.alg != alg) {
    return false;
  }
  if (alg == "ES256") {
    return key.kty == "EC" && key.crv == "P-256";
  }
  if (alg == "RS256") {
    return key.kty == "RSA";
  }
  return false;
}

// JWS ES256 signatures are R || S, 32 bytes each (RFC 7518 3.4); OpenSSL wants DER ECDSA-Sig-Value.
std::optional<std::string> es256_to_der(std::string_view raw)
{
  if (raw.size() != 64) {
    return std::nullopt;
  }
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(bytes_of(raw), 32, nullptr));
  BnPtr s(BN_bin2bn(bytes_of(raw.substr(32)), 32, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return std::nullopt;
  }
  (void)r.release(); // owned by sig now
  (void)s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) {
    return std::nullopt;
  }
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) {
    return std::nullopt;
  }
  return der;
}

// True only for a signature that verifies; OpenSSL errors from failed attempts are appended to
// `detail` and never leak into the next call.
bool verify_with(EVP_PKEY* key, std::string_view alg, std::string_view signing_input, std::string_view signature,
                 std::string& detail)
{
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) == 1;
  if (ok && alg == "RS256") {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  }
  ok = ok
       && EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(), bytes_of(signing_input),
                           signing_input.size())
            == 1;
  const std::string errors = crypto::drain_openssl_errors();
  if (!errors.empty()) {
    detail += detail.empty() ? errors : "; " + errors;
  }
  return ok;
}

Result<void> verify_signature(const Parsed& parsed, const Jwks& jwks)
{
  constexpr std::string_view k_prefix = "failed to verify signature: ";
  const std::string& alg = parsed.jwt.header.alg;
  if (alg != "ES256" && alg != "RS256") {
    return verification_error(std::string(k_prefix) + "unsupported algorithm " + quote(alg));
  }

  // go-oidc treats an empty kid like a missing one: every key is a candidate.
  const std::string kid = parsed.jwt.header.kid.value_or("");
  std::vector<const Jwk*> candidates;
  bool kid_seen = false;
  for (const Jwk& key : jwks.keys) {
    if (!kid.empty()) {
      if (key.kid != kid) {
        continue;
      }
      kid_seen = true;
    }
    if (key_fits(key, alg) && key.key) {
      candidates.push_back(&key);
    }
  }
  if (candidates.empty()) {
    if (!kid.empty() && !kid_seen) {
      return verification_error(std::string(k_prefix) + "no key with kid " + quote(kid) + " in the JWKS");
    }
    return verification_error(std::string(k_prefix) + "no key in the JWKS fits algorithm " + alg);
  }

  std::string signature = parsed.signature;
  if (alg == "ES256") {
    auto der = es256_to_der(parsed.signature);
    if (!der) {
      return verification_error(std::string(k_prefix) + "ES256 signature must be 64 bytes, got "
                                + std::to_string(parsed.signature.size()));
    }
    signature = std::move(*der);
  }
  std::string detail;
  for (const Jwk* key : candidates) {
    if (verify_with(key->key.get(), alg, parsed.signing_input, signature, detail)) {
      return {};
    }
  }
  return verification_error(std::string(k_prefix) + "failed to verify id token signature", detail);
}

std::vector<std::string> effective_algs(const std::vector<std::string>& allowed)
{
  std::vector<std::string> out;
  for (const std::string& alg : allowed) {
    if (alg != "none") {
      out.push_back(alg);
    }
  }
  if (allowed.empty()) {
    out.emplace_back("RS256");
  }
  return out;
}

} // namespace

// ---- Public -----------------------------------------------------------------------------------

std::string format_rfc3339(std::int64_t unix_seconds)
{
  // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
  std::int64_t days = unix_seconds / 86400;
  std::int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(year),
                static_cast<long long>(month), static_cast<long long>(day), static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf.data();
}

Result<Jwks> Jwks::parse(std::string_view json)
{
  rapidjson::Document doc;
  if (auto reason = parse_object(doc, json)) {
    return jwks_error(*reason);
  }
  const JsonValue* keys = member(doc, "keys");
  if (keys == nullptr || !keys->IsArray()) {
    return jwks_error("missing \"keys\" array");
  }
  Jwks jwks;
  rapidjson::SizeType index = 0;
  for (const auto& entry : keys->GetArray()) {
    const std::string where = "key " + std::to_string(index++);
    if (!entry.IsObject()) {
      return jwks_error(where + " is not an object");
    }
    if (auto dup = find_duplicate_member(entry)) {
      return jwks_error(where + ": duplicate member " + quote(*dup));
    }
    Jwk jwk;
    for (auto [name, field] : {std::pair{"kty", &jwk.kty}, std::pair{"crv", &jwk.crv}, std::pair{"kid", &jwk.kid},
                               std::pair{"alg", &jwk.alg}, std::pair{"use", &jwk.use}}) {
      PCI_TRY_ASSIGN(auto value, optional_string(entry, name, "could not parse JWKS: " + where + ": ",
                                                 ErrorKind::remote));
      *field = value.value_or("");
    }
    if (!jwk.use.empty() && jwk.use != "sig") {
      continue; // an encryption key never verifies a signature
    }
    const bool is_ec = jwk.kty == "EC" && jwk.crv == "P-256";
    if (!is_ec && jwk.kty != "RSA") {
      continue; // other key types and curves are not used by Pinniped
    }
    if (!is_ec) {
      jwk.crv.clear();
    }
    Result<PkeyPtr> key = is_ec ? ec_p256_key(entry) : rsa_key(entry);
    if (!key) {
      return jwks_error(where + " (kid " + quote(jwk.kid) + "): " + key.error().message(), key.error().detail());
    }
    if (jwk.kty == "RSA" && EVP_PKEY_get_bits(key->get()) < k_min_rsa_bits) {
      continue;
    }
    jwk.key = std::shared_ptr<evp_pkey_st>(key->release(), PkeyFree{});
    jwks.keys.push_back(std::move(jwk));
  }
  return jwks;
}

Result<Jwt> decode_unverified(std::string_view compact)
{
  PCI_TRY_ASSIGN(Parsed parsed, parse_compact(compact));
  return std::move(parsed.jwt);
}

Result<Jwt> verify(std::string_view compact, const Jwks& keys, const VerifyOptions& options)
{
  PCI_TRY_ASSIGN(Parsed parsed, parse_compact(compact));
  Jwt& jwt = parsed.jwt;

  const std::vector<std::string> algs = effective_algs(options.allowed_algs);
  if (jwt.header.alg == "none" || std::find(algs.begin(), algs.end(), jwt.header.alg) == algs.end()) {
    return verification_error("oidc: id token signed with unsupported algorithm, expected " + quote_list(algs)
                              + " got " + quote(jwt.header.alg));
  }
  // The signature is checked before any claim, so every claim quoted below is the issuer's.
  PCI_TRY(verify_signature(parsed, keys));

  if (jwt.iss != options.issuer) {
    return verification_error("oidc: id token issued by a different provider, expected " + quote(options.issuer)
                              + " got " + quote(jwt.iss));
  }
  if (std::find(jwt.aud.begin(), jwt.aud.end(), options.audience) == jwt.aud.end()) {
    return verification_error("oidc: expected audience " + quote(options.audience) + " got " + quote_list(jwt.aud));
  }
  if (!jwt.exp) {
    return verification_error("oidc: token is expired (Token Expiry: none, the exp claim is missing)");
  }
  if (options.now > *jwt.exp) {
    return verification_error("oidc: token is expired (Token Expiry: " + format_rfc3339(*jwt.exp) + ")");
  }
  if (jwt.nbf && *jwt.nbf > options.now
      && static_cast<std::uint64_t>(*jwt.nbf) - static_cast<std::uint64_t>(options.now)
           > static_cast<std::uint64_t>(k_nbf_leeway)) {
    return verification_error("oidc: current time " + format_rfc3339(options.now)
                              + " before the nbf (not before) time: " + format_rfc3339(*jwt.nbf));
  }
  if (options.access_token && jwt.at_hash
      && !crypto::constant_time_equal(crypto::at_hash_sha256(*options.access_token), *jwt.at_hash)) {
    return verification_error("access token hash does not match value in ID token");
  }
  if (options.expected_nonce) {
    const std::string got = jwt.nonce.value_or("");
    if (!jwt.nonce || !crypto::constant_time_equal(*options.expected_nonce, got)) {
      return verification_error("invalid nonce (expected " + quote(*options.expected_nonce) + ", got " + quote(got)
                                + ")");
    }
  }
  return std::move(parsed.jwt);
}

} // namespace pinnipedci::jose
