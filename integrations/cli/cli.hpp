#pragma once
#include <pinnipedci/error.hpp>
namespace pinnipedci::cli {
// Runs the pinniped-ci command line; returns the process exit code.
int run(int argc, char** argv);
} // namespace pinnipedci::cli
