// SPDX-License-Identifier: Apache-2.0
// Self-test of the Pinniped emulator, driven with cpp-httplib's SSLClient (never with the
// project's core, so the emulator can be trusted when it is used to test the core).
// Expected strings come from docs/pinniped-protocol.md sections 7 and 10.
#include "emulator.hpp"
#include "internal.hpp"

#include <httplib.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace {

using namespace pinnipedci::testing;
namespace d = pinnipedci::testing::detail;

constexpr const char* k_verifier = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr const char* k_challenge = "qK5ubukpq-o6_PxSWMjM1vhSc-DUYm0mxyefMlD3fI4";
constexpr const char* k_state = "00112233445566778899aabbccddeeff";
constexpr const char* k_nonce = "ffeeddccbbaa99887766554433221100";
constexpr const char* k_redirect = "http://127.0.0.1:0/callback";
constexpr const char* k_password = "emulator-bot-password";
constexpr const char* k_basic = "Basic cGlubmlwZWQtY2xpOg==";
constexpr const char* k_exchange_grant = "urn:ietf:params:oauth:grant-type:token-exchange";
constexpr const char* k_desc_denied = "The resource owner or authorization server denied the request.";

int port_of(const std::string& url)
{
  return std::stoi(url.substr(url.rfind(':') + 1));
}

X509_STORE* store_from_pem(const std::string& pem)
{
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, cert);
  X509_free(cert);
  return store;
}

std::map<std::string, std::string> query_of(const std::string& location)
{
  std::map<std::string, std::string> out;
  const auto q = location.find('?');
  if (q != std::string::npos) {
    for (const auto& [k, v] : d::parse_form(std::string_view(location).substr(q + 1))) {
      out[k] = v;
    }
  }
  return out;
}

// One request over a fresh TLS connection, returning the raw response bytes (httplib's client
// URL-decodes response header values, which hides the exact Location encoding).
std::string raw_https(int port, const std::string& ca_pem, const std::string& request)
{
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_cert_store(ctx, store_from_pem(ca_pem));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  BIO* bio = BIO_new_ssl_connect(ctx);
  BIO_set_conn_hostname(bio, ("127.0.0.1:" + std::to_string(port)).c_str());
  SSL* ssl = nullptr;
  BIO_get_ssl(bio, &ssl);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  std::string response;
  if (BIO_do_connect(bio) == 1 && BIO_write(bio, request.data(), static_cast<int>(request.size())) > 0) {
    char buf[4096];
    int n = 0;
    while ((n = BIO_read(bio, buf, sizeof buf)) > 0) {
      response.append(buf, static_cast<std::size_t>(n));
    }
  }
  BIO_free_all(bio);
  SSL_CTX_free(ctx);
  return response;
}

std::string header_of(const std::string& response, const std::string& name)
{
  const auto at = response.find("\r\n" + name + ": ");
  if (at == std::string::npos) {
    return {};
  }
  const auto start = at + name.size() + 4;
  return response.substr(start, response.find("\r\n", start) - start);
}

rapidjson::Document parse_json(const std::string& text)
{
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  return doc;
}

rapidjson::Document jwt_part(const std::string& jwt, int index)
{
  std::string_view rest = jwt;
  for (int i = 0; i < index; ++i) {
    rest = rest.substr(rest.find('.') + 1);
  }
  const auto decoded = d::base64url_decode(rest.substr(0, rest.find('.')));
  return parse_json(decoded.value_or(""));
}

struct AuthorizeParams
{
  std::string client_id = "pinniped-cli";
  std::string redirect_uri = k_redirect;
  std::string scope = "groups offline_access openid pinniped:request-audience username";
  std::string state = k_state;
  std::string nonce = k_nonce;
  std::string challenge = k_challenge;
  std::string method = "S256";
  std::string idp = "my-ldap";
  std::string response_type = "code";
};

class EmulatorTest : public ::testing::Test
{
protected:
  void SetUp() override { start(EmulatorConfig{}); }

  void start(EmulatorConfig cfg)
  {
    m_supervisor.reset();
    m_api.reset();
    m_emu.reset();
    m_emu = std::make_unique<Emulator>(std::move(cfg));
    m_emu->start();
  }

  // Cached keep-alive clients: httplib's SSLClient also loads the system trust store on first use,
  // which costs tens of milliseconds per client.
  httplib::SSLClient* supervisor()
  {
    if (!m_supervisor) {
      m_supervisor = new_supervisor_client();
    }
    return m_supervisor.get();
  }

  httplib::SSLClient* api()
  {
    if (!m_api) {
      m_api = api_client();
    }
    return m_api.get();
  }

