#include "env.hpp"

#include <cstdlib>
#include <iostream>
#include <string>

#include <termios.h>
#include <unistd.h>

namespace pinnipedci {

std::optional<std::string> Env::non_empty(std::string_view name) const
{
  auto v = get(name);
  if (!v || v->empty()) {
    return std::nullopt;
  }
  return v;
}

Env Env::from_process()
{
  Env env;
  env.get = [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  };
  env.in = &std::cin;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.stdin_is_tty = isatty(STDIN_FILENO) == 1;
  env.prompt = [](const std::string& text, bool echo) -> std::optional<std::string> {
    if (isatty(STDIN_FILENO) != 1) {
      return std::nullopt;
    }
    std::cerr << text << std::flush;
    termios old_settings{};
    bool restore = false;
    if (!echo && tcgetattr(STDIN_FILENO, &old_settings) == 0) {
      termios quiet = old_settings;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
    std::string line;
    bool ok = static_cast<bool>(std::getline(std::cin, line));
    if (restore) {
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_settings);
      std::cerr << '\n';
    }
    if (!ok) {
      return std::nullopt;
    }
    return line;
  };
  return env;
}

} // namespace pinnipedci
