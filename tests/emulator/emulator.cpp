// SPDX-License-Identifier: Apache-2.0
// Emulator lifecycle, request log, fault injection, admin endpoints and the kubeconfig writer.
#include "emulator_impl.hpp"

#include <openssl/ssl.h>

#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <stdexcept>

namespace pinnipedci::testing {

using namespace detail;

namespace detail {

std::int64_t now_seconds()
{
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A request is handled start to finish (handler, then post-routing log hook) on one worker thread.
RequestNote& current_note()
{
  thread_local RequestNote note;
  return note;
}

void set_json(httplib::Response& res, int status, const std::string& body, const char* content_type)
{
  res.status = status;
  res.set_content(body, content_type);
}

std::string k8s_status_json(int code, const std::string& reason, const std::string& message)
{
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  jkv(w, "kind", "Status");
  jkv(w, "apiVersion", "v1");
  jkey(w, "metadata");
  w.StartObject();
  w.EndObject();
  jkv(w, "status", "Failure");
  jkv(w, "message", message);
  jkv(w, "reason", reason);
  jkey(w, "code");
  w.Int(code);
  w.EndObject();
  return buf.GetString();
}

std::string regex_escape(const std::string& s)
{
  std::string out;
  for (const char c : s) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

} // namespace detail

namespace {

// The Debian cpp-httplib library listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG is fixed
// when the library is compiled). Fifty clients connecting at once then lose SYNs and wait a
// second for the retransmission, which a Go Supervisor (backlog = somaxconn) never causes. Calling
// listen() again on the bound socket raises the backlog on Linux.
void widen_listen_backlog(int port)
{
  for (int fd = 0; fd < 4096; ++fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 || address.sin_family != AF_INET ||
        ntohs(address.sin_port) != port) {
      continue;
    }
    int listening = 0;
    socklen_t size = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0 && listening != 0) {
      ::listen(fd, SOMAXCONN);
    }
  }
}


const char* reason_phrase(int status)
{
  switch (status) {
  case 429: return "TooManyRequests";
  case 500: return "InternalError";
  case 502: return "BadGateway";
  case 503: return "ServiceUnavailable";
  case 504: return "Timeout";
  default: return "InternalError";
  }
}

// Request line, headers (minus httplib's pseudo-headers) and body.
std::string raw_request(const httplib::Request& req)
{
  std::string raw = req.method + " " + req.target + " " + req.version + "\r\n";
  for (const auto& [name, value] : req.headers) {
    if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT") {
      continue;
    }
    raw += name + ": " + value + "\r\n";
  }
  return raw + "\r\n" + req.body;
}

// One JSON-lines record: everything except `raw` (which may hold secrets).
std::string log_line(const LoggedRequest& e)
{
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  jkey(w, "seq");
  w.Uint64(e.seq);
  jkv(w, "time", rfc3339(e.time));
  jkv(w, "server", e.server);
  jkey(w, "cluster");
  w.Int(e.cluster);
  jkv(w, "method", e.method);
  jkv(w, "path", e.path);
  jkv(w, "kind", e.kind);
  jkey(w, "status");
  w.Int(e.status);
  jkv(w, "client_auth", e.client_auth);
  jkv(w, "user", e.user);
  jkv(w, "fault", e.fault);
  w.EndObject();
  return std::string(buf.GetString()) + "\n";
}

void faults_json(JsonWriter& w, const Faults& f)
{
  w.StartObject();
  jkey(w, "latency_ms");
  w.Int(f.latency_ms);
  jkey(w, "fail_next");
  w.StartArray();
  for (const auto& r : f.fail_next) {
    w.StartObject();
    jkv(w, "path", r.path);
    jkey(w, "status");
    w.Int(r.status);
    jkey(w, "count");
    w.Int(r.count);
    w.EndObject();
  }
  w.EndArray();
  jkey(w, "reset_next");
  w.StartArray();
  for (const auto& r : f.reset_next) {
    w.StartObject();
    jkv(w, "path", r.path);
    jkey(w, "count");
    w.Int(r.count);
    w.EndObject();
  }
  w.EndArray();
  const std::pair<const char*, bool> flags[] = {
      {"wrong_state", f.wrong_state},         {"omit_nonce", f.omit_nonce},
      {"bad_signature", f.bad_signature},     {"wrong_issuer", f.wrong_issuer},
      {"expired_id_token", f.expired_id_token}, {"reject_basic_auth", f.reject_basic_auth},
      {"include_kid", f.include_kid},         {"tcr_auth_failed", f.tcr_auth_failed}};
  for (const auto& [name, value] : flags) {
    jkey(w, name);
    w.Bool(value);
  }
  jkey(w, "cert_ttl_seconds");
  w.Int(f.cert_ttl_seconds);
  jkey(w, "token_ttl_seconds");
  w.Int(f.token_ttl_seconds);
  jkey(w, "authorize_status");
  w.Int(f.authorize_status);
  w.EndObject();
}

// Partial update from a JSON object; returns an error message or "".
std::string apply_faults_json(const rapidjson::Value& doc, Faults& f)
{
  if (!doc.IsObject()) {
    return "body must be a JSON object";
  }
  for (const auto& m : doc.GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    const auto& v = m.value;
    bool* flag = key == "wrong_state"         ? &f.wrong_state
                 : key == "omit_nonce"        ? &f.omit_nonce
                 : key == "bad_signature"     ? &f.bad_signature
                 : key == "wrong_issuer"      ? &f.wrong_issuer
                 : key == "expired_id_token"  ? &f.expired_id_token
                 : key == "reject_basic_auth" ? &f.reject_basic_auth
                 : key == "include_kid"       ? &f.include_kid
                 : key == "tcr_auth_failed"   ? &f.tcr_auth_failed
                                              : nullptr;
    int* number = key == "latency_ms"          ? &f.latency_ms
                  : key == "cert_ttl_seconds"  ? &f.cert_ttl_seconds
                  : key == "token_ttl_seconds" ? &f.token_ttl_seconds
                  : key == "authorize_status"  ? &f.authorize_status
                                               : nullptr;
    if (flag != nullptr) {
      if (!v.IsBool()) {
        return key + " must be a boolean";
      }
      *flag = v.GetBool();
    } else if (number != nullptr) {
      if (!v.IsInt()) {
        return key + " must be an integer";
      }
      *number = v.GetInt();
    } else if (key == "fail_next" || key == "reset_next") {
      if (!v.IsArray()) {
        return key + " must be an array";
      }
      std::vector<FailRule> fails;
      std::vector<ResetRule> resets;
      for (const auto& rule : v.GetArray()) {
        if (!rule.IsObject()) {
          return key + " entries must be objects";
        }
        const auto status = rule.FindMember("status");
        const auto count = rule.FindMember("count");
        const int c = count != rule.MemberEnd() && count->value.IsInt() ? count->value.GetInt() : 1;
        if (key == "fail_next") {
          const int s = status != rule.MemberEnd() && status->value.IsInt() ? status->value.GetInt() : 503;
          fails.push_back(FailRule{json_string_member(rule, "path"), s, c});
        } else {
          resets.push_back(ResetRule{json_string_member(rule, "path"), c});
        }
      }
      if (key == "fail_next") {
        f.fail_next = std::move(fails);
      } else {
        f.reset_next = std::move(resets);
      }
    } else {
      return "unknown fault '" + key + "'";
    }
  }
  return {};
}

// YAML scalar as sigs.k8s.io/yaml would print it for our values: plain when safe, else single-quoted.
std::string yaml_scalar(const std::string& s)
{
  bool plain = !s.empty() && s.front() != ' ' && s.back() != ' '
               && std::string_view("!&*|>'\"%@`#,[]{}?:~").find(s.front()) == std::string_view::npos
               && s.rfind("...", 0) != 0 && s.rfind("---", 0) != 0 && s != "-" && s.rfind("- ", 0) != 0
               && s.find(": ") == std::string::npos && s.find(" #") == std::string::npos && s.back() != ':'
               && s.find('\n') == std::string::npos;
  static const char* const k_special[] = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"};
  for (const char* word : k_special) {
    std::string lower;
    for (const char c : s) {
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    plain = plain && lower != word;
  }
  if (plain && s.find_first_not_of("0123456789.+-eE") == std::string::npos) {
    plain = false;
  }
  if (plain) {
    return s;
  }
  std::string out = "'";
  for (const char c : s) {
    out += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return out + "'";
}

} // namespace

std::string_view to_string(IdpType type) noexcept
{
  switch (type) {
  case IdpType::ldap: return "ldap";
  case IdpType::activedirectory: return "activedirectory";
  case IdpType::oidc: return "oidc";
  }
  return "ldap";
}

std::optional<IdpType> idp_type_from_string(std::string_view text) noexcept
{
  if (text == "ldap") {
    return IdpType::ldap;
  }
  if (text == "activedirectory") {
    return IdpType::activedirectory;
  }
  if (text == "oidc") {
    return IdpType::oidc;
  }
  return std::nullopt;
}

// ---- Impl ---------------------------------------------------------------------------------------

std::string Emulator::Impl::issuer() const
{
  return "https://127.0.0.1:" + std::to_string(supervisor_port) + cfg.issuer_path;
}

Faults Emulator::Impl::faults_snapshot() const
{
  const std::lock_guard lock(mu);
  return faults;
}

bool Emulator::Impl::apply_faults(const httplib::Request& req, httplib::Response& res, bool kubernetes_style)
{
  int latency = 0;
  bool reset = false;
  int fail_status = 0;
  {
    const std::lock_guard lock(mu);
    latency = faults.latency_ms;
    for (auto it = faults.reset_next.begin(); it != faults.reset_next.end(); ++it) {
      if (it->count > 0 && req.path.find(it->path) != std::string::npos) {
        reset = true;
        if (--it->count <= 0) {
          faults.reset_next.erase(it);
        }
        break;
      }
    }
    for (auto it = faults.fail_next.begin(); !reset && it != faults.fail_next.end(); ++it) {
      if (it->count > 0 && req.path.find(it->path) != std::string::npos) {
        fail_status = it->status;
        if (--it->count <= 0) {
          faults.fail_next.erase(it);
        }
        break;
      }
    }
  }
  if (latency > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(latency));
  }
  if (reset) {
    // Close the TCP connection under httplib's feet: the client sees EOF/ECONNRESET and no response.
    // httplib's later write fails with EPIPE (SIGPIPE is blocked on the server threads).
    current_note().fault = "reset";
    if (req.ssl != nullptr) {
      const int fd = SSL_get_fd(req.ssl);
      if (fd >= 0) {
        ::shutdown(fd, SHUT_RDWR);
      }
    }
    res.status = 500;
    return true;
  }
  if (fail_status != 0) {
    current_note().fault = "fail_next";
    if (fail_status == 429 || fail_status == 503) {
      res.set_header("Retry-After", "1");
    }
    if (kubernetes_style) {
      set_json(res, fail_status, k8s_status_json(fail_status, reason_phrase(fail_status), "pinniped-emulator: injected fault"));
    } else {
      res.status = fail_status;
      res.set_content("pinniped-emulator: injected fault\n", "text/plain; charset=utf-8");
    }
    return true;
  }
  return false;
}

httplib::Server::Handler Emulator::Impl::wrap(httplib::Server::Handler handler, bool kubernetes_style)
{
  return [this, handler = std::move(handler), kubernetes_style](const httplib::Request& req, httplib::Response& res) {
    current_note() = {};
    current_note().raw = raw_request(req);
    // httplib gzips application/json and text/* bodies whenever the client accepts gzip; the real
    // Supervisor and kube-apiserver (for small bodies) never do, so hide the header from httplib.
    // The Request is a non-const local of httplib's process_request(), so this is well defined.
    const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
    if (!apply_faults(req, res, kubernetes_style)) {
      handler(req, res);
    }
  };
}

int Emulator::Impl::cluster_of(std::string_view path, std::string_view* rest) const
{
  if (rest != nullptr) {
    *rest = path;
  }
  constexpr std::string_view prefix = "/clusters/";
  if (cfg.clusters <= 1 || path.substr(0, prefix.size()) != prefix) {
    return 0;
  }
  const std::size_t start = prefix.size();
  std::size_t end = start;
  while (end < path.size() && end - start < 9 && path[end] >= '0' && path[end] <= '9') {
    ++end;
  }
  if (end == start || path[start] == '0' || (end < path.size() && path[end] != '/')) {
    return 0;
  }
  const int index = std::stoi(std::string(path.substr(start, end - start)));
  if (index >= cfg.clusters) {
    return 0;
  }
  if (rest != nullptr) {
    *rest = end < path.size() ? path.substr(end) : std::string_view("/");
  }
  return index;
}

std::string Emulator::Impl::cluster_audience(int index) const
{
  if (index < 0 || index >= cfg.clusters) {
    throw std::out_of_range("pinniped-emulator: no cluster " + std::to_string(index));
  }
  return index == 0 ? cfg.jwt_authenticator_audience : cfg.jwt_authenticator_audience + "-" + std::to_string(index);
}

std::string Emulator::Impl::classify(bool is_api, const httplib::Request& req) const
{
  std::string_view api_path;
  if (is_api) {
    cluster_of(req.path, &api_path);
  }
  const std::string p = is_api ? std::string(api_path) : req.path;
  if (!is_api) {
    const std::string& base = cfg.issuer_path;
    if (p == base + "/.well-known/openid-configuration") {
      return "discovery";
    }
    if (p == base + "/v1alpha1/pinniped_identity_providers") {
      return "idp_discovery";
    }
    if (p == base + "/jwks.json") {
      return "jwks";
    }
    if (p == base + "/oauth2/authorize"
        && (req.has_header("Pinniped-Username") || req.has_header("Pinniped-Password"))) {
      return "authorize_password";
    }
    if (p == base + "/oauth2/token") {
      const std::string grant = form_get(parse_form(req.body), "grant_type");
      if (grant == "authorization_code") {
        return "token_authcode";
      }
      if (grant == "refresh_token") {
        return "token_refresh";
      }
      if (grant == "urn:ietf:params:oauth:grant-type:token-exchange") {
        return "token_exchange";
      }
    }
    return "other";
  }
  if (p == "/version") {
    return "version";
  }
  if (p == "/apis/login.concierge." + cfg.api_group_suffix + "/v1alpha1/tokencredentialrequests") {
    return "tcr";
  }
  if (p == "/apis/identity.concierge." + cfg.api_group_suffix + "/v1alpha1/whoamirequests") {
    return "whoami_request";
  }
  if (p.rfind("/apis/authentication.k8s.io/", 0) == 0 && p.size() > 19
      && p.compare(p.size() - 19, 19, "/selfsubjectreviews") == 0) {
    return "selfsubjectreview";
  }
  return "other";
}

void Emulator::Impl::record(const char* server, const httplib::Request& req, const httplib::Response& res)
{
  RequestNote note = std::move(current_note());
  current_note() = {};
  if (req.path.rfind("/_emulator/", 0) == 0) {
    return;
  }
  const bool is_api = std::string_view(server) == "api";
  LoggedRequest entry;
  entry.time = now_seconds();
  entry.server = server;
  entry.cluster = is_api ? cluster_of(req.path) : -1;
  entry.method = req.method;
  entry.path = req.path;
  entry.kind = classify(is_api, req);
  entry.status = note.fault == "reset" ? 0 : res.status;
  if (!is_api && req.path == cfg.issuer_path + "/oauth2/token") {
    if (req.get_header_value("Authorization").rfind("Basic ", 0) == 0) {
      entry.client_auth = "basic";
    } else if (parse_form(req.body).count("client_id") > 0) {
      entry.client_auth = "body";
    } else {
      entry.client_auth = "none";
    }
  }
  entry.user = note.user;
  entry.fault = note.fault;
  entry.raw = note.raw.empty() ? raw_request(req) : std::move(note.raw);

  const std::lock_guard lock(mu);
  entry.seq = next_seq++;
  if (log_file.is_open()) {
    log_file << log_line(entry) << std::flush;
  }
  log.push_back(std::move(entry));
}

std::string Emulator::Impl::log_jsonl() const
{
  const std::lock_guard lock(mu);
  std::string out;
  for (const auto& e : log) {
    out += log_line(e);
  }
  return out;
}

void Emulator::Impl::install_admin(httplib::Server& server)
{
  auto local_only = [](const httplib::Request& req, httplib::Response& res) {
    if (req.remote_addr != "127.0.0.1") {
      set_json(res, 403, R"({"error":"admin endpoints are only served to 127.0.0.1"})");
      return false;
    }
    return true;
  };
  server.Get("/_emulator/requests", [this, local_only](const httplib::Request& req, httplib::Response& res) {
    if (local_only(req, res)) {
      res.set_content(log_jsonl(), "application/x-ndjson");
    }
  });
  server.Post("/_emulator/clear-requests", [this, local_only](const httplib::Request& req, httplib::Response& res) {
    if (local_only(req, res)) {
      const std::lock_guard lock(mu);
      log.clear();
      set_json(res, 200, "{}");
    }
  });
  auto faults_reply = [this](httplib::Response& res) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    faults_json(w, faults_snapshot());
    set_json(res, 200, buf.GetString());
  };
  server.Get("/_emulator/faults", [local_only, faults_reply](const httplib::Request& req, httplib::Response& res) {
    if (local_only(req, res)) {
      faults_reply(res);
    }
  });
  server.Post("/_emulator/faults", [this, local_only, faults_reply](const httplib::Request& req, httplib::Response& res) {
    if (!local_only(req, res)) {
      return;
    }
    rapidjson::Document doc;
    doc.Parse(req.body.c_str(), req.body.size());
    if (doc.HasParseError()) {
      return set_json(res, 400, R"({"error":"invalid JSON"})");
    }
    std::string error;
    {
      const std::lock_guard lock(mu);
      Faults updated = faults;
      error = apply_faults_json(doc, updated);
      if (error.empty()) {
        faults = std::move(updated);
      }
    }
    if (!error.empty()) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      jkv(w, "error", error);
      w.EndObject();
      return set_json(res, 400, buf.GetString());
    }
    faults_reply(res);
  });
  server.Post("/_emulator/revoke-refresh-tokens", [this, local_only](const httplib::Request& req, httplib::Response& res) {
    if (!local_only(req, res)) {
      return;
    }
    int n = 0;
    {
      const std::lock_guard lock(mu);
      for (auto& [token, rt] : refresh_tokens) {
        if (!rt.used && !rt.revoked) {
          rt.revoked = true;
          ++n;
        }
      }
    }
    set_json(res, 200, R"({"revoked":)" + std::to_string(n) + "}");
  });
}