  std::unique_ptr<httplib::SSLClient> new_supervisor_client() const
  {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port_of(m_emu->supervisor_url()));
    c->set_keep_alive(true);
    c->set_ca_cert_store(store_from_pem(m_emu->supervisor_ca_pem()));
    c->set_tcp_nodelay(true);
    c->set_url_encode(false); // send our form-encoded query verbatim (httplib would turn '+' into %2B)
    c->enable_server_certificate_verification(true);
    return c;
  }

  std::unique_ptr<httplib::SSLClient> api_client(const std::string& cert_pem = {}, const std::string& key_pem = {}) const
  {
    std::unique_ptr<httplib::SSLClient> c;
    if (cert_pem.empty()) {
      c = std::make_unique<httplib::SSLClient>("127.0.0.1", port_of(m_emu->api_url()));
    } else {
      BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
      BIO* kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
      X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
      EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
      c = std::make_unique<httplib::SSLClient>("127.0.0.1", port_of(m_emu->api_url()), cert, key);
      X509_free(cert);
      EVP_PKEY_free(key);
      BIO_free(cb);
      BIO_free(kb);
    }
    c->set_keep_alive(true);
    c->set_ca_cert_store(store_from_pem(m_emu->api_ca_pem()));
    c->set_tcp_nodelay(true);
    c->enable_server_certificate_verification(true);
    return c;
  }

  std::string path(const std::string& suffix) const { return "/issuer" + suffix; }

  static std::string authorize_query(const AuthorizeParams& p)
  {
    std::vector<std::pair<std::string, std::string>> v = {
        {"access_type", "offline"},          {"client_id", p.client_id},
        {"code_challenge", p.challenge},     {"code_challenge_method", p.method},
        {"nonce", p.nonce},                  {"redirect_uri", p.redirect_uri},
        {"response_type", p.response_type},  {"scope", p.scope},
        {"state", p.state}};
    if (!p.idp.empty()) {
      v.emplace_back("pinniped_idp_name", p.idp);
      v.emplace_back("pinniped_idp_type", "ldap");
    }
    return d::form_encode(v);
  }

  httplib::Result authorize(const AuthorizeParams& p = {}, const std::string& user = "ci-bot",
                            const std::string& password = k_password)
  {
    return supervisor()->Get(path("/oauth2/authorize?" + authorize_query(p)).c_str(),
                             {{"Pinniped-Username", user}, {"Pinniped-Password", password}});
  }

  std::string raw_authorize(const AuthorizeParams& p, const std::string& password)
  {
    return raw_https(port_of(m_emu->supervisor_url()), m_emu->supervisor_ca_pem(),
                     "GET " + path("/oauth2/authorize?" + authorize_query(p)) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         + "Pinniped-Username: ci-bot\r\nPinniped-Password: " + password
                         + "\r\nConnection: close\r\n\r\n");
  }

  std::string code(const AuthorizeParams& p = {})
  {
    auto res = authorize(p);
    EXPECT_TRUE(res);
    if (!res) {
      return {};
    }
    EXPECT_EQ(res->status, 302);
    return query_of(res->get_header_value("Location"))["code"];
  }

  httplib::Result token(const std::string& body, bool basic = true)
  {
    httplib::Headers headers;
    if (basic) {
      headers.emplace("Authorization", k_basic);
    }
    return supervisor()->Post(path("/oauth2/token").c_str(), headers, body, "application/x-www-form-urlencoded");
  }

  httplib::Result redeem(const std::string& c, bool basic = true)
  {
    std::string body = d::form_encode({{"code", c}, {"code_verifier", k_verifier},
                                       {"grant_type", "authorization_code"}, {"redirect_uri", k_redirect}});
    if (!basic) {
      body += "&client_id=pinniped-cli";
    }
    return token(body, basic);
  }

  // Full login: returns the token response JSON.
  rapidjson::Document login()
  {
    auto res = redeem(code());
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    return parse_json(res->body);
  }

  httplib::Result exchange(const std::vector<std::pair<std::string, std::string>>& overrides,
                           const std::string& access_token)
  {
    std::map<std::string, std::string> params = {
        {"audience", "workload-cluster-1"},
        {"client_id", "pinniped-cli"},
        {"grant_type", k_exchange_grant},
        {"requested_token_type", "urn:ietf:params:oauth:token-type:jwt"},
        {"subject_token", access_token},
        {"subject_token_type", "urn:ietf:params:oauth:token-type:access_token"}};
    for (const auto& [k, v] : overrides) {
      params[k] = v;
    }
    std::vector<std::pair<std::string, std::string>> v;
    for (const auto& [k, val] : params) {
      if (val != "<absent>") {
        v.emplace_back(k, val);
      }
    }
    return token(d::form_encode(v), false);
  }

  std::string exchanged_jwt()
  {
    const auto tokens = login();
    auto res = exchange({}, tokens["access_token"].GetString());
    EXPECT_EQ(res->status, 200);
    return parse_json(res->body)["access_token"].GetString();
  }

  httplib::Result tcr(const std::string& token_value, const std::string& kind = "JWTAuthenticator",
                      const std::string& name = "supervisor-jwt", const std::string& suffix = "pinniped.dev",
                      const std::string& prefix = "")
  {
    rapidjson::StringBuffer buf;
    d::JsonWriter w(buf);
    w.StartObject();
    d::jkv(w, "kind", "TokenCredentialRequest");
    d::jkv(w, "apiVersion", "login.concierge." + suffix + "/v1alpha1");
    d::jkey(w, "spec");
    w.StartObject();
    d::jkv(w, "token", token_value);
    d::jkey(w, "authenticator");
    w.StartObject();
    d::jkv(w, "apiGroup", "authentication.concierge." + suffix);
    d::jkv(w, "kind", kind);
    d::jkv(w, "name", name);
    w.EndObject();
    w.EndObject();
    w.EndObject();
    return api()->Post((prefix + "/apis/login.concierge." + suffix + "/v1alpha1/tokencredentialrequests").c_str(),
                       buf.GetString(), "application/json");
  }

  std::unique_ptr<Emulator> m_emu;
  std::unique_ptr<httplib::SSLClient> m_supervisor;
  std::unique_ptr<httplib::SSLClient> m_api;
};

void expect_redirect_error(const httplib::Result& res, const std::string& error, const std::string& description)
{
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 302);
  const std::string location = res->get_header_value("Location");
  EXPECT_EQ(location.rfind(std::string(k_redirect) + "?error=", 0), 0U) << location;
  auto q = query_of(location);
  EXPECT_EQ(q["error"], error);
  EXPECT_EQ(q["error_description"], description);
  EXPECT_EQ(q["state"], k_state);
}

d::PkeyPtr key_from_jwks(const std::string& jwks)
{
  auto doc = parse_json(jwks);
  const auto& key = doc["keys"][0];
  const std::string pub = "\x04" + d::base64url_decode(key["x"].GetString()).value()
                          + d::base64url_decode(key["y"].GetString()).value();
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_fromdata_init(ctx);
  EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return d::PkeyPtr(pkey);
}

// ---- discovery -------------------------------------------------------------------------------

TEST_F(EmulatorTest, DiscoveryDocumentMatchesSupervisor)
{
  auto res = supervisor()->Get(path("/.well-known/openid-configuration").c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const std::string iss = m_emu->issuer();
  EXPECT_EQ(iss, m_emu->supervisor_url() + "/issuer");
  EXPECT_EQ(res->body,
            R"({"issuer":")" + iss + R"(","authorization_endpoint":")" + iss + R"(/oauth2/authorize","token_endpoint":")"
                + iss + R"(/oauth2/token","jwks_uri":")" + iss
                + R"(/jwks.json","response_types_supported":["code"],"response_modes_supported":["query","form_post"],)"
                  R"("subject_types_supported":["public"],"id_token_signing_alg_values_supported":["ES256"],)"
                  R"("token_endpoint_auth_methods_supported":["client_secret_basic"],)"
                  R"("scopes_supported":["openid","offline_access","pinniped:request-audience","username","groups"],)"
                  R"("claims_supported":["username","groups","additionalClaims"],"code_challenge_methods_supported":["S256"],)"
                  R"("discovery.supervisor.pinniped.dev/v1alpha1":{"pinniped_identity_providers_endpoint":")"
                + iss + R"(/v1alpha1/pinniped_identity_providers"}})");

  auto post = supervisor()->Post(path("/.well-known/openid-configuration").c_str(), "", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->body, "Method not allowed (try GET)");
  EXPECT_EQ(m_emu->count("discovery"), 2U);
}

