#include "jose/jwt.hpp"

#include "crypto/crypto.hpp"

#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pinnipedci::jose {
namespace {

// ---- Test-only signing ------------------------------------------------------------------------

struct PkeyFree
{
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string bn_bytes(const EVP_PKEY* key, const char* param, int pad_to = 0)
{
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) {
    ADD_FAILURE() << "EVP_PKEY_get_bn_param " << param;
    return {};
  }
  const int len = pad_to > 0 ? pad_to : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(len), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len);
  BN_free(bn);
  return out;
}

std::string ec_jwk(const EVP_PKEY* key, const std::string& kid, const std::string& extra = "")
{
  std::string out = R"({"use":"sig","kty":"EC",)";
  if (!kid.empty()) {
    out += R"("kid":")" + kid + R"(",)";
  }
  return out + R"("crv":"P-256","alg":"ES256","x":")"
         + crypto::base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_X, 32)) + R"(","y":")"
         + crypto::base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32)) + "\"" + extra + "}";
}

std::string rsa_jwk(const EVP_PKEY* key, const std::string& kid)
{
  return R"({"kty":"RSA","kid":")" + kid + R"(","n":")"
         + crypto::base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_RSA_N)) + R"(","e":")"
         + crypto::base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_RSA_E)) + R"("})";
}

std::string jwks_of(const std::vector<std::string>& keys)
{
  std::string out = R"({"keys":[)";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    out += (i > 0 ? "," : "") + keys[i];
  }
  return out + "]}";
}

// Signs header.payload with `key` as `alg` says ("ES256" raw R||S, "RS256" PKCS#1 v1.5, anything
// else: empty signature).
std::string sign(std::string_view alg, EVP_PKEY* key, const std::string& header_json, const std::string& payload_json)
{
  const std::string input = crypto::base64url_encode(header_json) + "." + crypto::base64url_encode(payload_json);
  if (alg != "ES256" && alg != "RS256") {
    return input + ".";
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  const auto* tbs = reinterpret_cast<const unsigned char*>(input.data());
  EXPECT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key), 1);
  EXPECT_EQ(EVP_DigestSign(ctx, nullptr, &len, tbs, input.size()), 1);
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, tbs, input.size()), 1);
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (alg == "ES256") {
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(ecdsa, &r, &s);
    std::string raw(64, '\0');
    BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data() + 32), 32);
    ECDSA_SIG_free(ecdsa);
    sig = raw;
  }
  return input + "." + crypto::base64url_encode(sig);
}

struct Keys
{
  Pkey ec = Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Pkey ec_other = Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Pkey rsa = Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
};

const Keys& keys()
{
  static const Keys k; // RSA key generation is slow; share one set across tests
  return k;
}

// ---- Fixtures ---------------------------------------------------------------------------------

constexpr const char* k_issuer = "https://supervisor.example.com/issuer";
constexpr const char* k_nonce = "ffeeddccbbaa99887766554433221100";
constexpr const char* k_access_token = "pin_at_example-access-token";
constexpr std::int64_t k_iat = 1751457600;
constexpr std::int64_t k_exp = 1751457720;

