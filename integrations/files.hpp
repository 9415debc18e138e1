#pragma once

#include <pinnipedci/error.hpp>

#include <string>

namespace pinnipedci {

// The whole file; ErrorKind::usage "could not read [<what> ]<path>: no such file or not readable".
Result<std::string> read_text_file(const std::string& path, const std::string& what = {});

} // namespace pinnipedci
