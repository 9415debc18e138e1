// On-disk caches in Pinniped's formats (pinniped-protocol.md §6): the session cache (Supervisor
// tokens) and the credential cache (ExecCredential status), each guarded by an exclusive lock on
// "<file>.lock". Directories are created 0700, files written 0600 and replaced atomically.
//
// Differences from Pinniped, on purpose:
//  - when the username is known, its SHA-256 is part of both keys, so two identities sharing a
//    cache file never share an entry (Pinniped §11 item 10);
//  - a credential is not served in its last `min_validity` seconds, so kubectl never receives an
//    already-expiring certificate (Pinniped serves it up to the last second);
//  - the caller holds the lock across "look up, log in, store", so concurrent kubectl processes
//    on a cold cache produce one login, not one each.
#pragma once

#include <pinnipedci/credential.hpp>
#include <pinnipedci/error.hpp>
#include <pinnipedci/log.hpp>
#include <pinnipedci/login.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pinnipedci {

// An exclusive advisory lock (flock) on `<path>.lock`, released by the destructor or when the
// process dies (so a crashed holder never leaves it stuck).
class CacheLock
{
public:
  // Waits up to `timeout` (polling every 10 ms). Fails with ErrorKind::internal-free kinds:
  // usage when the directory cannot be created, remote never; callers treat failure as "no cache".
  static Result<CacheLock> acquire(const std::string& path, std::chrono::milliseconds timeout);
  CacheLock(CacheLock&& other) noexcept;
  CacheLock& operator=(CacheLock&& other) noexcept;
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;
  ~CacheLock();

private:
  explicit CacheLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

// Creates `dir` and missing parents; the last component gets mode 0700.
Result<void> make_private_dir(const std::string& dir);
// Writes `content` to `path` atomically (temp file 0600 in the same directory, fsync, rename).
Result<void> write_private_file(const std::string& path, const std::string& content);

// --- Session cache (§6.1) -----------------------------------------------------------------------

struct SessionKey
{
  std::string issuer;
  std::string client_id;
  std::vector<std::string> scopes;        // sorted
  std::string redirect_uri;               // http://localhost:<port>/callback
  std::string upstream_provider_name;     // omitted when empty
  std::string username_sha256;            // pinniped-ci extension; omitted when empty
};
SessionKey make_session_key(const OidcLoginOptions& options, const std::string& username);

// Callers hold the CacheLock for `path`. Missing, unreadable or foreign files read as empty (the
// reason goes to the debug log); expired tokens are pruned on every access.
std::optional<TokenSet> session_cache_get(const std::string& path, const SessionKey& key, std::int64_t now,
                                          LogSink& log);
Result<void> session_cache_put(const std::string& path, const SessionKey& key, const TokenSet& tokens,
                               std::int64_t now, LogSink& log);

// --- Credential cache (§6.2) --------------------------------------------------------------------

// lowercase hex SHA-256 of the Go JSON encoding (plus "\n") of
// {"args":[...],"cluster":<cluster_json>} (login oidc) or
// {"args":[...],"token":"<static token>","cluster":<cluster_json>} (login static), with
// ,"username":"<sha256 hex>" appended before the closing brace when `username` is non-empty.
std::string credential_cache_key(const std::vector<std::string>& args, const std::string& cluster_json,
                                 const std::optional<std::string>& static_token, const std::string& username);

// A cached credential that is still valid for more than `min_validity` seconds (capped at half of
// its lifetime, so short-lived test credentials are still served).
std::optional<Credential> credential_cache_get(const std::string& path, const std::string& key, std::int64_t now,
                                               std::int64_t min_validity, LogSink& log);
Result<void> credential_cache_put(const std::string& path, const std::string& key, const Credential& credential,
                                  std::int64_t now, LogSink& log);
// Stores several entries with one rewrite of the file.
Result<void> credential_cache_put(const std::string& path,
                                  const std::vector<std::pair<std::string, Credential>>& entries, std::int64_t now,
                                  LogSink& log);

// Hex SHA-256 without touching OpenSSL (keeps the warm exec-plugin path free of crypto-library
// initialisation).
std::string sha256_hex(const std::string& data);

} // namespace pinnipedci