// ---- Emulator --------------------------------------------------------------------------------------

Emulator::Emulator(EmulatorConfig cfg) : m_impl(std::make_unique<Impl>(std::move(cfg))) {}

Emulator::~Emulator()
{
  stop();
}

namespace {

// Starts `server` on a background thread and returns once its accept loop runs.
std::thread run_server(httplib::Server& server, std::size_t workers)
{
  auto ready = std::make_shared<std::promise<void>>();
  std::future<void> ready_future = ready->get_future();
  server.new_task_queue = [ready, workers] {
    // httplib calls this once, from listen_internal(), after marking itself running and right
    // before entering the accept loop: an explicit readiness signal.
    ready->set_value();
    return new httplib::ThreadPool(workers);
  };
  std::thread thread([&server] {
    // Worker threads inherit this mask: a fault-reset connection must not SIGPIPE the process.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    server.listen_after_bind();
  });
  ready_future.wait();
  return thread;
}

bool setup_tls(SSL_CTX& ctx, const CertAndKey& leaf, const CertAndKey* client_ca)
{
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1
      || SSL_CTX_use_certificate(&ctx, leaf.cert.get()) != 1
      || SSL_CTX_use_PrivateKey(&ctx, leaf.key.get()) != 1) {
    return false;
  }
  if (client_ca != nullptr) {
    // Request, but do not require, a client certificate; handlers verify it themselves
    // (verify_peer_cert) so a bad certificate degrades to "anonymous", like kube-apiserver.
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
    if (SSL_CTX_add_client_CA(&ctx, client_ca->cert.get()) != 1) {
      return false;
    }
  }
  return true;
}

} // namespace