TEST_F(EmulatorTest, ResponsesAreNeverCompressed)
{
  const std::string raw = raw_https(port_of(m_emu->supervisor_url()), m_emu->supervisor_ca_pem(),
                                    "GET /issuer/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n"
                                    "Connection: close\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0U);
  EXPECT_EQ(header_of(raw, "Content-Encoding"), "");
  EXPECT_NE(raw.find("\r\n\r\n{\"keys\":["), std::string::npos) << raw;
  EXPECT_NE(m_emu->requests().back().raw.find("Accept-Encoding: gzip\r\n"), std::string::npos);
}

TEST_F(EmulatorTest, IdpDiscoverySortsAndListsFlowsPerType)
{
  EmulatorConfig cfg;
  cfg.idps = {UpstreamIdp{"z-oidc", IdpType::oidc, true, {}, {}, {}},
              UpstreamIdp{"b-oidc", IdpType::oidc, false, {}, {}, {}},
              UpstreamIdp{"a-ad", IdpType::activedirectory, false, {}, {}, {}}};
  start(cfg);
  auto res = supervisor()->Get(path("/v1alpha1/pinniped_identity_providers").c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body,
            R"({"pinniped_identity_providers":[)"
            R"({"name":"a-ad","type":"activedirectory","flows":["cli_password","browser_authcode"]},)"
            R"({"name":"b-oidc","type":"oidc","flows":["browser_authcode"]},)"
            R"({"name":"z-oidc","type":"oidc","flows":["browser_authcode","cli_password"]}],)"
            R"("pinniped_supported_identity_provider_types":[{"type":"activedirectory"},{"type":"github"},)"
            R"({"type":"ldap"},{"type":"oidc"}]})");
}

TEST_F(EmulatorTest, JwksHasOneP256Key)
{
  auto res = supervisor()->Get(path("/jwks.json").c_str());
  ASSERT_TRUE(res);
  auto doc = parse_json(res->body);
  ASSERT_TRUE(doc.IsObject());
  ASSERT_EQ(doc["keys"].Size(), 1U);
  const auto& k = doc["keys"][0];
  EXPECT_STREQ(k["use"].GetString(), "sig");
  EXPECT_STREQ(k["kty"].GetString(), "EC");
  EXPECT_STREQ(k["kid"].GetString(), "pinniped-supervisor-key");
  EXPECT_STREQ(k["crv"].GetString(), "P-256");
  EXPECT_STREQ(k["alg"].GetString(), "ES256");
  EXPECT_EQ(d::base64url_decode(k["x"].GetString())->size(), 32U);
  EXPECT_EQ(d::base64url_decode(k["y"].GetString())->size(), 32U);
  EXPECT_EQ(m_emu->requests().back().kind, "jwks");
}

// ---- authorize -------------------------------------------------------------------------------

TEST_F(EmulatorTest, AuthorizeSuccessRedirectsWithCodeScopeAndState)
{
  auto res = authorize();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 302);
  const std::string location = header_of(raw_authorize({}, k_password), "Location");
  const std::string prefix = std::string(k_redirect) + "?code=pin_ac_";
  EXPECT_EQ(location.rfind(prefix, 0), 0U) << location;
  const std::string tail = "&scope=openid+offline_access+pinniped%3Arequest-audience+username+groups&state="
                           + std::string(k_state);
  EXPECT_EQ(location.substr(location.size() - tail.size()), tail);

  const auto log = m_emu->requests();
  ASSERT_EQ(log.size(), 2U);
  EXPECT_EQ(log[0].kind, "authorize_password");
  EXPECT_EQ(log[0].status, 302);
  EXPECT_EQ(log[0].user, "ci-bot");
  // Wire bytes: the request line is exactly doc 10.3's realistic vector.
  EXPECT_EQ(log[0].raw.rfind(
                "GET /issuer/oauth2/authorize?access_type=offline&client_id=pinniped-cli&code_challenge="
                "qK5ubukpq-o6_PxSWMjM1vhSc-DUYm0mxyefMlD3fI4&code_challenge_method=S256&nonce="
                "ffeeddccbbaa99887766554433221100&pinniped_idp_name=my-ldap&pinniped_idp_type=ldap&redirect_uri="
                "http%3A%2F%2F127.0.0.1%3A0%2Fcallback&response_type=code&scope=groups+offline_access+openid+"
                "pinniped%3Arequest-audience+username&state=00112233445566778899aabbccddeeff HTTP/1.1\r\n",
                0),
            0U)
      << log[0].raw;
  EXPECT_NE(log[0].raw.find("Pinniped-Password: emulator-bot-password\r\n"), std::string::npos);
}

TEST_F(EmulatorTest, AuthorizeGrantsUsernameAndGroupsEvenIfNotRequested)
{
  AuthorizeParams p;
  p.scope = "openid";
  auto res = authorize(p);
  ASSERT_TRUE(res);
  EXPECT_EQ(query_of(res->get_header_value("Location"))["scope"], "openid username groups");
}

TEST_F(EmulatorTest, AuthorizeWrongPasswordIsLdapAccessDenied)
{
  expect_redirect_error(authorize({}, "ci-bot", "wrong"), "access_denied",
                        std::string(k_desc_denied) + " Username/password not accepted by LDAP provider.");
  const std::string raw = raw_authorize({}, "wrong");
  EXPECT_EQ(raw.rfind("HTTP/1.1 302 Found\r\n", 0), 0U) << raw;
  EXPECT_EQ(header_of(raw, "Location"),
            "http://127.0.0.1:0/callback?error=access_denied&error_description=The+resource+owner+or+authorization+"
            "server+denied+the+request.+Username%2Fpassword+not+accepted+by+LDAP+provider.&state="
                + std::string(k_state));
  EXPECT_EQ(header_of(raw, "Content-Type"), "application/json; charset=utf-8");
}

TEST_F(EmulatorTest, AuthorizeBlankCredentials)
{
  expect_redirect_error(authorize({}, "ci-bot", ""), "access_denied",
                        std::string(k_desc_denied) + " Missing or blank username or password.");
}

TEST_F(EmulatorTest, AuthorizeIdpSelection)
{
  AuthorizeParams p;
  p.idp = "nope";
  auto res = authorize(p);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_NE(res->body.find("'pinniped_idp_name' param error: did not find IDP with name 'nope'"), std::string::npos);

  p.idp = ""; // exactly one IDP: used by default
  EXPECT_EQ(authorize(p)->status, 302);

  EmulatorConfig cfg;
  cfg.idps.push_back(UpstreamIdp{"other", IdpType::ldap, false, "h:636", "dc=x", {}});
  start(cfg);
  EXPECT_EQ(authorize(p)->status, 400);
  p.idp = "other";
  EXPECT_EQ(authorize(p)->status, 302);
}

TEST_F(EmulatorTest, AuthorizeClientAndRedirectUriProblemsAreJsonBodies)
{
  AuthorizeParams p;
  p.client_id = "someone-else";
  auto res = authorize(p);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_STREQ(parse_json(res->body)["error"].GetString(), "invalid_client");

  p = {};
  p.redirect_uri = "http://localhost:0/callback";
  res = authorize(p);
  EXPECT_EQ(res->status, 400);
  EXPECT_STREQ(parse_json(res->body)["error"].GetString(), "invalid_request");
  EXPECT_FALSE(res->has_header("Location"));

  p.redirect_uri = "http://127.0.0.1:48095/callback"; // any loopback port is fine
  EXPECT_EQ(authorize(p)->status, 302);
}

TEST_F(EmulatorTest, AuthorizeValidationErrorsAreRedirects)
{
  AuthorizeParams p;
  p.state = "short";
  {
    auto res = authorize(p);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 302);
    EXPECT_EQ(query_of(res->get_header_value("Location"))["error"], "invalid_state");
    EXPECT_EQ(query_of(res->get_header_value("Location"))["state"], "short");
  }
  p = {};
  p.scope = "openid admin";
  EXPECT_EQ(query_of(authorize(p)->get_header_value("Location"))["error"], "invalid_scope");
  p = {};
  p.challenge = "";
  expect_redirect_error(authorize(p), "invalid_request",
                        "The request is missing a required parameter, includes an invalid parameter value, includes a "
                        "parameter more than once, or is otherwise malformed. Clients must include a code_challenge "
                        "when performing the authorize code flow, but it is missing.");
  p = {};
  p.method = "plain";
  EXPECT_EQ(query_of(authorize(p)->get_header_value("Location"))["error"], "invalid_request");
  p = {};
  p.response_type = "token";
  EXPECT_EQ(query_of(authorize(p)->get_header_value("Location"))["error"], "unsupported_response_type");

  auto put = supervisor()->Put(path("/oauth2/authorize").c_str(), "", "text/plain");
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(put->body, "PUT (try GET or POST)");
}

TEST_F(EmulatorTest, AuthorizeOidcWithoutPasswordGrant)
{
  EmulatorConfig cfg;
  cfg.idps = {UpstreamIdp{"my-ldap", IdpType::oidc, false, {}, {}, "https://up.example.com"}};
  start(cfg);
  expect_redirect_error(authorize(), "access_denied",
                        std::string(k_desc_denied)
                            + " Resource owner password credentials grant is not allowed for this upstream provider "
                              "according to its configuration.");
}

// ---- token endpoint --------------------------------------------------------------------------

