#include <pinnipedci/credential.hpp>

#include <gtest/gtest.h>

namespace pinnipedci {
namespace {

TEST(ExecCredentialTest, ByteExactVectors)
{
  Credential id;
  id.expiration = parse_rfc3339("3020-10-12T13:14:15Z");
  id.token = Secret("test-id-token");
  EXPECT_EQ(exec_credential_json(id, k_exec_v1beta1),
            "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"spec\":{"
            "\"interactive\":false},\"status\":{\"expirationTimestamp\":\"3020-10-12T13:14:15Z\",\"token\":\"test-id-"
            "token\"}}\n");

  Credential exchanged;
  exchanged.token = Secret("exchanged-token");
  EXPECT_EQ(exec_credential_json(exchanged, k_exec_v1beta1),
            "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"spec\":{"
            "\"interactive\":false},\"status\":{\"token\":\"exchanged-token\"}}\n");

  Credential cert;
  cert.expiration = parse_rfc3339("2025-07-02T12:05:00Z");
  cert.client_certificate_data = Secret("-----BEGIN CERTIFICATE-----\n...");
  cert.client_key_data = Secret("-----BEGIN PRIVATE KEY-----\n...");
  EXPECT_EQ(exec_credential_json(cert, k_exec_v1beta1),
            "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"spec\":{"
            "\"interactive\":false},\"status\":{\"expirationTimestamp\":\"2025-07-02T12:05:00Z\","
            "\"clientCertificateData\":\"-----BEGIN CERTIFICATE-----\\n...\",\"clientKeyData\":\"-----BEGIN PRIVATE "
            "KEY-----\\n...\"}}\n");
}

TEST(ExecCredentialTest, V1AndGoEscaping)
{
  Credential c;
  c.token = Secret("a<b>&\"\\\x01\xE2\x80\xA8\xff");
  EXPECT_EQ(exec_credential_json(c, k_exec_v1),
            "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",\"spec\":{"
            "\"interactive\":false},\"status\":{\"token\":\"a\\u003cb\\u003e\\u0026\\\"\\\\\\u0001\\u2028\\ufffd\"}}\n");
}

TEST(ExecInfoTest, ParsesApiVersionAndReencodesClusterInGoOrder)
{
  auto info = parse_exec_info(
    R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"certificate-authority-data":"ZmFrZS1jYQ==","server":"https://127.0.0.1:6443","config":{"audience":"x"}},"interactive":false}})");
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->api_version, k_exec_v1);
  EXPECT_EQ(info->server, "https://127.0.0.1:6443");
  EXPECT_EQ(info->cluster_json,
            R"({"server":"https://127.0.0.1:6443","certificate-authority-data":"ZmFrZS1jYQ==","config":{"audience":"x"}})");

  auto no_cluster = parse_exec_info(R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}})");
  ASSERT_TRUE(no_cluster);
  EXPECT_EQ(no_cluster->api_version, k_exec_v1beta1);
  EXPECT_EQ(no_cluster->cluster_json, "null");

  EXPECT_FALSE(parse_exec_info("{"));
  EXPECT_FALSE(parse_exec_info(R"({"apiVersion":"client.authentication.k8s.io/v2"})"));
}

TEST(Rfc3339Test, RoundTripAndOffsets)
{
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(parse_rfc3339("2025-07-02T12:05:00Z"), 1751457900);
  EXPECT_EQ(parse_rfc3339("2025-07-02T14:05:00.123+02:00"), 1751457900);
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("2025-13-02T12:05:00Z"));
  EXPECT_EQ(format_rfc3339(1751457900), "2025-07-02T12:05:00Z");
}

} // namespace
} // namespace pinnipedci