void Emulator::start()
{
  Impl& m = *m_impl;
  if (m.started) {
    throw std::logic_error("pinniped-emulator: start() called twice");
  }
  if (m.cfg.clusters < 1) {
    throw std::invalid_argument("pinniped-emulator: clusters must be at least 1");
  }
  m.started = true;
  m.server_ca = make_ca("Pinniped Emulator CA");
  m.supervisor_cert = make_server_cert(m.server_ca);
  m.api_cert = make_server_cert(m.server_ca);
  m.client_ca = make_ca("Pinniped Emulator Client CA");
  m.signing_key = generate_p256_key();
  m.server_ca_pem = cert_pem(m.server_ca.cert.get());
  m.client_ca_pem = cert_pem(m.client_ca.cert.get());

  if (!m.cfg.request_log_path.empty()) {
    m.log_file.open(m.cfg.request_log_path, std::ios::out | std::ios::trunc);
    if (!m.log_file) {
      throw std::runtime_error("pinniped-emulator: cannot open request log " + m.cfg.request_log_path);
    }
  }

  m.supervisor = std::make_unique<httplib::SSLServer>(
      [&m](SSL_CTX& ctx) { return setup_tls(ctx, m.supervisor_cert, nullptr); });
  m.api = std::make_unique<httplib::SSLServer>(
      [&m](SSL_CTX& ctx) { return setup_tls(ctx, m.api_cert, &m.client_ca); });
  if (!m.supervisor->is_valid() || !m.api->is_valid()) {
    throw std::runtime_error("pinniped-emulator: TLS set-up failed");
  }
  for (auto* server : {m.supervisor.get(), m.api.get()}) {
    // Bounds how long stop() waits for an idle keep-alive connection.
    server->set_keep_alive_timeout(1);
    // Go servers do not cap requests per connection; httplib closes after 5 by default, which
    // would hide (or fake) connection reuse in the client.
    server->set_keep_alive_max_count(100000);
    server->set_tcp_nodelay(true); // httplib writes headers and body separately: avoid Nagle stalls
    server->set_read_timeout(10);
    server->set_write_timeout(10);
  }
  m.supervisor->set_post_routing_handler(
      [&m](const httplib::Request& req, httplib::Response& res) { m.record("supervisor", req, res); });
  m.api->set_post_routing_handler(
      [&m](const httplib::Request& req, httplib::Response& res) { m.record("api", req, res); });
  m.install_supervisor(*m.supervisor);
  m.install_admin(*m.api);
  m.install_api(*m.api);

  m.supervisor_port = m.supervisor->bind_to_any_port("127.0.0.1");
  m.api_port = m.api->bind_to_any_port("127.0.0.1");
  if (m.supervisor_port <= 0 || m.api_port <= 0) {
    throw std::runtime_error("pinniped-emulator: cannot bind 127.0.0.1");
  }
  widen_listen_backlog(m.supervisor_port);
  widen_listen_backlog(m.api_port);
  const auto workers = static_cast<std::size_t>(std::max(1, m.cfg.worker_threads));
  m.supervisor_thread = run_server(*m.supervisor, workers);
  m.api_thread = run_server(*m.api, workers);
}