TEST_F(EmulatorTest, CodeRedemptionWithBasicAuthIssuesValidIdToken)
{
  auto res = redeem(code());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json;charset=UTF-8");
  EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(res->get_header_value("Pragma"), "no-cache");
  auto body = parse_json(res->body);
  const std::string at = body["access_token"].GetString();
  EXPECT_EQ(at.rfind("pin_at_", 0), 0U);
  EXPECT_EQ(std::string(body["refresh_token"].GetString()).rfind("pin_rt_", 0), 0U);
  EXPECT_EQ(body["expires_in"].GetInt(), 119);
  EXPECT_STREQ(body["scope"].GetString(), "groups offline_access openid pinniped:request-audience username");
  EXPECT_STREQ(body["token_type"].GetString(), "bearer");

  const auto log = m_emu->requests();
  EXPECT_EQ(log.back().kind, "token_authcode");
  EXPECT_EQ(log.back().client_auth, "basic");
  EXPECT_EQ(log.back().user, "ci-bot");
  EXPECT_NE(log.back().raw.find("Authorization: Basic cGlubmlwZWQtY2xpOg==\r\n"), std::string::npos);

  const std::string idt = body["id_token"].GetString();
  EXPECT_EQ(d::base64url_decode(idt.substr(0, idt.find('.'))).value(), R"({"alg":"ES256","typ":"JWT"})");
  const auto key = key_from_jwks(supervisor()->Get(path("/jwks.json").c_str())->body);
  auto claims = d::es256_verify_jws(key.get(), idt);
  ASSERT_TRUE(claims);
  EXPECT_EQ(d::json_string_member(*claims, "iss"), m_emu->issuer());
  EXPECT_EQ(d::json_string_array(*claims, "aud"), std::vector<std::string>{"pinniped-cli"});
  EXPECT_EQ(d::json_string_member(*claims, "azp"), "pinniped-cli");
  EXPECT_EQ(d::json_string_member(*claims, "nonce"), k_nonce);
  EXPECT_EQ(d::json_string_member(*claims, "at_hash"), d::at_hash(at));
  EXPECT_EQ(d::json_string_member(*claims, "username"), "ci-bot");
  EXPECT_EQ(d::json_string_array(*claims, "groups"), (std::vector<std::string>{"ci-robots", "deployers"}));
  EXPECT_EQ(d::json_string_member(*claims, "sub"),
            "ldaps://ldap.example.com:636?base=ou%3Dusers%2Cdc%3Dexample%2Cdc%3Dcom&idpName=my-ldap&sub=uid-ci-bot");
  EXPECT_EQ((*claims)["exp"].GetInt64() - (*claims)["iat"].GetInt64(), 120);
  EXPECT_TRUE(claims->HasMember("jti") && claims->HasMember("auth_time") && claims->HasMember("rat"));

}

TEST_F(EmulatorTest, KnownHashVectors)
{
  EXPECT_EQ(d::at_hash("pin_at_example-access-token"), "mtvCUKnTuToC8dVN11CEXw");
  EXPECT_EQ(d::base64url_encode(d::sha256(k_verifier)), k_challenge);
}

TEST_F(EmulatorTest, CodeRedemptionWithClientIdInBody)
{
  auto res = redeem(code(), false);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(m_emu->requests().back().client_auth, "body");
}

TEST_F(EmulatorTest, CodeReuseAndMismatchesAreRejected)
{
  const std::string c = code();
  auto bad_pkce = token(d::form_encode({{"code", c}, {"code_verifier", std::string(43, 'a')},
                                        {"grant_type", "authorization_code"}, {"redirect_uri", k_redirect}}));
  EXPECT_EQ(bad_pkce->status, 400);
  EXPECT_NE(parse_json(bad_pkce->body)["error_description"].GetString(),
            std::string{});
  EXPECT_NE(bad_pkce->body.find("The PKCE code challenge did not match the code verifier."), std::string::npos);
  auto bad_redirect = token(d::form_encode({{"code", c}, {"code_verifier", k_verifier},
                                            {"grant_type", "authorization_code"},
                                            {"redirect_uri", "http://127.0.0.1:1/callback"}}));
  EXPECT_NE(bad_redirect->body.find("does not match the one from the authorize request."), std::string::npos);

  EXPECT_EQ(redeem(c)->status, 200); // failed attempts do not consume the code
  auto again = redeem(c);
  EXPECT_EQ(again->status, 400);
  auto err = parse_json(again->body);
  EXPECT_STREQ(err["error"].GetString(), "invalid_grant");
  EXPECT_NE(std::string(err["error_description"].GetString()).find("The authorization code has already been used."),
            std::string::npos);
}

TEST_F(EmulatorTest, RejectBasicAuthForcesBodyFallback)
{
  m_emu->update_faults([](Faults& f) { f.reject_basic_auth = true; });
  const std::string c = code();
  auto first = redeem(c, true);
  EXPECT_EQ(first->status, 401);
  EXPECT_STREQ(parse_json(first->body)["error"].GetString(), "invalid_client");
  EXPECT_EQ(redeem(c, false)->status, 200);
}

TEST_F(EmulatorTest, RefreshRotatesAndCanBeRevoked)
{
  auto tokens = login();
  const std::string rt1 = tokens["refresh_token"].GetString();
  auto res = token("grant_type=refresh_token&refresh_token=" + d::query_escape(rt1));
  ASSERT_EQ(res->status, 200) << res->body;
  auto refreshed = parse_json(res->body);
  const std::string rt2 = refreshed["refresh_token"].GetString();
  EXPECT_NE(rt1, rt2);
  auto claims = jwt_part(refreshed["id_token"].GetString(), 1);
  EXPECT_FALSE(claims.HasMember("nonce"));
  EXPECT_EQ(d::json_string_member(claims, "at_hash"), d::at_hash(refreshed["access_token"].GetString()));
  EXPECT_EQ(m_emu->requests().back().kind, "token_refresh");

  EXPECT_EQ(token("grant_type=refresh_token&refresh_token=" + d::query_escape(rt1))->status, 400);

  m_emu->revoke_refresh_tokens();
  auto revoked = token("grant_type=refresh_token&refresh_token=" + d::query_escape(rt2));
  EXPECT_EQ(revoked->status, 401);
  auto err = parse_json(revoked->body);
  EXPECT_STREQ(err["error"].GetString(), "error");
  EXPECT_EQ(std::string(err["error_description"].GetString()).rfind("Error during upstream refresh.", 0), 0U);
}

TEST_F(EmulatorTest, TokenExchange)
{
  auto tokens = login();
  const std::string at = tokens["access_token"].GetString();
  auto res = exchange({}, at);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json;charset=UTF-8");
  auto body = parse_json(res->body);
  EXPECT_STREQ(body["issued_token_type"].GetString(), "urn:ietf:params:oauth:token-type:jwt");
  EXPECT_STREQ(body["token_type"].GetString(), "N_A");
  auto claims = jwt_part(body["access_token"].GetString(), 1);
  EXPECT_EQ(d::json_string_array(claims, "aud"), std::vector<std::string>{"workload-cluster-1"});
  EXPECT_FALSE(claims.HasMember("nonce"));
  EXPECT_FALSE(claims.HasMember("at_hash"));
  EXPECT_EQ(d::json_string_member(claims, "username"), "ci-bot");
  EXPECT_EQ(m_emu->requests().back().kind, "token_exchange");

  auto hint = [&](const std::vector<std::pair<std::string, std::string>>& o) {
    auto r = exchange(o, at);
    return std::to_string(r->status) + " " + d::json_string_member(parse_json(r->body), "error_description");
  };
  const std::string ir = "400 The request is missing a required parameter, includes an invalid parameter value, "
                         "includes a parameter more than once, or is otherwise malformed. ";
  EXPECT_EQ(hint({{"audience", "<absent>"}}), ir + "Missing 'audience' parameter.");
  EXPECT_EQ(hint({{"subject_token", "<absent>"}}), ir + "Missing 'subject_token' parameter.");
  EXPECT_EQ(hint({{"subject_token_type", "x"}}),
            ir + "Unsupported 'subject_token_type' parameter value, must be "
                 "\"urn:ietf:params:oauth:token-type:access_token\".");
  EXPECT_EQ(hint({{"requested_token_type", "x"}}),
            ir + "Unsupported 'requested_token_type' parameter value, must be \"urn:ietf:params:oauth:token-type:jwt\".");
  EXPECT_EQ(hint({{"scope", "openid"}}), ir + "Unsupported parameter \"scope\".");
  EXPECT_EQ(hint({{"audience", "x.pinniped.dev"}}), ir + "requested audience cannot contain '.pinniped.dev'");
  EXPECT_EQ(hint({{"audience", "pinniped-cli"}}), ir + "requested audience cannot equal 'pinniped-cli'");
  EXPECT_EQ(hint({{"audience", "no-dot-needed"}}).substr(0, 3), "200");
  EXPECT_EQ(hint({{"subject_token", "pin_at_bogus"}}),
            "401 The request could not be authorized. Invalid 'subject_token' parameter value.");
}

