#include "http/http_client.hpp"

#include "http/curl_api.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>
#include <thread>

namespace pinnipedci::http {
namespace {

// One share handle per process: the DNS cache is shared by every Client,
// including Clients on other threads (concurrent cluster logins), so their handshakes resume
// sessions. Connections are not shared across threads (libcurl documents that as unsafe); each
// Client keeps its own connections alive across its requests.
class SharedState
{
public:
  explicit SharedState(const CurlApi& api) : m_api(api), m_share(api.share_init())
  {
    if (m_share != nullptr) {
      m_api.share_setopt(m_share, CURLSHOPT_LOCKFUNC, &SharedState::lock);
      m_api.share_setopt(m_share, CURLSHOPT_UNLOCKFUNC, &SharedState::unlock);
      m_api.share_setopt(m_share, CURLSHOPT_USERDATA, this);
      m_api.share_setopt(m_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    }
  }
  ~SharedState()
  {
    if (m_share != nullptr) {
      m_api.share_cleanup(m_share);
    }
  }
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;
  CURLSH* handle() const noexcept { return m_share; }

private:
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user)
  {
    static_cast<SharedState*>(user)->m_mutexes[index(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user)
  {
    static_cast<SharedState*>(user)->m_mutexes[index(data)].unlock();
  }
  static std::size_t index(curl_lock_data data)
  {
    auto i = static_cast<std::size_t>(data);
    return i < k_slots ? i : 0;
  }
  static constexpr std::size_t k_slots = CURL_LOCK_DATA_LAST;
  const CurlApi& m_api;
  CURLSH* m_share;
  std::mutex m_mutexes[k_slots];
};

CURLSH* shared_handle(const CurlApi& api)
{
  static SharedState state(api);
  return state.handle();
}

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

size_t on_body(char* data, size_t size, size_t count, void* user)
{
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user)
{
  auto* response = static_cast<Response*>(user);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  if (line.rfind("HTTP/", 0) == 0) {
    response->headers.clear(); // a new response (e.g. after 100 Continue or a proxy CONNECT)
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    auto start = value.find_first_not_of(" \t");
    value = start == std::string::npos ? "" : value.substr(start);
    response->headers.emplace_back(lower(line.substr(0, colon)), value);
  }
  return size * count;
}

ErrorKind kind_of(CURLcode code)
{
  switch (code) {
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
  case CURLE_BAD_FUNCTION_ARGUMENT:
    return ErrorKind::usage;
  case CURLE_OUT_OF_MEMORY:
  case CURLE_FAILED_INIT:
    return ErrorKind::internal;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_BAD_CONTENT_ENCODING:
    return ErrorKind::remote;
  default:
    return ErrorKind::network; // resolve, connect, TLS, timeouts, resets, proxies
  }
}

std::string advice(CURLcode code)
{
  switch (code) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return "check the host name and DNS";
  case CURLE_COULDNT_CONNECT:
    return "check the URL and that the server is reachable";
  case CURLE_OPERATION_TIMEDOUT:
    return "the server did not answer in time";
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
    return "the server certificate is not trusted: pass the right CA with --ca-bundle-data / "
           "--concierge-ca-bundle-data";
  case CURLE_SSL_CONNECT_ERROR:
    return "TLS handshake failed";
  default:
    return {};
  }
}

} // namespace

std::optional<std::string> Response::header(const std::string& lower_name) const
{
  for (const auto& [name, value] : headers) {
    if (name == lower_name) {
      return value;
    }
  }
  return std::nullopt;
}

std::string Response::status_line() const
{
  std::string reason = reason_phrase(status);
  return std::to_string(status) + (reason.empty() ? "" : " " + reason);
}

struct Client::Impl
{
  LogSink& log;
  std::string user_agent;
  const CurlApi* api = nullptr;
  CURL* curl = nullptr;
  Stats stats;
  std::string load_error;
};

Client::Client(LogSink& log, std::string user_agent) : m_impl(std::make_unique<Impl>(Impl{log, std::move(user_agent), nullptr, nullptr, Stats{}, {}}))
{
}

Client::~Client()
{
  if (m_impl && m_impl->curl != nullptr) {
    m_impl->api->easy_cleanup(m_impl->curl);
  }
}

const Stats& Client::stats() const noexcept
{
  return m_impl->stats;
}

LogSink& Client::log() const noexcept
{
  return m_impl->log;
}

Result<Response> Client::send(const Request& request)
{
  if (m_impl->api == nullptr) {
    PCI_TRY_ASSIGN(m_impl->api, curl_api());
    m_impl->curl = m_impl->api->easy_init();
  }
  const CurlApi& api = *m_impl->api;
  CURL* curl = m_impl->curl;
  if (curl == nullptr) {
    return fail(ErrorKind::internal, "could not initialise libcurl");
  }
  api.easy_reset(curl); // keeps the connection cache
  api.easy_setopt(curl, CURLOPT_SHARE, shared_handle(api));
  Response response;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const auto& h : request.headers) {
    headers = api.slist_append(headers, (h.name + ": " + h.value).c_str());
  }
  // Suppress curl's default Accept / Expect headers.
  headers = api.slist_append(headers, "Expect:");