void Emulator::stop()
{
  Impl& m = *m_impl;
  if (!m.started || m.stopped) {
    return;
  }
  m.stopped = true;
  for (auto* server : {m.supervisor.get(), m.api.get()}) {
    if (server != nullptr) {
      server->stop();
    }
  }
  for (auto* thread : {&m.supervisor_thread, &m.api_thread}) {
    if (thread->joinable()) {
      thread->join();
    }
  }
  const std::lock_guard lock(m.mu);
  if (m.log_file.is_open()) {
    m.log_file.close();
  }
}

std::string Emulator::issuer() const { return m_impl->issuer(); }
std::string Emulator::supervisor_url() const { return "https://127.0.0.1:" + std::to_string(m_impl->supervisor_port); }
std::string Emulator::supervisor_ca_pem() const { return m_impl->server_ca_pem; }
std::string Emulator::api_url() const { return "https://127.0.0.1:" + std::to_string(m_impl->api_port); }
std::string Emulator::api_ca_pem() const { return m_impl->server_ca_pem; }
std::string Emulator::client_ca_pem() const { return m_impl->client_ca_pem; }
std::string Emulator::admin_url() const { return api_url() + "/_emulator"; }
const EmulatorConfig& Emulator::config() const noexcept { return m_impl->cfg; }
int Emulator::clusters() const noexcept { return m_impl->cfg.clusters; }

