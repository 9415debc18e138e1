#!/usr/bin/env bash
# actions/login/action.yml through the real @action-validator/cli@0.6.0. Its schema predates
# node24, so the check runs on a copy with `using: node20`, and asserts that this is the only
# difference from the committed file.
set -euo pipefail
GH_DIR=$(cd "$(dirname "$0")" && pwd)
ACTION_YML="$GH_DIR/../../actions/login/action.yml"
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed; action.yml validation needs Node.js >= 18"
  exit 77
fi
validator="$GH_DIR/node_modules/.bin/action-validator"
[ -x "$validator" ] || { echo "FAIL: $validator missing: run scripts/install-deps.sh (npm ci in tests/github)" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

grep -qx '  using: node24' "$ACTION_YML" || { echo "FAIL: action.yml does not use node24" >&2; exit 1; }
sed 's/^  using: node24$/  using: node20/' "$ACTION_YML" >"$T/action.yml"
diff "$ACTION_YML" "$T/action.yml" >"$T/diff" || true
expected=$'16 lines differ'
changed=$(grep -c '^[<>]' "$T/diff" || true)
if [ "$changed" -ne 2 ] || ! grep -qx '<   using: node24' "$T/diff" || ! grep -qx '>   using: node20' "$T/diff"; then
  echo "FAIL: the validated copy differs by more than the runs.using line:" >&2
  cat "$T/diff" >&2
  exit 1
fi
echo "ok: the validated copy differs from action.yml only in 'using: node24' -> 'using: node20'"

if ! "$validator" "$T/action.yml" >"$T/out" 2>&1; then
  echo "FAIL: action-validator rejected action.yml:" >&2
  cat "$T/out" >&2
  exit 1
fi
echo "ok: @action-validator/cli $(node -p "require('$GH_DIR/node_modules/@action-validator/cli/package.json').version") accepts action.yml (node20 copy)"