// Claims of the section 10.5 token, as raw JSON values; tests edit or erase entries.
std::map<std::string, std::string> supervisor_claims()
{
  return {
    {"iss", std::string("\"") + k_issuer + "\""},
    {"sub", R"("ldaps://ldap.example.com:636?base=ou%3Dusers%2Cdc%3Dexample%2Cdc%3Dcom&idpName=my-ldap&sub=some-ldap-uid")"},
    {"aud", R"(["pinniped-cli"])"},
    {"azp", R"("pinniped-cli")"},
    {"exp", std::to_string(k_exp)},
    {"iat", std::to_string(k_iat)},
    {"auth_time", std::to_string(k_iat)},
    {"rat", std::to_string(k_iat - 1)},
    {"jti", R"("8d1e1cbb-3e4a-4e7e-9a55-6a0d2e6b6f00")"},
    {"nonce", std::string("\"") + k_nonce + "\""},
    {"at_hash", R"("mtvCUKnTuToC8dVN11CEXw")"},
    {"username", R"("ci-bot@example.com")"},
    {"groups", R"(["ci-robots"])"},
  };
}

std::string to_json(const std::map<std::string, std::string>& claims)
{
  std::string out = "{";
  for (const auto& [name, value] : claims) {
    out += (out.size() > 1 ? "," : "") + ("\"" + name + "\":" + value);
  }
  return out + "}";
}

constexpr const char* k_header_no_kid = R"({"alg":"ES256","typ":"JWT"})";
constexpr const char* k_header_kid = R"({"alg":"ES256","kid":"pinniped-supervisor-key","typ":"JWT"})";

class JwtTest : public ::testing::Test
{
protected:
  JwtTest()
  {
    auto parsed = Jwks::parse(jwks_of({ec_jwk(keys().ec.get(), "pinniped-supervisor-key")}));
    EXPECT_TRUE(parsed) << parsed.error().message();
    m_jwks = std::move(*parsed);
    m_options.issuer = k_issuer;
    m_options.audience = "pinniped-cli";
    m_options.allowed_algs = {"ES256"};
    m_options.expected_nonce = k_nonce;
    m_options.access_token = k_access_token;
    m_options.now = k_iat + 60;
  }

  static std::string es256(const std::map<std::string, std::string>& claims, const char* header = k_header_no_kid)
  {
    return sign("ES256", keys().ec.get(), header, to_json(claims));
  }

  // Verifies and expects a verification error with exactly `message`; also checks that the error
  // never echoes the token.
  void expect_failure(const std::string& token, const std::string& message) const
  {
    auto result = verify(token, m_jwks, m_options);
    ASSERT_FALSE(result) << "token verified but should fail with: " << message;
    EXPECT_EQ(result.error().kind(), ErrorKind::verification);
    EXPECT_EQ(result.error().message(), message);
    expect_no_leak(result.error(), token);
  }

  static void expect_no_leak(const Error& error, const std::string& token)
  {
    const std::string sig = token.substr(token.rfind('.') + 1);
    for (const std::string* text : {&error.message(), &error.detail()}) {
      if (token.size() > 20) {
        EXPECT_EQ(text->find(token.substr(0, 20)), std::string::npos) << *text;
      }
      if (sig.size() > 8) {
        EXPECT_EQ(text->find(sig), std::string::npos) << *text;
      }
      EXPECT_EQ(text->find(k_access_token), std::string::npos) << *text;
    }
  }

  Jwks m_jwks;
  VerifyOptions m_options;
};

// ---- JWKS -------------------------------------------------------------------------------------

TEST(JwksTest, ParsesSupervisorKeyAndKeepsMetadata)
{
  auto jwks = Jwks::parse(jwks_of({ec_jwk(keys().ec.get(), "pinniped-supervisor-key")}));
  ASSERT_TRUE(jwks) << jwks.error().message();
  ASSERT_EQ(jwks->keys.size(), 1U);
  const Jwk& key = jwks->keys[0];
  EXPECT_EQ(key.kty, "EC");
  EXPECT_EQ(key.crv, "P-256");
  EXPECT_EQ(key.kid, "pinniped-supervisor-key");
  EXPECT_EQ(key.alg, "ES256");
  EXPECT_EQ(key.use, "sig");
  EXPECT_NE(key.key, nullptr);
}

TEST(JwksTest, SkipsUnsupportedKeysAndKeepsRsa)
{
  auto jwks = Jwks::parse(jwks_of({
    R"({"kty":"oct","k":"c2VjcmV0"})",
    R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",
    R"({"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"})",
    R"({"kid":"no-kty"})",
    ec_jwk(keys().ec_other.get(), "for-encryption").replace(8, 3, "enc"), // {"use":"enc",...
    rsa_jwk(keys().rsa.get(), "rsa-key"),
  }));
  ASSERT_TRUE(jwks) << jwks.error().message();
  ASSERT_EQ(jwks->keys.size(), 1U);
  EXPECT_EQ(jwks->keys[0].kty, "RSA");
  EXPECT_EQ(jwks->keys[0].kid, "rsa-key");
  EXPECT_EQ(jwks->keys[0].crv, "");
  EXPECT_EQ(jwks->keys[0].alg, "");
}

TEST(JwksTest, SkipsSmallRsaKeys)
{
  Pkey small(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024)));
  auto jwks = Jwks::parse(jwks_of({rsa_jwk(small.get(), "small")}));
  ASSERT_TRUE(jwks) << jwks.error().message();
  EXPECT_TRUE(jwks->keys.empty());
}