std::string Emulator::cluster_url(int index) const
{
  if (index < 0 || index >= m_impl->cfg.clusters) {
    throw std::out_of_range("pinniped-emulator: no cluster " + std::to_string(index));
  }
  return index == 0 ? api_url() : api_url() + "/clusters/" + std::to_string(index);
}

std::string Emulator::cluster_audience(int index) const { return m_impl->cluster_audience(index); }

std::vector<LoggedRequest> Emulator::requests() const
{
  const std::lock_guard lock(m_impl->mu);
  return m_impl->log;
}

std::size_t Emulator::count(std::string_view kind) const
{
  const std::lock_guard lock(m_impl->mu);
  return static_cast<std::size_t>(std::count_if(m_impl->log.begin(), m_impl->log.end(),
                                                [&](const LoggedRequest& e) { return e.kind == kind; }));
}

void Emulator::clear_requests()
{
  const std::lock_guard lock(m_impl->mu);
  m_impl->log.clear();
}

Faults Emulator::faults() const { return m_impl->faults_snapshot(); }

void Emulator::set_faults(Faults faults)
{
  const std::lock_guard lock(m_impl->mu);
  m_impl->faults = std::move(faults);
}

void Emulator::update_faults(const std::function<void(Faults&)>& change)
{
  const std::lock_guard lock(m_impl->mu);
  change(m_impl->faults);
}

