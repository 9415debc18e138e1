// The plain command line: `pinniped-ci login oidc|static` (a drop-in kubectl exec plugin,
// flag-compatible with `pinniped login oidc|static`) and `pinniped-ci whoami`.
#pragma once

#include "env.hpp"

#include <pinnipedci/error.hpp>
#include <pinnipedci/log.hpp>

#include <string>
#include <vector>

namespace pinnipedci::cli {

// Runs the pinniped-ci command line; returns the process exit code.
int run(int argc, char** argv);
int run(const std::vector<std::string>& args, Env& env);

// Debug lines and warnings on the human channel, prefixed "pinniped-ci: ".
class StreamLog final : public LogSink
{
public:
  StreamLog(std::ostream& out, bool debug) : m_out(out), m_debug(debug) {}
  bool debug_enabled() const noexcept override { return m_debug; }
  void debug(std::string_view line) override;
  void warning(std::string_view line) override;

private:
  std::ostream& m_out;
  bool m_debug;
};

// Prints "pinniped-ci: error: <message>" and returns the error's exit code.
int report(const Error& error, Env& env, bool debug);

} // namespace pinnipedci::cli
