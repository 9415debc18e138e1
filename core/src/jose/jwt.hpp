// JWKS parsing and JWS-compact JWT verification for OIDC ID tokens (ES256, RS256), with go-oidc's
// rules and error wording (docs/pinniped-protocol.md sections 2.8, 2.9, 7.6). Internal to core.
#pragma once

#include <pinnipedci/error.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st; // OpenSSL's EVP_PKEY; kept opaque so this header needs no OpenSSL include

namespace pinnipedci::jose {

// One usable public key from a JWKS.
struct Jwk
{
  std::string kty; // "EC" (always crv P-256) or "RSA"
  std::string crv; // "P-256" for EC, empty for RSA
  std::string kid; // empty when the JWK has none
  std::string alg; // empty when the JWK has none; otherwise the only algorithm it may verify
  std::string use; // empty or "sig"
  std::shared_ptr<evp_pkey_st> key; // never null in a parsed Jwks; immutable, safe to share
};

struct Jwks
{
  std::vector<Jwk> keys;

  // Parses {"keys":[...]}. Keys of other types or curves, and keys with a "use" other than "sig",
  // are skipped, as are RSA keys under 2048 bits. A supported key with bad members (missing or
  // non-base64url x/y/n/e, point not on the curve) fails the whole set, as go-jose does.
  // Errors: ErrorKind::remote, "could not parse JWKS: <reason>".
  static Result<Jwks> parse(std::string_view json);
};

struct JwtHeader
{
  std::string alg;                // empty if absent
  std::optional<std::string> kid; // the Supervisor sends none (section 7.6)
  std::optional<std::string> typ;
};

// A decoded token. Nothing here is trusted unless it came out of verify().
struct Jwt
{
  JwtHeader header;
  std::string header_json;  // decoded JOSE header
  std::string payload_json; // decoded payload: every claim, exactly as sent (for the session cache)

  std::string iss; // empty when absent
  std::string sub;
  std::vector<std::string> aud; // "aud" as a list whether it was a string or an array
  bool aud_is_string = false;   // "aud" was a single JSON string (section 2.2 compares the string)
  std::string azp;
  std::optional<std::int64_t> exp; // unix seconds; JSON floats are truncated
  std::optional<std::int64_t> iat;
  std::optional<std::int64_t> nbf;
  std::optional<std::string> nonce;
  std::optional<std::string> at_hash;
  std::optional<std::string> username;
  std::vector<std::string> groups;
};

// Splits and decodes a JWS compact token without checking anything but its shape and the types of
// the claims above. Errors are ErrorKind::verification in go-oidc wording, e.g.
// "oidc: malformed jwt, expected 3 parts got 1", "oidc: malformed jwt payload: ...",
// "oidc: failed to unmarshal claims: ...". Messages never contain the token.
Result<Jwt> decode_unverified(std::string_view compact);

struct VerifyOptions
{
  std::string issuer;   // "iss" must equal this exactly
  std::string audience; // "aud" must contain this
  // From discovery's id_token_signing_alg_values_supported; empty means {"RS256"} (section 2.3).
  // "none" is never accepted, listed or not.
  std::vector<std::string> allowed_algs;
  // If set, "nonce" must be present and equal (constant time); a missing nonce fails.
  std::optional<std::string> expected_nonce;
  // If set and the token carries "at_hash", it must match this access token.
  std::optional<std::string> access_token;
  std::int64_t now = 0; // unix seconds
};

// Verifies, in this order: shape; algorithm allowed; signature against `keys` (only keys with the
// header's kid when it has a non-empty one, else every key whose kty and alg fit); iss; aud; exp
// (expired when now > exp; a missing exp counts as expired); nbf (at most 5 minutes ahead of now);
// at_hash; nonce. iat and azp are not checked. All errors are ErrorKind::verification, with
// go-oidc / Pinniped wording, e.g.
//   oidc: id token signed with unsupported algorithm, expected ["ES256"] got "ES512"
//   failed to verify signature: ...
//   oidc: id token issued by a different provider, expected "X" got "Y"
//   oidc: expected audience "A" got ["B"]
//   oidc: token is expired (Token Expiry: 2025-07-02T12:02:00Z)
//   oidc: current time 2025-07-02T12:00:00Z before the nbf (not before) time: 2025-07-02T12:06:00Z
//   access token hash does not match value in ID token
//   invalid nonce (expected "n", got "")
// Messages never contain the token or the access token. Callers add their own context
// ("received invalid ID token: ").
Result<Jwt> verify(std::string_view compact, const Jwks& keys, const VerifyOptions& options);

// RFC 3339 UTC ("2025-07-02T12:02:00Z") for unix seconds, as used in the messages above.
std::string format_rfc3339(std::int64_t unix_seconds);

} // namespace pinnipedci::jose
