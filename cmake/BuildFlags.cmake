# One INTERFACE target carries every first-party build flag; product and test targets link it
# PRIVATE, third-party code never sees it.
add_library(pinniped_ci_build_flags INTERFACE)
target_compile_features(pinniped_ci_build_flags INTERFACE cxx_std_20)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(pinniped_ci_build_flags INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
    # RapidJSON 1.1 (Debian 12) iterator comparisons trip clang's C++20 reversed-operator check.
    $<$<CXX_COMPILER_ID:Clang>:-Wno-ambiguous-reversed-operator>
    $<$<BOOL:${PCI_WARNINGS_AS_ERRORS}>:-Werror>)
  foreach(san IN LISTS PCI_SANITIZERS)
    target_compile_options(pinniped_ci_build_flags INTERFACE -fsanitize=${san} -fno-omit-frame-pointer
      -fno-sanitize-recover=all)
    target_link_options(pinniped_ci_build_flags INTERFACE -fsanitize=${san})
  endforeach()
endif()
