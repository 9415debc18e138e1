#!/usr/bin/env bash
# Installs the Debian 12 packages pinniped-ci needs to build and test. Idempotent: only missing
# packages are installed (apt-get update runs only then).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libcurl4-openssl-dev libssl-dev rapidjson-dev libyaml-cpp-dev libboost-program-options-dev libexpected-dev
  libgtest-dev libgmock-dev libcpp-httplib-dev
  jq curl ca-certificates
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# kubectl: the one on PATH if any (Debian's `kubectl` package), else Debian's kubernetes-client.
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
# Node.js runs the GitHub Actions runner-level tests (machines usually have it already).
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "Installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Pinned npm tools of the GitHub Actions runner-level tests (tests/github/package-lock.json), when
# Node.js is present; `npm ci` runs only when node_modules is missing or older than the lockfile.
gh_tests="$(cd "$(dirname "$0")/.." && pwd)/tests/github"
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && [ -f "$gh_tests/package-lock.json" ]; then
  if [ ! -f "$gh_tests/node_modules/.package-lock.json" ] ||
     [ "$gh_tests/package-lock.json" -nt "$gh_tests/node_modules/.package-lock.json" ]; then
    echo "Installing the pinned npm test tools in tests/github (npm ci)" >&2
    (cd "$gh_tests" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
