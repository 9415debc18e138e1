#include <cli/cli.hpp>

#include <exception>
#include <iostream>

int main(int argc, char** argv)
{
  try {
    return pinnipedci::cli::run(argc, argv);
  } catch (const std::exception& e) { // a bug let an exception escape a Result
    std::cerr << "pinniped-ci: internal error: " << e.what() << '\n';
    return pinnipedci::exit_code(pinnipedci::ErrorKind::internal);
  }
}
