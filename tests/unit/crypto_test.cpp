#include "crypto/crypto.hpp"

#include <gtest/gtest.h>

#include <openssl/err.h>

#include <set>
#include <string>

namespace pinnipedci::crypto {
namespace {

// docs/pinniped-protocol.md section 10.2.
TEST(CryptoTest, PkceChallengeVectors)
{
  EXPECT_EQ(pkce_challenge_s256("test-pkce"), "VVaezYqum7reIhoavCHD1n2d-piN3r_mywoYj7fCR7g");
  EXPECT_EQ(pkce_challenge_s256("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
            "qK5ubukpq-o6_PxSWMjM1vhSc-DUYm0mxyefMlD3fI4");
}

TEST(CryptoTest, AtHashVector)
{
  EXPECT_EQ(at_hash_sha256("pin_at_example-access-token"), "mtvCUKnTuToC8dVN11CEXw");
}

TEST(CryptoTest, BasicAuthVector)
{
  EXPECT_EQ(base64_encode("pinniped-cli:"), "cGlubmlwZWQtY2xpOg==");
}

// docs/pinniped-protocol.md section 10.8.
TEST(CryptoTest, CredentialCacheKeyVectors)
{
  EXPECT_EQ(hex_lower(sha256("{\"args\":[\"login\",\"static\",\"--token=test-token\"],\"token\":\"test-token\","
                             "\"cluster\":null}\n")),
            "47bf3fc934cb6517ff51a6755b80816cb705bf40480c36df055c95c25ef88a3b");
  const std::string args = "{\"args\":[\"login\",\"oidc\",\"--issuer=https://supervisor.example.com/issuer\","
                           "\"--client-id=pinniped-cli\",\"--scopes=offline_access,openid,"
                           "pinniped:request-audience,username,groups\",\"--upstream-identity-provider-name=my-ldap\","
                           "\"--upstream-identity-provider-type=ldap\","
                           "\"--upstream-identity-provider-flow=cli_password\"],";
  EXPECT_EQ(hex_lower(sha256(args + "\"cluster\":null}\n")),
            "394a60797a6c5ef7618cb83dc68ba480e33cfc07986ea7b6e6f07d316232477d");
  EXPECT_EQ(hex_lower(sha256(args + "\"cluster\":{\"server\":\"https://127.0.0.1:6443\","
                                    "\"certificate-authority-data\":\"ZmFrZS1jYQ==\",\"config\":null}}\n")),
            "e3a28f20dfaa2982f0ad732ea571a6ff6f775042575d042a58acf8506db61b16");
}

TEST(CryptoTest, Sha256KnownAnswers)
{
  EXPECT_EQ(hex_lower(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_lower(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abc").size(), 32U);
}

TEST(CryptoTest, HexLower)
{
  EXPECT_EQ(hex_lower(""), "");
  EXPECT_EQ(hex_lower(std::string("\x00\x01\xab\xff", 4)), "0001abff");
}

// RFC 4648 section 10.
TEST(CryptoTest, Base64Rfc4648Vectors)
{
  const std::pair<const char*, const char*> vectors[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
}

TEST(CryptoTest, Base64RoundTripsEveryByteAndLength)
{
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  for (std::size_t len = 0; len <= all.size(); ++len) {
    const std::string input = all.substr(all.size() - len);
    ASSERT_EQ(base64_decode(base64_encode(input)), input) << len;
    const std::string url = base64url_encode(input);
    ASSERT_EQ(url.find_first_of("+/="), std::string::npos) << len;
    ASSERT_EQ(base64url_decode(url), input) << len;
  }
}

TEST(CryptoTest, Base64UrlAlphabetAndPadding)
{
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff");
  EXPECT_EQ(base64url_decode("-_8="), "\xfb\xff"); // padding accepted
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_EQ(base64url_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zg"), "f"); // missing padding accepted
  EXPECT_EQ(base64_decode("Zm9v\r\nYmFy"), "foobar"); // line breaks skipped, as Go does
}

TEST(CryptoTest, Base64RejectsInvalidInput)
{
  EXPECT_FALSE(base64_decode("-_8="));   // URL alphabet in standard decoding
  EXPECT_FALSE(base64url_decode("+/8")); // standard alphabet in URL decoding
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Zm 9v"));
  EXPECT_FALSE(base64_decode("Z"));      // impossible length
  EXPECT_FALSE(base64_decode("Zm9vY"));  // impossible length
  EXPECT_FALSE(base64_decode("Zg="));    // padding present but length not a multiple of 4
  EXPECT_FALSE(base64_decode("Zg==="));
  EXPECT_FALSE(base64_decode("Z==="));
  EXPECT_FALSE(base64_decode("Zg==Zg==")); // padding in the middle
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64url_decode("a.b"));
  EXPECT_FALSE(base64url_decode("Zm9v\n")); // no whitespace in URL-safe form
  EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4)));
}

TEST(CryptoTest, RandomHexHasLengthAndCharset)
{
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) {
    auto hex = random_hex(16);
    ASSERT_TRUE(hex) << hex.error().message();
    EXPECT_EQ(hex->size(), 32U);
    EXPECT_EQ(hex->find_first_not_of("0123456789abcdef"), std::string::npos) << *hex;
    seen.insert(*hex);
  }
  EXPECT_EQ(seen.size(), 8U);
  auto verifier = random_hex(32);
  ASSERT_TRUE(verifier);
  EXPECT_EQ(verifier->size(), 64U);
  auto bytes = random_bytes(5);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 5U);
  auto none = random_bytes(0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(CryptoTest, ConstantTimeEqual)
{
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("nonce", "nonce"));
  EXPECT_FALSE(constant_time_equal("nonce", "nonc"));
  EXPECT_FALSE(constant_time_equal("nonce", "Nonce"));
  EXPECT_FALSE(constant_time_equal("", "x"));
}

TEST(CryptoTest, DrainOpensslErrorsEmptiesQueue)
{
  EXPECT_EQ(drain_openssl_errors(), "");
  ERR_raise(ERR_LIB_EVP, ERR_R_PASSED_NULL_PARAMETER);
  ERR_raise(ERR_LIB_EVP, ERR_R_MALLOC_FAILURE);
  const std::string text = drain_openssl_errors();
  EXPECT_NE(text.find("; "), std::string::npos) << text;
  EXPECT_EQ(ERR_peek_error(), 0UL);
  EXPECT_EQ(drain_openssl_errors(), "");
}

} // namespace
} // namespace pinnipedci::crypto