void Emulator::revoke_refresh_tokens()
{
  const std::lock_guard lock(m_impl->mu);
  for (auto& [token, rt] : m_impl->refresh_tokens) {
    rt.revoked = true;
  }
}

std::string Emulator::sign_jwt(const std::string& payload_json) const { return m_impl->sign(payload_json); }

namespace {

// One cluster's entries of a kubeconfig (YAML list items, two-space indented like sigs.k8s.io/yaml).
struct KubeEntry
{
  std::string context;
  std::string cluster_yaml;
  std::string context_yaml;
  std::string user_yaml;
};

KubeEntry kube_entry(const Emulator& emu, const KubeconfigOptions& o, int index)
{
  const EmulatorConfig& cfg = emu.config();
  const std::string server = emu.cluster_url(index); // throws std::out_of_range for a bad index
  const std::string suffix = o.api_group_suffix.empty() ? cfg.api_group_suffix : o.api_group_suffix;
  const std::string ca_b64 = base64_encode(emu.api_ca_pem());
  const std::string base = index == 0 ? o.name : o.name + "-" + std::to_string(index);
  const std::string cluster = base + "-cluster-pinniped";
  const std::string context = base + "-context-pinniped";
  const std::string user = base + "-user-pinniped";

  // Argument order: protocol doc 1.2.
  std::vector<std::string> args = {"login", o.mode == ConciergeMode::concierge_webhook_static_token ? "static" : "oidc"};
  if (o.mode != ConciergeMode::no_concierge) {
    const bool jwt = o.mode == ConciergeMode::concierge_jwt;
    args.emplace_back("--enable-concierge");
    args.push_back("--concierge-api-group-suffix=" + suffix);
    args.push_back("--concierge-authenticator-name="
                   + (jwt ? cfg.jwt_authenticator_name : cfg.webhook_authenticator_name));
    args.push_back(std::string("--concierge-authenticator-type=") + (jwt ? "jwt" : "webhook"));
    args.push_back("--concierge-endpoint=" + server);
    args.push_back("--concierge-ca-bundle-data=" + ca_b64);
  }
  if (o.credential_cache) {
    args.push_back("--credential-cache=" + *o.credential_cache);
  }
  if (o.mode == ConciergeMode::concierge_webhook_static_token) {
    if (!o.static_token_env.empty()) {
      args.push_back("--token-env=" + o.static_token_env);
    } else if (!o.static_token.empty()) {
      args.push_back("--token=" + o.static_token);
    } else if (!cfg.static_tokens.empty()) {
      args.push_back("--token=" + cfg.static_tokens.front().token);
    }
  } else {
    args.push_back("--issuer=" + emu.issuer());
    args.emplace_back("--client-id=pinniped-cli");
    args.emplace_back("--scopes=offline_access,openid,pinniped:request-audience,username,groups");
    args.push_back("--ca-bundle-data=" + base64_encode(emu.supervisor_ca_pem()));
    if (o.session_cache) {
      args.push_back("--session-cache=" + *o.session_cache);
    }
    std::string audience;
    if (o.request_audience) {
      audience = *o.request_audience;
    } else if (o.mode == ConciergeMode::concierge_jwt) {
      audience = emu.cluster_audience(index);
    }
    if (!audience.empty()) {
      args.push_back("--request-audience=" + audience);
    }
    const UpstreamIdp* idp = nullptr;
    std::string idp_name;
    if (o.idp_name) {
      idp_name = *o.idp_name;
      for (const auto& candidate : cfg.idps) {
        if (candidate.name == idp_name) {
          idp = &candidate;
        }
      }
    } else if (!cfg.idps.empty()) {
      idp = &cfg.idps.front();
      idp_name = idp->name;
    }
    if (!idp_name.empty()) {
      const std::string type = o.idp_type ? *o.idp_type : idp != nullptr ? std::string(to_string(idp->type)) : "oidc";
      args.push_back("--upstream-identity-provider-name=" + idp_name);
      args.push_back("--upstream-identity-provider-type=" + type);
      if (!o.idp_flow.empty()) {
        args.push_back("--upstream-identity-provider-flow=" + o.idp_flow);
      }
    }
  }

  KubeEntry e;
  e.context = context;
  e.cluster_yaml = "- cluster:\n"
                   "    certificate-authority-data: " + ca_b64 + "\n"
                   "    server: " + yaml_scalar(server) + "\n"
                   "  name: " + yaml_scalar(cluster) + "\n";
  e.context_yaml = "- context:\n"
                   "    cluster: " + yaml_scalar(cluster) + "\n"
                   "    user: " + yaml_scalar(user) + "\n"
                   "  name: " + yaml_scalar(context) + "\n";
  std::string& y = e.user_yaml;
  y += "- name: " + yaml_scalar(user) + "\n";
  y += "  user:\n";
  y += "    exec:\n";
  y += std::string("      apiVersion: client.authentication.k8s.io/")
       + (o.exec_api_version == ExecApiVersion::v1 ? "v1" : "v1beta1") + "\n";
  y += "      args:\n";
  for (const auto& arg : args) {
    y += "      - " + yaml_scalar(arg) + "\n";
  }
  y += "      command: " + yaml_scalar(o.command) + "\n";
  y += "      env: []\n";
  // sigs.k8s.io/yaml folds this long plain scalar exactly here (protocol doc 10.1).
  y += "      installHint: The pinniped CLI does not appear to be installed.  See https://get.pinniped.dev/cli\n";
  y += "        for more details\n";
  if (o.exec_api_version == ExecApiVersion::v1) {
    y += "      interactiveMode: Never\n";
  }
  y += "      provideClusterInfo: true\n";
  return e;
}

std::string kube_assemble(const std::vector<KubeEntry>& entries)
{
  std::string y = "apiVersion: v1\nclusters:\n";
  for (const auto& e : entries) {
    y += e.cluster_yaml;
  }
  y += "contexts:\n";
  for (const auto& e : entries) {
    y += e.context_yaml;
  }
  y += "current-context: " + yaml_scalar(entries.front().context) + "\n";
  y += "kind: Config\n";
  y += "preferences: {}\n";
  y += "users:\n";
  for (const auto& e : entries) {
    y += e.user_yaml;
  }
  return y;
}

} // namespace

std::string Emulator::kubeconfig_yaml(const KubeconfigOptions& o) const
{
  return kube_assemble({kube_entry(*this, o, o.cluster)});
}

std::string Emulator::kubeconfig_yaml_all(const KubeconfigOptions& o) const
{
  std::vector<KubeEntry> entries;
  entries.reserve(static_cast<std::size_t>(m_impl->cfg.clusters));
  for (int i = 0; i < m_impl->cfg.clusters; ++i) {
    entries.push_back(kube_entry(*this, o, i));
  }
  return kube_assemble(entries);
}

} // namespace pinnipedci::testing