// ---- Concierge and API server ------------------------------------------------------------------

TEST_F(EmulatorTest, TokenCredentialRequestIssuesClientCertificate)
{
  auto res = tcr(exchanged_jwt());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  auto body = parse_json(res->body);
  EXPECT_STREQ(body["kind"].GetString(), "TokenCredentialRequest");
  EXPECT_STREQ(body["apiVersion"].GetString(), "login.concierge.pinniped.dev/v1alpha1");
  const auto& cred = body["status"]["credential"];
  const std::string cert_pem = cred["clientCertificateData"].GetString();
  const std::string key_pem = cred["clientKeyData"].GetString();
  EXPECT_EQ(key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0U);
  const std::string expiry = cred["expirationTimestamp"].GetString();
  EXPECT_EQ(expiry.size(), 20U);
  EXPECT_EQ(expiry.back(), 'Z');

  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "ci-bot");
  std::vector<std::string> orgs;
  const X509_NAME* name = X509_get_subject_name(cert);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_organizationName, i)) >= 0;) {
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    orgs.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
  }
  EXPECT_EQ(orgs, (std::vector<std::string>{"ci-robots", "deployers"}));
  EXPECT_TRUE((X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT) != 0);
  int days = 0;
  int secs = 0;
  ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert));
  EXPECT_EQ(days * 86400 + secs, 600); // backdated 5 min + 300 s TTL
  X509_free(cert);
  EXPECT_EQ(m_emu->requests().back().kind, "tcr");

  // The certificate authenticates to the API server.
  auto who = api_client(cert_pem, key_pem)->Post("/apis/identity.concierge.pinniped.dev/v1alpha1/whoamirequests",
                                          R"({"kind":"WhoAmIRequest"})", "application/json");
  ASSERT_TRUE(who);
  EXPECT_EQ(who->status, 201);
  EXPECT_EQ(who->body,
            R"({"kind":"WhoAmIRequest","apiVersion":"identity.concierge.pinniped.dev/v1alpha1","metadata":{"creationTimestamp":null},)"
            R"("spec":{},"status":{"kubernetesUserInfo":{"user":{"username":"ci-bot","groups":["ci-robots","deployers","system:authenticated"]}}}})");
  auto ssr = api_client(cert_pem, key_pem)->Post("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}", "application/json");
  EXPECT_EQ(ssr->status, 201);
  EXPECT_EQ(ssr->body,
            R"({"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},)"
            R"("status":{"userInfo":{"username":"ci-bot","groups":["ci-robots","deployers","system:authenticated"]}}})");
  EXPECT_EQ(m_emu->requests().back().kind, "selfsubjectreview");
  EXPECT_EQ(m_emu->requests().back().user, "ci-bot");
}

TEST_F(EmulatorTest, TokenCredentialRequestFailures)
{
  const std::string jwt = exchanged_jwt();
  const std::string failed =
      R"({"kind":"TokenCredentialRequest","apiVersion":"login.concierge.pinniped.dev/v1alpha1","metadata":{"creationTimestamp":null},"spec":{},"status":{"message":"authentication failed"}})";
  auto res = tcr(jwt, "JWTAuthenticator", "other-name");
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, failed);
  EXPECT_EQ(tcr(jwt, "WebhookAuthenticator", "supervisor-jwt")->body, failed);
  EXPECT_EQ(tcr("not-a-jwt")->body, failed);
  // The unexchanged ID token has aud pinniped-cli, not the authenticator's audience.
  EXPECT_EQ(tcr(login()["id_token"].GetString())->body, failed);
  EXPECT_EQ(tcr("")->status, 422);
  EXPECT_EQ(tcr(jwt, "JWTAuthenticator", "supervisor-jwt", "tuna.io")->status, 404);
  m_emu->update_faults([](Faults& f) { f.tcr_auth_failed = true; });
  EXPECT_EQ(tcr(jwt)->body, failed);
}

TEST_F(EmulatorTest, WebhookStaticTokenAndCustomSuffix)
{
  EmulatorConfig cfg;
  cfg.api_group_suffix = "tuna.io";
  start(cfg);
  auto res = tcr("emulator-static-token", "WebhookAuthenticator", "static-webhook", "tuna.io");
  ASSERT_EQ(res->status, 201);
  auto body = parse_json(res->body);
  EXPECT_STREQ(body["apiVersion"].GetString(), "login.concierge.tuna.io/v1alpha1");
  EXPECT_TRUE(body["status"].HasMember("credential"));
  EXPECT_EQ(m_emu->requests().back().kind, "tcr");
  EXPECT_EQ(tcr("emulator-static-token", "WebhookAuthenticator", "static-webhook")->status, 404);
}

TEST_F(EmulatorTest, ApiServerBearerAuthAndAnonymous)
{
  auto anon = api()->Post("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}", "application/json");
  EXPECT_EQ(anon->status, 401);
  EXPECT_EQ(anon->body,
            R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})");
  auto version = api()->Get("/version");
  EXPECT_EQ(version->status, 200);
  EXPECT_NE(version->body.find(R"("gitVersion":"v1.32.0-pinniped-emulator")"), std::string::npos);

  const std::string id_token = login()["id_token"].GetString();
  auto who = api()->Post("/apis/authentication.k8s.io/v1beta1/selfsubjectreviews",
                         {{"Authorization", "Bearer " + id_token}}, "{}", "application/json");
  EXPECT_EQ(who->status, 201);
  EXPECT_NE(who->body.find(R"("apiVersion":"authentication.k8s.io/v1beta1")"), std::string::npos);
  auto st = api()->Get("/api", {{"Authorization", "Bearer emulator-static-token"}});
  EXPECT_EQ(st->status, 200);
  EXPECT_EQ(api()->Get("/apis", {{"Authorization", "Bearer wrong"}})->status, 401);
}

// ---- faults ------------------------------------------------------------------------------------

TEST_F(EmulatorTest, FailNextAndResetNext)
{
  m_emu->update_faults([](Faults& f) {
    f.fail_next = {FailRule{"/.well-known/", 503, 1}};
    f.reset_next = {ResetRule{"/jwks.json", 1}};
  });
  auto failed = supervisor()->Get(path("/.well-known/openid-configuration").c_str());
  EXPECT_EQ(failed->status, 503);
  EXPECT_EQ(supervisor()->Get(path("/.well-known/openid-configuration").c_str())->status, 200);
  auto reset = supervisor()->Get(path("/jwks.json").c_str());
  EXPECT_FALSE(reset);
  EXPECT_EQ(supervisor()->Get(path("/jwks.json").c_str())->status, 200);
  const auto log = m_emu->requests();
  ASSERT_EQ(log.size(), 4U);
  EXPECT_EQ(log[0].fault, "fail_next");
  EXPECT_EQ(log[2].fault, "reset");
  EXPECT_EQ(log[2].status, 0);
  EXPECT_TRUE(m_emu->faults().fail_next.empty());
}