TEST(JwksTest, EmptyKeysIsValid)
{
  auto jwks = Jwks::parse(R"({"keys":[]})");
  ASSERT_TRUE(jwks);
  EXPECT_TRUE(jwks->keys.empty());
}

TEST(JwksTest, MalformedDocumentsAreRemoteErrors)
{
  for (const char* doc : {"", "{", "[]", R"({"keys":{}})", R"({})", R"({"keys":[1]})", R"({"keys":[]} x)",
                          R"({"keys":[{"kty":"EC","crv":"P-256","x":"!!","y":"AAAA"}]})",
                          R"({"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]})",
                          R"({"keys":[{"kty":"EC","crv":"P-256"}]})", R"({"keys":[{"kty":"RSA","e":"AQAB"}]})",
                          R"({"keys":[{"kty":7}]})", R"({"keys":[{"kty":"RSA","kty":"EC"}]})"}) {
    auto jwks = Jwks::parse(doc);
    ASSERT_FALSE(jwks) << doc;
    EXPECT_EQ(jwks.error().kind(), ErrorKind::remote) << doc;
    EXPECT_EQ(jwks.error().message().rfind("could not parse JWKS: ", 0), 0U) << jwks.error().message();
  }
}

TEST(JwksTest, RejectsPointNotOnCurve)
{
  const std::string x = crypto::base64url_encode(std::string(31, '\0') + "\x01");
  const std::string y = crypto::base64url_encode(std::string(31, '\0') + "\x01");
  auto jwks = Jwks::parse(R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":")" + x + R"(","y":")" + y + R"("}]})");
  ASSERT_FALSE(jwks);
  EXPECT_EQ(jwks.error().kind(), ErrorKind::remote);
  EXPECT_EQ(jwks.error().message(), R"(could not parse JWKS: key 0 (kid "k"): invalid public key)");
}

TEST(JwksTest, IsCopyableAndCopiesShareKeys)
{
  auto jwks = Jwks::parse(jwks_of({ec_jwk(keys().ec.get(), "")}));
  ASSERT_TRUE(jwks);
  Jwks copy = *jwks;
  Jwks moved = std::move(*jwks);
  ASSERT_EQ(copy.keys.size(), 1U);
  EXPECT_EQ(copy.keys[0].key, moved.keys[0].key);
  VerifyOptions options{k_issuer, "pinniped-cli", {"ES256"}, std::nullopt, std::nullopt, k_iat};
  const std::string token = sign("ES256", keys().ec.get(), k_header_no_kid, to_json(supervisor_claims()));
  EXPECT_TRUE(verify(token, copy, options));
}

// ---- Good tokens ------------------------------------------------------------------------------

