// HTTP over libcurl. One client keeps one easy handle so every request of a login reuses the
// connection to each host. Transport failures are errors; an HTTP status is data.
#pragma once

#include <pinnipedci/error.hpp>
#include <pinnipedci/log.hpp>
#include <pinnipedci/secret.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pinnipedci::http {

struct TlsConfig
{
  std::string ca_pem;                     // empty: system roots
  Secret client_certificate_pem;          // optional mTLS
  Secret client_key_pem;
};

struct Header
{
  std::string name;
  std::string value;
  bool secret = false;                    // never logged
};

struct Request
{
  std::string method = "GET";
  std::string url;
  std::vector<Header> headers;
  std::string body;
  bool body_is_secret = true;             // bodies are never logged unless marked otherwise
  const TlsConfig* tls = nullptr;
  std::chrono::milliseconds timeout{60000};
};

struct Response
{
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers; // names lower-cased, in order
  std::string body;

  // First header with this (lower-case) name.
  std::optional<std::string> header(const std::string& lower_name) const;
  // "400 Bad Request", as Go prints it.
  std::string status_line() const;
};

struct Stats
{
  int requests = 0;
  int new_connections = 0;
};

class Client
{
public:
  Client(LogSink& log, std::string user_agent);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request; never follows redirects. Errors are ErrorKind::network.
  Result<Response> send(const Request& request);
  const Stats& stats() const noexcept;
  LogSink& log() const noexcept;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Sends `request`, retrying up to `attempts` times in all on connection failures and on 429, 502,
// 503 and 504 (short backoff). For idempotent requests only.
Result<Response> send_retrying(Client& client, const Request& request, int attempts = 3);

// The first 300 bytes of a server body on one line, for error messages.
std::string one_line(const std::string& body);

// "https://host:port/path" with any query string or fragment removed, for logs.
std::string redact_url(const std::string& url);
std::string reason_phrase(long status);
// application/x-www-form-urlencoded like Go's url.QueryEscape (space -> '+').
std::string form_escape(std::string_view value);
std::string form_unescape(std::string_view value);

} // namespace pinnipedci::http
