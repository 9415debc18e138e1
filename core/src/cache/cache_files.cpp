#include <pinnipedci/cache.hpp>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pinnipedci {
namespace {

std::string parent_of(const std::string& path)
{
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string errno_text()
{
  return std::strerror(errno);
}

} // namespace

Result<void> make_private_dir(const std::string& dir)
{
  if (dir.empty() || dir == "." || dir == "/") {
    return {};
  }
  struct stat st{};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return fail(ErrorKind::usage, "cache directory " + dir + " exists but is not a directory");
    }
    return {};
  }
  PCI_TRY(make_private_dir(parent_of(dir)));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(ErrorKind::usage, "could not create directory " + dir + ": " + errno_text());
  }
  return {};
}

Result<void> write_private_file(const std::string& path, const std::string& content)
{
  PCI_TRY(make_private_dir(parent_of(path)));
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return fail(ErrorKind::usage, "could not write " + path + ": " + errno_text());
  }
  ::fchmod(fd, 0600); // in case the file already existed with other bits
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      std::string why = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(ErrorKind::usage, "could not write " + path + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    return fail(ErrorKind::usage, "could not write " + path + ": " + why);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    return fail(ErrorKind::usage, "could not replace " + path + ": " + why);
  }
  return {};
}

Result<CacheLock> CacheLock::acquire(const std::string& path, std::chrono::milliseconds timeout)
{
  PCI_TRY(make_private_dir(parent_of(path)));
  std::string lock_path = path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return fail(ErrorKind::usage, "could not open lock file " + lock_path + ": " + errno_text());
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      std::string why = errno_text();
      ::close(fd);
      return fail(ErrorKind::usage, "could not lock " + lock_path + ": " + why);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return fail(ErrorKind::usage, "timed out waiting for the lock " + lock_path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return CacheLock(fd);
}

CacheLock::CacheLock(CacheLock&& other) noexcept : m_fd(other.m_fd)
{
  other.m_fd = -1;
}

CacheLock& CacheLock::operator=(CacheLock&& other) noexcept
{
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

CacheLock::~CacheLock()
{
  if (m_fd >= 0) {
    ::close(m_fd); // releases the flock
  }
}

} // namespace pinnipedci