TEST_F(JwtTest, SupervisorTokenWithoutKidVerifies)
{
  const std::string payload = to_json(supervisor_claims());
  auto jwt = verify(sign("ES256", keys().ec.get(), k_header_no_kid, payload), m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
  EXPECT_EQ(jwt->header.alg, "ES256");
  EXPECT_EQ(jwt->header.kid, std::nullopt);
  EXPECT_EQ(jwt->header.typ, "JWT");
  EXPECT_EQ(jwt->header_json, k_header_no_kid);
  EXPECT_EQ(jwt->payload_json, payload);
  EXPECT_EQ(jwt->iss, k_issuer);
  EXPECT_EQ(jwt->sub,
            "ldaps://ldap.example.com:636?base=ou%3Dusers%2Cdc%3Dexample%2Cdc%3Dcom&idpName=my-ldap&sub=some-ldap-uid");
  EXPECT_EQ(jwt->aud, std::vector<std::string>{"pinniped-cli"});
  EXPECT_FALSE(jwt->aud_is_string);
  EXPECT_EQ(jwt->azp, "pinniped-cli");
  EXPECT_EQ(jwt->exp, k_exp);
  EXPECT_EQ(jwt->iat, k_iat);
  EXPECT_EQ(jwt->nbf, std::nullopt);
  EXPECT_EQ(jwt->nonce, k_nonce);
  EXPECT_EQ(jwt->at_hash, "mtvCUKnTuToC8dVN11CEXw");
  EXPECT_EQ(jwt->username, "ci-bot@example.com");
  EXPECT_EQ(jwt->groups, std::vector<std::string>{"ci-robots"});
}

TEST_F(JwtTest, TokenWithKidVerifies)
{
  auto jwt = verify(es256(supervisor_claims(), k_header_kid), m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
  EXPECT_EQ(jwt->header.kid, "pinniped-supervisor-key");
}

TEST_F(JwtTest, WithoutKidEveryFittingKeyIsTried)
{
  auto jwks = Jwks::parse(jwks_of({rsa_jwk(keys().rsa.get(), "rsa"), ec_jwk(keys().ec_other.get(), "old"),
                                   ec_jwk(keys().ec.get(), "new")}));
  ASSERT_TRUE(jwks) << jwks.error().message();
  m_jwks = *jwks;
  auto jwt = verify(es256(supervisor_claims()), m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
}

TEST_F(JwtTest, WithKidOnlyThatKeyIsTried)
{
  auto jwks = Jwks::parse(jwks_of({ec_jwk(keys().ec.get(), "other-kid"),
                                   ec_jwk(keys().ec_other.get(), "pinniped-supervisor-key")}));
  ASSERT_TRUE(jwks);
  m_jwks = *jwks;
  expect_failure(es256(supervisor_claims(), k_header_kid),
                 "failed to verify signature: failed to verify id token signature");
}

TEST_F(JwtTest, EmptyKidCountsAsNoKid)
{
  auto jwt = verify(es256(supervisor_claims(), R"({"alg":"ES256","kid":""})"), m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
}

TEST_F(JwtTest, Rs256VerifiesWithDefaultAlgorithms)
{
  auto jwks = Jwks::parse(jwks_of({ec_jwk(keys().ec.get(), "ec"), rsa_jwk(keys().rsa.get(), "rsa")}));
  ASSERT_TRUE(jwks);
  m_jwks = *jwks;
  m_options.allowed_algs.clear(); // discovery without id_token_signing_alg_values_supported
  auto jwt = verify(sign("RS256", keys().rsa.get(), R"({"alg":"RS256","kid":"rsa"})", to_json(supervisor_claims())),
                    m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
  auto no_kid = verify(sign("RS256", keys().rsa.get(), R"({"alg":"RS256"})", to_json(supervisor_claims())), m_jwks,
                       m_options);
  ASSERT_TRUE(no_kid) << no_kid.error().message();
}

TEST_F(JwtTest, AudienceAsStringOrArray)
{
  auto claims = supervisor_claims();
  claims["aud"] = R"("pinniped-cli")";
  auto jwt = verify(es256(claims), m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
  EXPECT_TRUE(jwt->aud_is_string);
  EXPECT_EQ(jwt->aud, std::vector<std::string>{"pinniped-cli"});

  claims["aud"] = R"(["other","pinniped-cli"])";
  jwt = verify(es256(claims), m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
  EXPECT_FALSE(jwt->aud_is_string);
  EXPECT_EQ(jwt->aud.size(), 2U);
}

TEST_F(JwtTest, ExchangedTokenWithoutNonceOrAtHash)
{
  auto claims = supervisor_claims();
  claims.erase("nonce");
  claims.erase("at_hash");
  claims["aud"] = R"(["my-cluster-audience"])";
  m_options.audience = "my-cluster-audience";
  m_options.expected_nonce.reset();
  m_options.access_token.reset();
  auto jwt = verify(es256(claims), m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
  EXPECT_EQ(jwt->nonce, std::nullopt);
  EXPECT_EQ(jwt->at_hash, std::nullopt);
}

TEST_F(JwtTest, AtHashAbsentIsAccepted)
{
  auto claims = supervisor_claims();
  claims.erase("at_hash");
  EXPECT_TRUE(verify(es256(claims), m_jwks, m_options));
}

TEST_F(JwtTest, AtHashNotCheckedWithoutAccessToken)
{
  auto claims = supervisor_claims();
  claims["at_hash"] = R"("AAAAAAAAAAAAAAAAAAAAAA")";
  m_options.access_token.reset();
  EXPECT_TRUE(verify(es256(claims), m_jwks, m_options));
}

TEST_F(JwtTest, ExpiryBoundaryMatchesGoOidc)
{
  m_options.now = k_exp; // expired only when now > exp
  EXPECT_TRUE(verify(es256(supervisor_claims()), m_jwks, m_options));
}

TEST_F(JwtTest, NbfWithinFiveMinutesIsAccepted)
{
  auto claims = supervisor_claims();
  claims["nbf"] = std::to_string(m_options.now + 300);
  auto jwt = verify(es256(claims), m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
  EXPECT_EQ(jwt->nbf, m_options.now + 300);
}

TEST_F(JwtTest, FloatingPointTimesAreTruncated)
{
  auto claims = supervisor_claims();
  claims["exp"] = std::to_string(k_exp) + ".75";
  claims["iat"] = "1.7514576e9";
  auto jwt = verify(es256(claims), m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
  EXPECT_EQ(jwt->exp, k_exp);
  EXPECT_EQ(jwt->iat, 1751457600);
}

TEST_F(JwtTest, IatIsNotChecked)
{
  auto claims = supervisor_claims();
  claims["iat"] = std::to_string(k_exp + 3600);
  EXPECT_TRUE(verify(es256(claims), m_jwks, m_options));
}

// ---- Bad tokens -------------------------------------------------------------------------------

TEST_F(JwtTest, BadSignature)
{
  const std::string token = sign("ES256", keys().ec_other.get(), k_header_no_kid, to_json(supervisor_claims()));
  expect_failure(token, "failed to verify signature: failed to verify id token signature");
}

TEST_F(JwtTest, TamperedPayload)
{
  const std::string good = es256(supervisor_claims());
  auto claims = supervisor_claims();
  claims["username"] = R"("admin@example.com")";
  const std::string forged = crypto::base64url_encode(k_header_no_kid) + "."
                             + crypto::base64url_encode(to_json(claims)) + good.substr(good.rfind('.'));
  expect_failure(forged, "failed to verify signature: failed to verify id token signature");
}

TEST_F(JwtTest, SignatureOfWrongLength)
{
  const std::string good = es256(supervisor_claims());
  expect_failure(good + "AAAA", "failed to verify signature: ES256 signature must be 64 bytes, got 67");
  expect_failure(good.substr(0, good.rfind('.') + 1), "failed to verify signature: ES256 signature must be 64 bytes, got 0");
}

TEST_F(JwtTest, WrongIssuer)
{
  auto claims = supervisor_claims();
  claims["iss"] = R"("https://evil.example.com/issuer")";
  expect_failure(es256(claims), R"(oidc: id token issued by a different provider, expected "https://supervisor.example.com/issuer" got "https://evil.example.com/issuer")");
}

TEST_F(JwtTest, IssuerMustMatchExactly)
{
  auto claims = supervisor_claims();
  claims["iss"] = std::string("\"") + k_issuer + "/\"";
  expect_failure(es256(claims), R"(oidc: id token issued by a different provider, expected "https://supervisor.example.com/issuer" got "https://supervisor.example.com/issuer/")");
}

TEST_F(JwtTest, HostileClaimValuesAreEscapedInMessages)
{
  auto claims = supervisor_claims();
  claims["iss"] = R"("a\nb\"c")";
  expect_failure(es256(claims), R"(oidc: id token issued by a different provider, expected "https://supervisor.example.com/issuer" got "a\nb\"c")");
}

TEST_F(JwtTest, WrongAudience)
{
  auto claims = supervisor_claims();
  claims["aud"] = R"(["other"])";
  expect_failure(es256(claims), R"(oidc: expected audience "pinniped-cli" got ["other"])");
  claims["aud"] = R"(["a","b"])";
  expect_failure(es256(claims), R"(oidc: expected audience "pinniped-cli" got ["a" "b"])");
  claims["aud"] = R"("other")";
  expect_failure(es256(claims), R"(oidc: expected audience "pinniped-cli" got ["other"])");
  claims.erase("aud");
  expect_failure(es256(claims), R"(oidc: expected audience "pinniped-cli" got [])");
}

TEST_F(JwtTest, Expired)
{
  m_options.now = k_exp + 1;
  expect_failure(es256(supervisor_claims()), "oidc: token is expired (Token Expiry: 2025-07-02T12:02:00Z)");
}

TEST_F(JwtTest, MissingExpiryCountsAsExpired)
{
  auto claims = supervisor_claims();
  claims.erase("exp");
  expect_failure(es256(claims), "oidc: token is expired (Token Expiry: none, the exp claim is missing)");
}

TEST_F(JwtTest, NbfTooFarInTheFuture)
{
  auto claims = supervisor_claims();
  claims["nbf"] = std::to_string(m_options.now + 301);
  expect_failure(es256(claims),
                 "oidc: current time 2025-07-02T12:01:00Z before the nbf (not before) time: 2025-07-02T12:06:01Z");
}

TEST_F(JwtTest, MissingNonce)
{
  auto claims = supervisor_claims();
  claims.erase("nonce");
  expect_failure(es256(claims), R"(invalid nonce (expected "ffeeddccbbaa99887766554433221100", got ""))");
}

TEST_F(JwtTest, WrongNonce)
{
  auto claims = supervisor_claims();
  claims["nonce"] = R"("00112233445566778899aabbccddeeff")";
  expect_failure(es256(claims),
                 R"(invalid nonce (expected "ffeeddccbbaa99887766554433221100", got "00112233445566778899aabbccddeeff"))");
  claims["nonce"] = R"("")";
  expect_failure(es256(claims), R"(invalid nonce (expected "ffeeddccbbaa99887766554433221100", got ""))");
}

TEST_F(JwtTest, AtHashMismatch)
{
  m_options.access_token = "some-other-access-token";
  expect_failure(es256(supervisor_claims()), "access token hash does not match value in ID token");
}

TEST_F(JwtTest, AlgorithmNotAllowed)
{
  const std::string token = sign("ES512", nullptr, R"({"alg":"ES512"})", to_json(supervisor_claims())) + "AAAA";
  expect_failure(token, R"(oidc: id token signed with unsupported algorithm, expected ["ES256"] got "ES512")");
}

TEST_F(JwtTest, Es256RejectedWhenDiscoveryAdvertisesNothing)
{
  m_options.allowed_algs.clear();
  expect_failure(es256(supervisor_claims()),
                 R"(oidc: id token signed with unsupported algorithm, expected ["RS256"] got "ES256")");
}

TEST_F(JwtTest, Rs256RejectedWhenOnlyEs256Allowed)
{
  const std::string token = sign("RS256", keys().rsa.get(), R"({"alg":"RS256"})", to_json(supervisor_claims()));
  expect_failure(token, R"(oidc: id token signed with unsupported algorithm, expected ["ES256"] got "RS256")");
}

TEST_F(JwtTest, AlgorithmNoneIsNeverAccepted)
{
  const std::string token = sign("none", nullptr, R"({"alg":"none"})", to_json(supervisor_claims()));
  expect_failure(token, R"(oidc: id token signed with unsupported algorithm, expected ["ES256"] got "none")");
  m_options.allowed_algs = {"none", "ES256"};
  expect_failure(token, R"(oidc: id token signed with unsupported algorithm, expected ["ES256"] got "none")");
  expect_failure(sign("none", nullptr, R"({"typ":"JWT"})", to_json(supervisor_claims())),
                 R"(oidc: id token signed with unsupported algorithm, expected ["ES256"] got "")");
}

TEST_F(JwtTest, AllowedButUnimplementedAlgorithm)
{
  m_options.allowed_algs = {"ES256", "PS256"};
  const std::string token = sign("PS256", nullptr, R"({"alg":"PS256"})", to_json(supervisor_claims())) + "AAAA";
  expect_failure(token, R"(failed to verify signature: unsupported algorithm "PS256")");
}

TEST_F(JwtTest, KidNotFound)
{
  expect_failure(es256(supervisor_claims(), R"({"alg":"ES256","kid":"rotated-away"})"),
                 R"(failed to verify signature: no key with kid "rotated-away" in the JWKS)");
}

TEST_F(JwtTest, KidOfWrongKeyType)
{
  auto jwks = Jwks::parse(jwks_of({rsa_jwk(keys().rsa.get(), "pinniped-supervisor-key")}));
  ASSERT_TRUE(jwks);
  m_jwks = *jwks;
  expect_failure(es256(supervisor_claims(), k_header_kid), "failed to verify signature: no key in the JWKS fits algorithm ES256");
  expect_failure(es256(supervisor_claims()), "failed to verify signature: no key in the JWKS fits algorithm ES256");
}

TEST_F(JwtTest, KeyRestrictedToAnotherAlgorithmIsNotUsed)
{
  std::string jwk = ec_jwk(keys().ec.get(), "k");
  jwk.replace(jwk.find("ES256"), 5, "ES384");
  auto jwks = Jwks::parse(jwks_of({jwk}));
  ASSERT_TRUE(jwks) << jwks.error().message();
  m_jwks = *jwks;
  expect_failure(es256(supervisor_claims()), "failed to verify signature: no key in the JWKS fits algorithm ES256");
}

TEST_F(JwtTest, EmptyJwks)
{
  m_jwks = Jwks{};
  expect_failure(es256(supervisor_claims()), "failed to verify signature: no key in the JWKS fits algorithm ES256");
}

TEST_F(JwtTest, MalformedCompactForms)
{
  const std::string good = es256(supervisor_claims());
  const std::string header = good.substr(0, good.find('.'));
  const std::string payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  const std::string signature = good.substr(good.rfind('.') + 1);
  expect_failure("", "oidc: malformed jwt, expected 3 parts got 1");
  expect_failure("not-a-jwt", "oidc: malformed jwt, expected 3 parts got 1");
  expect_failure(header + "." + payload, "oidc: malformed jwt, expected 3 parts got 2");
  expect_failure(good + ".x", "oidc: malformed jwt, expected 3 parts got 4");
  expect_failure("!" + header + "." + payload + "." + signature, "oidc: malformed jwt header: illegal base64 data");
  expect_failure(header + ".a+b." + signature, "oidc: malformed jwt payload: illegal base64 data");
  expect_failure(header + "." + payload + ".A", "oidc: malformed jwt signature: illegal base64 data");
  expect_failure(header + "." + crypto::base64url_encode("not json") + "." + signature,
                 "oidc: failed to unmarshal claims: Invalid value. (at offset 1)");
  expect_failure(header + "." + crypto::base64url_encode("[1]") + "." + signature,
                 "oidc: failed to unmarshal claims: not a JSON object");
  expect_failure(crypto::base64url_encode("\"ES256\"") + "." + payload + "." + signature,
                 "oidc: malformed jwt header: not a JSON object");
  expect_failure(crypto::base64url_encode(R"({"alg":"ES256","crit":["exp"],"exp":1})") + "." + payload + "." + signature,
                 "oidc: malformed jwt header: unsupported critical header parameters");
  expect_failure(crypto::base64url_encode(R"({"alg":"ES256","kid":5})") + "." + payload + "." + signature,
                 R"(oidc: malformed jwt header: "kid" is not a string)");
}

TEST_F(JwtTest, DuplicateMembersAreRejected)
{
  auto claims = supervisor_claims();
  std::string payload = to_json(claims);
  payload.insert(1, R"("iss":"https://evil.example.com",)");
  expect_failure(sign("ES256", keys().ec.get(), k_header_no_kid, payload),
                 R"(oidc: failed to unmarshal claims: duplicate claim "iss")");
  expect_failure(sign("ES256", keys().ec.get(), R"({"alg":"ES256","alg":"none"})", to_json(claims)),
                 R"(oidc: malformed jwt header: duplicate parameter "alg")");
}

TEST_F(JwtTest, BadlyTypedClaims)
{
  const std::pair<const char*, const char*> cases[] = {
    {"iss", "1"},           {"sub", "true"},         {"aud", "[1]"},        {"aud", "{}"},
    {"exp", R"("soon")"},   {"nbf", "1e300"},        {"exp", "18446744073709551615"},
    {"nonce", "[]"},        {"username", "{}"},      {"groups", "[null]"},  {"at_hash", "0"},
  };
  for (const auto& [name, value] : cases) {
    auto claims = supervisor_claims();
    claims[name] = value;
    auto result = verify(es256(claims), m_jwks, m_options);
    ASSERT_FALSE(result) << name << "=" << value;
    EXPECT_EQ(result.error().kind(), ErrorKind::verification);
    EXPECT_EQ(result.error().message().rfind("oidc: failed to unmarshal claims: \"" + std::string(name) + "\"", 0), 0U)
      << result.error().message();
  }
}

TEST_F(JwtTest, NullClaimsCountAsAbsent)
{
  auto claims = supervisor_claims();
  claims["username"] = "null";
  claims["groups"] = "null";
  claims["nbf"] = "null";
  auto jwt = verify(es256(claims), m_jwks, m_options);
  ASSERT_TRUE(jwt) << jwt.error().message();
  EXPECT_EQ(jwt->username, std::nullopt);
  EXPECT_TRUE(jwt->groups.empty());
  EXPECT_EQ(jwt->nbf, std::nullopt);
}

// ---- decode_unverified and helpers ------------------------------------------------------------

TEST(DecodeUnverifiedTest, DecodesWithoutCheckingAnything)
{
  auto claims = supervisor_claims();
  claims["iss"] = R"("https://anyone.example.com")";
  claims["exp"] = "1";
  const std::string token = sign("none", nullptr, R"({"alg":"none","kid":"k","typ":"JWT"})", to_json(claims));
  auto jwt = decode_unverified(token);
  ASSERT_TRUE(jwt) << jwt.error().message();
  EXPECT_EQ(jwt->header.alg, "none");
  EXPECT_EQ(jwt->header.kid, "k");
  EXPECT_EQ(jwt->iss, "https://anyone.example.com");
  EXPECT_EQ(jwt->exp, 1);
  EXPECT_EQ(jwt->payload_json, to_json(claims));
}

TEST(DecodeUnverifiedTest, MalformedIsVerificationError)
{
  auto jwt = decode_unverified("abc");
  ASSERT_FALSE(jwt);
  EXPECT_EQ(jwt.error().kind(), ErrorKind::verification);
  EXPECT_EQ(jwt.error().message(), "oidc: malformed jwt, expected 3 parts got 1");
}

TEST(FormatRfc3339Test, Vectors)
{
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(1751457720), "2025-07-02T12:02:00Z");
  EXPECT_EQ(format_rfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(-62135596800), "0001-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(253402300799), "9999-12-31T23:59:59Z");
}

} // namespace
} // namespace pinnipedci::jose
