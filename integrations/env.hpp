// The front ends' only door to process state: environment, standard streams, the terminal.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace pinnipedci {

struct Env
{
  std::function<std::optional<std::string>(std::string_view)> get; // getenv
  std::istream* in = nullptr;
  std::ostream* out = nullptr;  // machine channel (ExecCredential, JSON)
  std::ostream* err = nullptr;  // human channel
  bool stdin_is_tty = false;
  // Reads a line from the terminal without echo; nullopt if that is impossible.
  std::function<std::optional<std::string>(const std::string& prompt, bool echo)> prompt;

  // Non-empty value of a variable, or nullopt when unset or empty.
  std::optional<std::string> non_empty(std::string_view name) const;

  static Env from_process();
};

} // namespace pinnipedci
