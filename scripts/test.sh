#!/usr/bin/env bash
# README command 2: install what is needed, build, and run the whole test suite — unit,
# protocol and e2e tests in the dev preset (warnings are errors), then again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

run_preset() {
  local preset=$1
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "== $preset: test" >&2
  ctest --preset "$preset"
}

run_preset dev
if [ "${PCI_SKIP_ASAN:-}" != "1" ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_preset asan
fi