  api.easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  api.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
  api.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  api.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  api.easy_setopt(curl, CURLOPT_USERAGENT, m_impl->user_agent.c_str());
  api.easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
  api.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  api.easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  api.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(30000L, static_cast<long>(request.timeout.count())));
  api.easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  api.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  api.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  api.easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  api.easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  api.easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  curl_blob ca_blob{};
  curl_blob cert_blob{};
  curl_blob key_blob{};
  if (request.tls != nullptr) {
    if (!request.tls->ca_pem.empty()) {
      ca_blob = {const_cast<char*>(request.tls->ca_pem.data()), request.tls->ca_pem.size(), CURL_BLOB_NOCOPY};
      api.easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca_blob);
      // Trust only the given bundle, as Pinniped does (a pool of exactly the given certificates);
      // without this libcurl would also consult its built-in CA file/path.
      api.easy_setopt(curl, CURLOPT_CAINFO, static_cast<const char*>(nullptr));
      api.easy_setopt(curl, CURLOPT_CAPATH, static_cast<const char*>(nullptr));
    }
    if (!request.tls->client_certificate_pem.empty()) {
      const std::string& cert = request.tls->client_certificate_pem.reveal();
      const std::string& key = request.tls->client_key_pem.reveal();
      cert_blob = {const_cast<char*>(cert.data()), cert.size(), CURL_BLOB_NOCOPY};
      key_blob = {const_cast<char*>(key.data()), key.size(), CURL_BLOB_NOCOPY};
      api.easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert_blob);
      api.easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
      api.easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key_blob);
      api.easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
    }
  }
  if (request.method == "POST") {
    api.easy_setopt(curl, CURLOPT_POST, 1L);
    api.easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    api.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    api.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  CURLcode code = api.easy_perform(curl);
  api.slist_free_all(headers);
  ++m_impl->stats.requests;
  long connects = 0;
  api.easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  m_impl->stats.new_connections += static_cast<int>(connects);
  double seconds = 0;
  api.easy_getinfo(curl, CURLINFO_TOTAL_TIME, &seconds);
  if (code != CURLE_OK) {
    std::string text = error_buffer[0] != '\0' ? error_buffer : api.easy_strerror(code);
    PCI_DEBUG(m_impl->log, "HTTP " + request.method + " " + redact_url(request.url) + " failed: " + text);
    std::string hint = advice(code);
    return fail(kind_of(code),
                request.method + " " + redact_url(request.url) + ": " + text + (hint.empty() ? "" : " (" + hint + ")"),
                "curl error " + std::to_string(static_cast<int>(code)));
  }
  api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  PCI_DEBUG(m_impl->log, "HTTP " + request.method + " " + redact_url(request.url) + " -> " + response.status_line() +
                           " (" + std::to_string(static_cast<long>(seconds * 1000)) + " ms" +
                           (connects > 0 ? ", new connection" : ", reused connection") + ")");
  for (const auto& [name, value] : response.headers) {
    if (name == "warning") {
      m_impl->log.warning(value);
    }
  }
  if (response.status >= 400) {
    if (auto audit = response.header("audit-id")) {
      PCI_DEBUG(m_impl->log, "Received auditID for failed request: path=" + redact_url(request.url) +
                               " status=" + std::to_string(response.status) + " auditID=" + *audit);
    }
  }
  return response;
}

Result<Response> send_retrying(Client& client, const Request& request, int attempts)
{
  for (int attempt = 1;; ++attempt) {
    auto response = client.send(request);
    bool transient = (!response && response.error().kind() == ErrorKind::network) ||
                     (response && (response->status == 429 || response->status == 502 || response->status == 503 ||
                                   response->status == 504));
    if (!transient || attempt >= attempts) {
      return response;
    }
    PCI_DEBUG(client.log(), "retrying " + request.method + " " + redact_url(request.url) + " (attempt " +
                     std::to_string(attempt + 1) + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt * attempt));
  }
}

std::string one_line(const std::string& body)
{
  std::string s = body.substr(0, 300);
  for (char& c : s) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  while (!s.empty() && s.back() == ' ') {
    s.pop_back();
  }
  return body.size() > 300 ? s + "..." : s;
}

std::string redact_url(const std::string& url)
{
  auto cut = url.find_first_of("?#");
  return cut == std::string::npos ? url : url.substr(0, cut) + "?[redacted]";
}

std::string reason_phrase(long status)
{
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 409: return "Conflict";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Entity";
  case 429: return "Too Many Requests";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return {};
  }
}

std::string form_escape(std::string_view value)
{
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

std::string form_unescape(std::string_view value)
{
  std::string out;
  out.reserve(value.size());
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < value.size() && hexval(value[i + 1]) >= 0 &&
               hexval(value[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexval(value[i + 1]) * 16 + hexval(value[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

} // namespace pinnipedci::http