TEST_F(EmulatorTest, AuthorizeFaults)
{
  m_emu->update_faults([](Faults& f) { f.wrong_state = true; });
  EXPECT_EQ(query_of(authorize()->get_header_value("Location"))["state"], "emulator-wrong-state");
  m_emu->update_faults([](Faults& f) {
    f.wrong_state = false;
    f.authorize_status = 502;
  });
  auto res = authorize();
  EXPECT_EQ(res->status, 502);
  EXPECT_FALSE(res->has_header("Location"));
}

TEST_F(EmulatorTest, IdTokenFaults)
{
  m_emu->update_faults([](Faults& f) {
    f.omit_nonce = true;
    f.include_kid = true;
    f.wrong_issuer = true;
    f.expired_id_token = true;
  });
  const std::string idt = login()["id_token"].GetString();
  auto header = jwt_part(idt, 0);
  EXPECT_EQ(d::json_string_member(header, "kid"), "pinniped-supervisor-key");
  auto claims = jwt_part(idt, 1);
  EXPECT_FALSE(claims.HasMember("nonce"));
  EXPECT_NE(d::json_string_member(claims, "iss"), m_emu->issuer());
  EXPECT_LT(claims["exp"].GetInt64(), static_cast<std::int64_t>(std::time(nullptr)));

  m_emu->set_faults(Faults{});
  m_emu->update_faults([](Faults& f) { f.bad_signature = true; });
  const auto key = key_from_jwks(supervisor()->Get(path("/jwks.json").c_str())->body);
  EXPECT_FALSE(d::es256_verify_jws(key.get(), login()["id_token"].GetString()));
  m_emu->set_faults(Faults{});
  EXPECT_TRUE(d::es256_verify_jws(key.get(), login()["id_token"].GetString()));
}

TEST_F(EmulatorTest, CertAndTokenTtl)
{
  m_emu->update_faults([](Faults& f) {
    f.cert_ttl_seconds = 60;
    f.token_ttl_seconds = 30;
  });
  auto tokens = login();
  EXPECT_EQ(tokens["expires_in"].GetInt(), 29);
  auto claims = jwt_part(tokens["id_token"].GetString(), 1);
  EXPECT_EQ(claims["exp"].GetInt64() - claims["iat"].GetInt64(), 30);
  auto res = tcr("emulator-static-token", "WebhookAuthenticator", "static-webhook");
  auto body = parse_json(res->body);
  const std::string exp = body["status"]["credential"]["expirationTimestamp"].GetString();
  EXPECT_EQ(exp, d::rfc3339(static_cast<std::int64_t>(std::time(nullptr)) + 60).substr(0, 17) + exp.substr(17));
}

// ---- admin, log file, kubeconfig ---------------------------------------------------------------

TEST_F(EmulatorTest, AdminEndpointsAndJsonLinesLog)
{
  char dir_template[] = "/tmp/emulator-selftest-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string log_path = std::string(dir_template) + "/requests.jsonl";
  EmulatorConfig cfg;
  cfg.request_log_path = log_path;
  start(cfg);

  auto set = api()->Post("/_emulator/faults", R"({"fail_next":[{"path":"/oauth2/token","status":429}],"include_kid":true})",
                         "application/json");
  ASSERT_EQ(set->status, 200) << set->body;
  EXPECT_TRUE(m_emu->faults().include_kid);
  ASSERT_EQ(m_emu->faults().fail_next.size(), 1U);
  EXPECT_EQ(m_emu->faults().fail_next[0].status, 429);
  EXPECT_EQ(api()->Post("/_emulator/faults", R"({"bogus":1})", "application/json")->status, 400);

  const std::string c = code();
  EXPECT_EQ(redeem(c)->status, 429);
  auto tokens = parse_json(redeem(c)->body);
  auto revoke = api()->Post("/_emulator/revoke-refresh-tokens", "", "application/json");
  EXPECT_EQ(revoke->body, R"({"revoked":1})");
  EXPECT_EQ(token("grant_type=refresh_token&refresh_token=" + d::query_escape(tokens["refresh_token"].GetString()))->status,
            401);

  auto listed = api()->Get("/_emulator/requests");
  EXPECT_EQ(listed->status, 200);
  m_supervisor.reset(); // an idle keep-alive connection would delay stop() by the 1 s keep-alive timeout
  m_api.reset();
  m_emu->stop();
  std::ifstream in(log_path);
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_EQ(file.str(), listed->body);
  int lines = 0;
  int authorizations = 0;
  int refreshes = 0;
  for (std::string line; std::getline(file, line);) {
    ++lines;
    auto doc = parse_json(line);
    ASSERT_TRUE(doc.IsObject()) << line;
    authorizations += d::json_string_member(doc, "kind") == "authorize_password" ? 1 : 0;
    refreshes += d::json_string_member(doc, "kind") == "token_refresh" ? 1 : 0;
  }
  EXPECT_EQ(lines, 4);
  EXPECT_EQ(authorizations, 1);
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(file.str().find(k_password), std::string::npos);
  EXPECT_EQ(file.str().find("pin_ac_"), std::string::npos);
  EXPECT_EQ(file.str().find("pin_rt_"), std::string::npos);
  std::remove(log_path.c_str());
  rmdir(dir_template);
}

TEST_F(EmulatorTest, KubeconfigNoConciergeV1)
{
  KubeconfigOptions o;
  o.command = "/usr/local/bin/pinniped";
  o.mode = ConciergeMode::no_concierge;
  o.exec_api_version = ExecApiVersion::v1;
  o.idp_flow = "";
  o.session_cache = "/tmp/s.yaml";
  const std::string ca = d::base64_encode(m_emu->api_ca_pem());
  EXPECT_EQ(m_emu->kubeconfig_yaml(o),
            "apiVersion: v1\n"
            "clusters:\n"
            "- cluster:\n"
            "    certificate-authority-data: " + ca + "\n"
            "    server: " + m_emu->api_url() + "\n"
            "  name: emulator-cluster-pinniped\n"
            "contexts:\n"
            "- context:\n"
            "    cluster: emulator-cluster-pinniped\n"
            "    user: emulator-user-pinniped\n"
            "  name: emulator-context-pinniped\n"
            "current-context: emulator-context-pinniped\n"
            "kind: Config\n"
            "preferences: {}\n"
            "users:\n"
            "- name: emulator-user-pinniped\n"
            "  user:\n"
            "    exec:\n"
            "      apiVersion: client.authentication.k8s.io/v1\n"
            "      args:\n"
            "      - login\n"
            "      - oidc\n"
            "      - --issuer=" + m_emu->issuer() + "\n"
            "      - --client-id=pinniped-cli\n"
            "      - --scopes=offline_access,openid,pinniped:request-audience,username,groups\n"
            "      - --ca-bundle-data=" + ca + "\n"
            "      - --session-cache=/tmp/s.yaml\n"
            "      - --upstream-identity-provider-name=my-ldap\n"
            "      - --upstream-identity-provider-type=ldap\n"
            "      command: /usr/local/bin/pinniped\n"
            "      env: []\n"
            "      installHint: The pinniped CLI does not appear to be installed.  See https://get.pinniped.dev/cli\n"
            "        for more details\n"
            "      interactiveMode: Never\n"
            "      provideClusterInfo: true\n");
}

