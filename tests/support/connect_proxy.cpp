#include "support/connect_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace pinnipedci::testing {

ConnectProxy::ConnectProxy()
{
  m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (m_listen < 0 || ::bind(m_listen, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(m_listen, 64) != 0 || ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("ConnectProxy: cannot listen on 127.0.0.1");
  }
  m_port = ntohs(address.sin_port);
  m_acceptor = std::thread([this] { accept_loop(); });
}

ConnectProxy::~ConnectProxy()
{
  m_stopping = true;
  ::shutdown(m_listen, SHUT_RDWR);
  m_acceptor.join();
  ::close(m_listen);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> guard(m_mutex);
    workers.swap(m_workers);
  }
  for (auto& w : workers) {
    w.join();
  }
}

std::string ConnectProxy::url() const
{
  return "http://127.0.0.1:" + std::to_string(m_port);
}

std::vector<std::string> ConnectProxy::targets() const
{
  std::lock_guard<std::mutex> guard(m_mutex);
  return m_targets;
}

void ConnectProxy::accept_loop()
{
  while (!m_stopping) {
    int client = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      return;
    }
    std::lock_guard<std::mutex> guard(m_mutex);
    m_workers.emplace_back([this, client] { serve(client); });
  }
}

void ConnectProxy::serve(int client)
{
  std::string head;
  char c = 0;
  while (head.size() < 8192 && head.find("\r\n\r\n") == std::string::npos && ::read(client, &c, 1) == 1) {
    head.push_back(c);
  }
  // "CONNECT 127.0.0.1:1234 HTTP/1.1"
  int upstream = -1;
  if (head.rfind("CONNECT ", 0) == 0) {
    std::string target = head.substr(8, head.find(' ', 8) - 8);
    {
      std::lock_guard<std::mutex> guard(m_mutex);
      m_targets.push_back(target);
    }
    auto colon = target.rfind(':');
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1))));
    if (target.substr(0, colon) == "127.0.0.1") { // never relay anywhere but loopback
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (upstream >= 0 && ::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(upstream);
        upstream = -1;
      }
    }
  }
  const std::string reply = upstream >= 0 ? "HTTP/1.1 200 Connection established\r\n\r\n"
                                          : "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
  if (::write(client, reply.data(), reply.size()) < 0 || upstream < 0) {
    ::close(client);
    if (upstream >= 0) {
      ::close(upstream);
    }
    return;
  }
  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  char buffer[16384];
  while (!m_stopping) {
    int ready = ::poll(fds, 2, 200);
    if (ready < 0) {
      break;
    }
    bool done = false;
    for (int i = 0; i < 2 && !done; ++i) {
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n <= 0 || ::write(fds[1 - i].fd, buffer, static_cast<std::size_t>(n)) != n) {
          done = true;
        }
      }
    }
    if (done) {
      break;
    }
  }
  ::close(client);
  ::close(upstream);
}

} // namespace pinnipedci::testing
