// Small, dependency-free crypto helpers over OpenSSL 3 (EVP only): encodings, SHA-256, randomness,
// PKCE and at_hash. Internal to core; nothing here includes an OpenSSL header.
#pragma once

#include <pinnipedci/error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pinnipedci::crypto {

// RFC 4648 section 4, padded ("cGlubmlwZWQtY2xpOg==").
std::string base64_encode(std::string_view bytes);
// RFC 4648 section 5, no padding (JWS, PKCE).
std::string base64url_encode(std::string_view bytes);
// Standard alphabet. Padding is optional but must be well formed when present; CR and LF are
// skipped (as Go's decoder does); any other character outside the alphabet, or an impossible
// length, gives nullopt.
std::optional<std::string> base64_decode(std::string_view text);
// URL-safe alphabet, with or without padding; nullopt on any invalid character or length.
std::optional<std::string> base64url_decode(std::string_view text);

// Raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);
// Lowercase hexadecimal, two characters per byte.
std::string hex_lower(std::string_view bytes);

// n bytes from the OpenSSL CSPRNG. Fails (ErrorKind::internal) only if the RNG cannot be seeded.
Result<std::string> random_bytes(std::size_t n);
// nbytes random bytes as lowercase hex (2 * nbytes characters): Pinniped's state, nonce (16 bytes)
// and PKCE verifier (32 bytes).
Result<std::string> random_hex(std::size_t nbytes);

// RFC 7636 S256: base64url(SHA-256(verifier)).
std::string pkce_challenge_s256(std::string_view verifier);
// OIDC Core 3.1.3.6 at_hash for RS256/ES256: base64url of the left 16 bytes of SHA-256.
std::string at_hash_sha256(std::string_view access_token);

// Equal length and equal bytes, in time independent of where the bytes differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// Drains this thread's OpenSSL error queue into "lib:reason; lib:reason" (empty if none), for
// Error::detail. Always leaves the queue empty.
std::string drain_openssl_errors();

} // namespace pinnipedci::crypto
