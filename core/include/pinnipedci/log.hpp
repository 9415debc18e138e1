// Logging seam: core never writes to stdout/stderr, it reports to an injected LogSink.
#pragma once

#include <string>
#include <string_view>

namespace pinnipedci {

class LogSink
{
public:
  virtual ~LogSink() = default;
  // Cheap check so callers skip formatting when debug logging is off.
  virtual bool debug_enabled() const noexcept = 0;
  virtual void debug(std::string_view line) = 0;
  // Something the user should see even without --debug (e.g. server Warning headers).
  virtual void warning(std::string_view line) = 0;
};

// A sink that drops everything.
class NullLog final : public LogSink
{
public:
  bool debug_enabled() const noexcept override { return false; }
  void debug(std::string_view) override {}
  void warning(std::string_view) override {}
};

} // namespace pinnipedci

#define PCI_DEBUG(sink, ...)                                                                      \
  do {                                                                                             \
    if ((sink).debug_enabled()) {                                                                  \
      (sink).debug(__VA_ARGS__);                                                                   \
    }                                                                                              \
  } while (false)
