#include "crypto/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstdint>
#include <new>

namespace pinnipedci::crypto {

namespace {

constexpr std::string_view k_std_alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view k_url_alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using DecodeTable = std::array<std::int8_t, 256>;

constexpr DecodeTable make_decode_table(std::string_view alphabet)
{
  DecodeTable table{};
  for (auto& entry : table) {
    entry = -1;
  }
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr DecodeTable k_std_table = make_decode_table(k_std_alphabet);
constexpr DecodeTable k_url_table = make_decode_table(k_url_alphabet);

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad)
{
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U)
                            | (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8U)
                            | std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += alphabet[(v >> 18U) & 0x3FU];
    out += alphabet[(v >> 12U) & 0x3FU];
    out += alphabet[(v >> 6U) & 0x3FU];
    out += alphabet[v & 0x3FU];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U;
    out += alphabet[(v >> 18U) & 0x3FU];
    out += alphabet[(v >> 12U) & 0x3FU];
    if (pad) {
      out += "==";
    }
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U)
                            | (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8U);
    out += alphabet[(v >> 18U) & 0x3FU];
    out += alphabet[(v >> 12U) & 0x3FU];
    out += alphabet[(v >> 6U) & 0x3FU];
    if (pad) {
      out += '=';
    }
  }
  return out;
}

std::optional<std::string> decode(std::string_view text, const DecodeTable& table, bool skip_newlines)
{
  std::string filtered;
  if (skip_newlines && text.find_first_of("\r\n") != std::string_view::npos) {
    filtered.reserve(text.size());
    for (char c : text) {
      if (c != '\r' && c != '\n') {
        filtered += c;
      }
    }
    text = filtered;
  }

  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) {
    return std::nullopt;
  }
  const std::string_view body = text.substr(0, text.size() - padding);
  if (body.size() % 4 == 1) {
    return std::nullopt;
  }

  std::string out;
  out.reserve(body.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  unsigned bits = 0;
  for (char c : body) {
    const std::int8_t v = table[static_cast<unsigned char>(c)];
    if (v < 0) {
      return std::nullopt; // includes a '=' anywhere but at the end
    }
    acc = (acc << 6U) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFFU);
    }
  }
  return out;
}

} // namespace

std::string base64_encode(std::string_view bytes)
{
  return encode(bytes, k_std_alphabet, true);
}

std::string base64url_encode(std::string_view bytes)
{
  return encode(bytes, k_url_alphabet, false);
}

std::optional<std::string> base64_decode(std::string_view text)
{
  return decode(text, k_std_table, true);
}

std::optional<std::string> base64url_decode(std::string_view text)
{
  return decode(text, k_url_table, false);
}

std::string sha256(std::string_view data)
{
  std::string digest(32, '\0');
  unsigned int len = 0;
  // EVP_Digest with the default provider's SHA-256 fails only when it cannot allocate memory.
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &len,
                 EVP_sha256(), nullptr)
        != 1
      || len != digest.size()) {
    ERR_clear_error();
    throw std::bad_alloc();
  }
  return digest;
}

std::string hex_lower(std::string_view bytes)
{
  constexpr std::string_view k_digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += k_digits[b >> 4U];
    out += k_digits[b & 0x0FU];
  }
  return out;
}

Result<std::string> random_bytes(std::size_t n)
{
  if (n > static_cast<std::size_t>(INT_MAX)) {
    return fail(ErrorKind::internal, "too many random bytes requested");
  }
  std::string out(n, '\0');
  if (n == 0) {
    return out;
  }
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return fail(ErrorKind::internal, "could not generate random bytes", drain_openssl_errors());
  }
  return out;
}

Result<std::string> random_hex(std::size_t nbytes)
{
  PCI_TRY_ASSIGN(std::string bytes, random_bytes(nbytes));
  std::string hex = hex_lower(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return hex;
}

std::string pkce_challenge_s256(std::string_view verifier)
{
  return base64url_encode(sha256(verifier));
}

std::string at_hash_sha256(std::string_view access_token)
{
  const std::string digest = sha256(access_token);
  return base64url_encode(std::string_view(digest).substr(0, digest.size() / 2));
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept
{
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string drain_openssl_errors()
{
  std::string out;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    if (!out.empty()) {
      out += "; ";
    }
    out += buf.data();
  }
  return out;
}

} // namespace pinnipedci::crypto
