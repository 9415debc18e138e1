#include "files.hpp"

#include <fstream>
#include <sstream>

namespace pinnipedci {

Result<std::string> read_text_file(const std::string& path, const std::string& what)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorKind::usage,
                "could not read " + (what.empty() ? std::string() : what + " ") + path + ": no such file or not readable");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace pinnipedci