TEST_F(EmulatorTest, KubeconfigConciergeModes)
{
  KubeconfigOptions o;
  o.credential_cache = "";
  const std::string jwt = m_emu->kubeconfig_yaml(o);
  const std::string ca = d::base64_encode(m_emu->api_ca_pem());
  EXPECT_NE(jwt.find("      - login\n      - oidc\n      - --enable-concierge\n"
                     "      - --concierge-api-group-suffix=pinniped.dev\n"
                     "      - --concierge-authenticator-name=supervisor-jwt\n"
                     "      - --concierge-authenticator-type=jwt\n"
                     "      - --concierge-endpoint=" + m_emu->api_url() + "\n"
                     "      - --concierge-ca-bundle-data=" + ca + "\n"
                     "      - --credential-cache=\n"
                     "      - --issuer="),
            std::string::npos)
      << jwt;
  EXPECT_NE(jwt.find("      - --request-audience=workload-cluster-1\n"
                     "      - --upstream-identity-provider-name=my-ldap\n"
                     "      - --upstream-identity-provider-type=ldap\n"
                     "      - --upstream-identity-provider-flow=cli_password\n"
                     "      command: pinniped\n"),
            std::string::npos)
      << jwt;
  EXPECT_EQ(jwt.find("interactiveMode"), std::string::npos);

  o = {};
  o.mode = ConciergeMode::concierge_webhook_static_token;
  o.static_token_env = "TEST_TOKEN";
  o.command = ".../path/to/pinniped";
  const std::string hook = m_emu->kubeconfig_yaml(o);
  EXPECT_NE(hook.find("      - login\n      - static\n      - --enable-concierge\n"), std::string::npos);
  EXPECT_NE(hook.find("      - --concierge-authenticator-name=static-webhook\n"
                      "      - --concierge-authenticator-type=webhook\n"),
            std::string::npos);
  EXPECT_NE(hook.find("      - --token-env=TEST_TOKEN\n      command: '.../path/to/pinniped'\n"), std::string::npos)
      << hook;
}

// ---- virtual clusters ------------------------------------------------------------------------

TEST_F(EmulatorTest, VirtualClusterUrlsAndAudiences)
{
  EXPECT_EQ(m_emu->clusters(), 1);
  EXPECT_EQ(m_emu->cluster_url(0), m_emu->api_url());
  EXPECT_THROW((void)m_emu->cluster_url(1), std::out_of_range);
  EmulatorConfig cfg;
  cfg.clusters = 3;
  start(cfg);
  EXPECT_EQ(m_emu->clusters(), 3);
  EXPECT_EQ(m_emu->cluster_url(0), m_emu->api_url());
  EXPECT_EQ(m_emu->cluster_url(2), m_emu->api_url() + "/clusters/2");
  EXPECT_EQ(m_emu->cluster_audience(0), "workload-cluster-1");
  EXPECT_EQ(m_emu->cluster_audience(1), "workload-cluster-1-1");
  EXPECT_EQ(m_emu->cluster_audience(2), "workload-cluster-1-2");
  EXPECT_THROW((void)m_emu->cluster_url(3), std::out_of_range);
  EXPECT_THROW((void)m_emu->cluster_audience(-1), std::out_of_range);
}

TEST_F(EmulatorTest, VirtualClusterTokenCredentialRequestChecksItsOwnAudience)
{
  EmulatorConfig cfg;
  cfg.clusters = 3;
  start(cfg);
  const std::string failed = "authentication failed";
  const std::string at = login()["access_token"].GetString();
  auto exchanged = [&](int cluster) {
    auto res = exchange({{"audience", m_emu->cluster_audience(cluster)}}, at);
    EXPECT_EQ(res->status, 200) << res->body;
    return std::string(parse_json(res->body)["access_token"].GetString());
  };
  const std::string jwt0 = exchanged(0);
  const std::string jwt1 = exchanged(1);
  const std::string jwt2 = exchanged(2);
  EXPECT_EQ(m_emu->requests().back().cluster, -1); // the Supervisor

  auto res = tcr(jwt2, "JWTAuthenticator", "supervisor-jwt", "pinniped.dev", "/clusters/2");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const auto body = parse_json(res->body);
  ASSERT_TRUE(body["status"].HasMember("credential")) << res->body;
  const std::string cert_pem = body["status"]["credential"]["clientCertificateData"].GetString();
  const std::string key_pem = body["status"]["credential"]["clientKeyData"].GetString();
  auto last = m_emu->requests().back();
  EXPECT_EQ(last.kind, "tcr");
  EXPECT_EQ(last.cluster, 2);
  EXPECT_EQ(last.path, "/clusters/2/apis/login.concierge.pinniped.dev/v1alpha1/tokencredentialrequests");
  EXPECT_EQ(last.user, "ci-bot");

  auto message = [&](const std::string& token, const std::string& prefix) {
    auto r = tcr(token, "JWTAuthenticator", "supervisor-jwt", "pinniped.dev", prefix);
    EXPECT_EQ(r->status, 201);
    return d::json_string_member(parse_json(r->body)["status"], "message");
  };
  EXPECT_EQ(message(jwt1, "/clusters/2"), failed); // cluster 1's audience at cluster 2
  EXPECT_EQ(m_emu->requests().back().cluster, 2);
  EXPECT_EQ(m_emu->requests().back().user, "");
  EXPECT_EQ(message(jwt1, "/clusters/1"), "");
  EXPECT_EQ(message(jwt2, ""), failed);            // cluster 0 wants workload-cluster-1
  EXPECT_EQ(message(jwt0, ""), "");
  EXPECT_EQ(m_emu->requests().back().cluster, 0);
  EXPECT_EQ(message(jwt0, "/clusters/1"), failed);

  // Unknown clusters are unknown paths of cluster 0.
  for (const std::string prefix : {"/clusters/3", "/clusters/0", "/clusters/02", "/clusters/x"}) {
    EXPECT_EQ(tcr(jwt2, "JWTAuthenticator", "supervisor-jwt", "pinniped.dev", prefix)->status, 404) << prefix;
    EXPECT_EQ(m_emu->requests().back().cluster, 0);
    EXPECT_EQ(m_emu->requests().back().kind, "other");
  }

  // The certificate from cluster 2 works everywhere (one client CA); identity APIs under prefixes.
  auto client = api_client(cert_pem, key_pem);
  auto who = client->Post("/clusters/1/apis/identity.concierge.pinniped.dev/v1alpha1/whoamirequests",
                          R"({"kind":"WhoAmIRequest"})", "application/json");
  ASSERT_TRUE(who);
  EXPECT_EQ(who->status, 201);
  EXPECT_NE(who->body.find(R"("user":{"username":"ci-bot","groups":["ci-robots","deployers","system:authenticated"]})"),
            std::string::npos)
      << who->body;
  last = m_emu->requests().back();
  EXPECT_EQ(last.kind, "whoami_request");
  EXPECT_EQ(last.cluster, 1);
  EXPECT_EQ(last.user, "ci-bot");
  for (const std::string version : {"v1", "v1beta1", "v1alpha1"}) {
    auto ssr = client->Post(("/clusters/2/apis/authentication.k8s.io/" + version + "/selfsubjectreviews").c_str(), "{}",
                            "application/json");
    ASSERT_TRUE(ssr);
    EXPECT_EQ(ssr->status, 201);
    EXPECT_EQ(ssr->body, R"({"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/)" + version
                             + R"(","metadata":{"creationTimestamp":null},)"
                               R"("status":{"userInfo":{"username":"ci-bot","groups":["ci-robots","deployers","system:authenticated"]}}})");
    last = m_emu->requests().back();
    EXPECT_EQ(last.kind, "selfsubjectreview");
    EXPECT_EQ(last.cluster, 2);
  }
  client.reset();

  // Bearer JWTs are checked against the cluster's audience too; discovery works under the prefix.
  auto version = api()->Get("/clusters/2/version");
  ASSERT_TRUE(version);
  EXPECT_EQ(version->status, 200);
  EXPECT_NE(version->body.find("v1.32.0-pinniped-emulator"), std::string::npos);
  EXPECT_EQ(m_emu->requests().back().kind, "version");
  EXPECT_EQ(m_emu->requests().back().cluster, 2);
  EXPECT_EQ(api()->Get("/clusters/2/api", {{"Authorization", "Bearer " + jwt2}})->status, 200);
  EXPECT_EQ(api()->Get("/clusters/2/apis", {{"Authorization", "Bearer " + jwt2}})->status, 200);
  EXPECT_EQ(api()->Get("/clusters/1/apis", {{"Authorization", "Bearer " + jwt2}})->status, 401);
  EXPECT_EQ(api()->Get("/apis", {{"Authorization", "Bearer " + jwt2}})->status, 401);
  EXPECT_EQ(api()->Get("/clusters/2", {{"Authorization", "Bearer " + jwt2}})->status, 404);

  // JSON-lines log carries the cluster.
  const std::string jsonl = api()->Get("/_emulator/requests")->body;
  int cluster2_tcr = 0;
  std::istringstream lines(jsonl);
  for (std::string line; std::getline(lines, line);) {
    auto doc = parse_json(line);
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("cluster") && doc["cluster"].IsInt()) << line;
    if (d::json_string_member(doc, "server") == "supervisor") {
      EXPECT_EQ(doc["cluster"].GetInt(), -1) << line;
    }
    cluster2_tcr += d::json_string_member(doc, "kind") == "tcr" && doc["cluster"].GetInt() == 2 ? 1 : 0;
  }
  EXPECT_EQ(cluster2_tcr, 2);
  EXPECT_NE(jsonl.find(R"("server":"api","cluster":2,"method":"POST","path":"/clusters/2/apis/login.concierge.pinniped.dev/v1alpha1/tokencredentialrequests","kind":"tcr","status":201)"),
            std::string::npos);
}

