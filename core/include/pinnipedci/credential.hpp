// The credential handed to kubectl: ExecCredential JSON (v1beta1 byte-for-byte as Pinniped, or v1).
#pragma once

#include <pinnipedci/error.hpp>
#include <pinnipedci/secret.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace pinnipedci {

inline constexpr const char* k_exec_v1beta1 = "client.authentication.k8s.io/v1beta1";
inline constexpr const char* k_exec_v1 = "client.authentication.k8s.io/v1";

struct Credential
{
  std::optional<std::int64_t> expiration;   // unix seconds
  Secret token;
  Secret client_certificate_data;           // PEM
  Secret client_key_data;                   // PEM
};

// Cluster information kubectl passes in KUBERNETES_EXEC_INFO when provideClusterInfo is true.
struct ExecInfo
{
  std::string api_version = k_exec_v1beta1;
  // spec.cluster re-encoded in Go's v1beta1 Cluster field order ("null" when absent); used by the
  // credential-cache key exactly as Pinniped computes it.
  std::string cluster_json = "null";
  std::string server;
};
Result<ExecInfo> parse_exec_info(const std::string& json);

// One line of JSON plus "\n", Go json.Encoder escaping. api_version is v1beta1 or v1.
std::string exec_credential_json(const Credential& credential, const std::string& api_version);

// RFC 3339 UTC with second precision ("2025-07-02T12:05:00Z") and back.
std::string format_rfc3339(std::int64_t unix_seconds);
std::optional<std::int64_t> parse_rfc3339(const std::string& text);

} // namespace pinnipedci
