// A minimal HTTP CONNECT proxy on 127.0.0.1 (port 0) for tests of HTTPS_PROXY handling. It records
// the CONNECT targets it was asked for and relays bytes; it never sees inside TLS.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pinnipedci::testing {

class ConnectProxy
{
public:
  ConnectProxy();   // listening when constructed
  ~ConnectProxy();  // stops and joins every thread
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;

  std::string url() const; // http://127.0.0.1:<port>
  std::vector<std::string> targets() const;

private:
  void accept_loop();
  void serve(int client);

  int m_listen = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
  std::thread m_acceptor;
  mutable std::mutex m_mutex;
  std::vector<std::string> m_targets;
  std::vector<std::thread> m_workers;
};

} // namespace pinnipedci::testing