TEST_F(EmulatorTest, VirtualClusterFaultsAndLatency)
{
  EmulatorConfig cfg;
  cfg.clusters = 3;
  start(cfg);
  m_emu->update_faults([](Faults& f) { f.fail_next = {{"/clusters/2/version", 503, 1}}; });
  EXPECT_EQ(api()->Get("/clusters/1/version")->status, 200);
  EXPECT_EQ(api()->Get("/version")->status, 200);
  EXPECT_EQ(api()->Get("/clusters/2/version")->status, 503);
  EXPECT_EQ(m_emu->requests().back().fault, "fail_next");
  EXPECT_EQ(m_emu->requests().back().cluster, 2);
  EXPECT_EQ(api()->Get("/clusters/2/version")->status, 200);
  m_emu->update_faults([](Faults& f) { f.latency_ms = 60; });
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_EQ(api()->Get("/clusters/2/version")->status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(60));
}

TEST_F(EmulatorTest, FiftyVirtualClustersShareOneServer)
{
  EmulatorConfig cfg;
  cfg.clusters = 50;
  start(cfg);
  const std::string at = login()["access_token"].GetString();
  for (int i = 0; i < 50; ++i) {
    const std::string prefix = i == 0 ? "" : "/clusters/" + std::to_string(i);
    EXPECT_EQ(m_emu->cluster_url(i), m_emu->api_url() + prefix);
    auto res = exchange({{"audience", m_emu->cluster_audience(i)}}, at);
    ASSERT_EQ(res->status, 200);
    auto cred = tcr(parse_json(res->body)["access_token"].GetString(), "JWTAuthenticator", "supervisor-jwt",
                    "pinniped.dev", prefix);
    ASSERT_EQ(cred->status, 201);
    EXPECT_TRUE(parse_json(cred->body)["status"].HasMember("credential")) << i << ": " << cred->body;
    EXPECT_EQ(m_emu->requests().back().cluster, i);
  }
  EXPECT_EQ(m_emu->count("tcr"), 50U);
  EXPECT_EQ(api()->Get("/clusters/50/version")->status, 404);
}

TEST_F(EmulatorTest, VirtualClusterKubeconfigs)
{
  const std::string single = m_emu->kubeconfig_yaml();
  EXPECT_EQ(m_emu->kubeconfig_yaml_all(), single);
  EmulatorConfig cfg;
  cfg.clusters = 3;
  start(cfg);
  const std::string api = m_emu->api_url();
  KubeconfigOptions o;
  o.cluster = 2;
  const std::string two = m_emu->kubeconfig_yaml(o);
  EXPECT_NE(two.find("    server: " + api + "/clusters/2\n  name: emulator-2-cluster-pinniped\n"), std::string::npos)
      << two;
  EXPECT_NE(two.find("- context:\n    cluster: emulator-2-cluster-pinniped\n    user: emulator-2-user-pinniped\n"
                     "  name: emulator-2-context-pinniped\ncurrent-context: emulator-2-context-pinniped\n"),
            std::string::npos)
      << two;
  EXPECT_NE(two.find("      - --concierge-endpoint=" + api + "/clusters/2\n"), std::string::npos);
  EXPECT_NE(two.find("      - --request-audience=workload-cluster-1-2\n"), std::string::npos);
  EXPECT_NE(two.find("- name: emulator-2-user-pinniped\n"), std::string::npos);
  EXPECT_EQ(two.find("workload-cluster-1\n"), std::string::npos);
  o.request_audience = "explicit";
  EXPECT_NE(m_emu->kubeconfig_yaml(o).find("      - --request-audience=explicit\n"), std::string::npos);
  o = {};
  o.cluster = 3;
  EXPECT_THROW((void)m_emu->kubeconfig_yaml(o), std::out_of_range);

  // Cluster 0 of a multi-cluster emulator looks exactly like a single-cluster emulator's kubeconfig.
  o = {};
  o.name = "sup-a";
  const std::string zero = m_emu->kubeconfig_yaml(o);
  EXPECT_NE(zero.find("    server: " + api + "\n  name: sup-a-cluster-pinniped\n"), std::string::npos) << zero;
  EXPECT_NE(zero.find("      - --request-audience=workload-cluster-1\n"), std::string::npos);

  const std::string all = m_emu->kubeconfig_yaml_all(o);
  auto occurrences = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(occurrences("- cluster:\n"), 3U);
  EXPECT_EQ(occurrences("- context:\n"), 3U);
  EXPECT_EQ(occurrences("  user:\n    exec:\n"), 3U);
  EXPECT_EQ(occurrences("current-context: sup-a-context-pinniped\n"), 1U);
  for (int i = 0; i < 3; ++i) {
    const std::string base = i == 0 ? "sup-a" : "sup-a-" + std::to_string(i);
    EXPECT_NE(all.find("    server: " + m_emu->cluster_url(i) + "\n  name: " + base + "-cluster-pinniped\n"),
              std::string::npos);
    EXPECT_NE(all.find("  name: " + base + "-context-pinniped\n"), std::string::npos);
    EXPECT_NE(all.find("      - --concierge-endpoint=" + m_emu->cluster_url(i) + "\n"), std::string::npos);
    EXPECT_NE(all.find("      - --request-audience=" + m_emu->cluster_audience(i) + "\n"), std::string::npos);
  }
  // Sections stay in kubeconfig order: clusters, contexts, current-context, kind, preferences, users.
  EXPECT_LT(all.find("sup-a-2-cluster-pinniped\n"), all.find("contexts:\n"));
  EXPECT_LT(all.find("  name: sup-a-2-context-pinniped\n"), all.find("current-context:"));
  EXPECT_LT(all.find("users:\n"), all.find("- name: sup-a-user-pinniped\n"));
}

} // namespace
