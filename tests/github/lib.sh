#!/usr/bin/env bash
# Runner-level helpers for actions/login: the e2e helpers (emulator, secret scan) plus running the
# action's main/post scripts through the real github-action-ts-run-api (tests/github/run_action.js).
GH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$GH_DIR/../.." && pwd)
ACTION_YML="$REPO_ROOT/actions/login/action.yml"

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed; the GitHub Actions runner-level tests need Node.js >= 18"
  exit 77
fi
if [ ! -d "$GH_DIR/node_modules/github-action-ts-run-api" ]; then
  echo "FAIL: tests/github/node_modules is missing: run scripts/install-deps.sh (npm ci in tests/github)" >&2
  exit 1
fi

. "$GH_DIR/../e2e/lib.sh"

PCI_BIN=$(readlink -f "$PCI_BIN")
mkdir -p "$T/runner_temp" "$T/workspace" "$T/home"
# The step environment: a HOME of its own, to prove nothing is written under ~/.config.
STEP_ENV=$(jq -n --arg home "$T/home" '{HOME: $home}')
SYSTEM_PATH=/usr/local/bin:/usr/bin:/bin

# run_action LABEL main|post OPTIONS_JSON [ACTION_YML]: runs the step; sets RC to its exit code and
# leaves $T/LABEL.{json,raw,out,err,commands.out}.
run_action() {
  local label=$1 step=$2 options=$3 yml=${4:-$ACTION_YML}
  printf '%s' "$options" >"$T/$label.options"
  (cd "$GH_DIR" && node run_action.js "$yml" "$step" "$T/$label.options" "$T/$label") \
    || fail "run_action.js failed for $label"
  RC=$(jq -r '.exitCode' "$T/$label.json")
  [ "$(jq -r .isTimedOut "$T/$label.json")" = false ] || fail "$label timed out"
}

# options INPUTS_JSON [STATE_JSON] [PATH] [EXTRA_ENV_JSON]: the run options for run_action.
options() {
  local state=${2:-} path=${3:-} extra=${4:-}
  [ -n "$state" ] || state='{}'
  [ -n "$path" ] || path="$(dirname "$PCI_BIN"):$SYSTEM_PATH"
  [ -n "$extra" ] || extra='{}'
  jq -n --argjson inputs "$1" --argjson state "$state" --arg path "$path" \
    --argjson env "$STEP_ENV" --argjson extra "$extra" --arg temp "$T/runner_temp" --arg ws "$T/workspace" \
    '{inputs: $inputs, state: $state, path: $path, env: ($env + $extra), tempDir: $temp, workspaceDir: $ws, cwd: $ws}'
}

# jq_expect LABEL FILTER MESSAGE: asserts FILTER over $T/LABEL.json.
jq_expect() {
  jq -e "$2" "$T/$1.json" >/dev/null || fail "$3: $(jq -c '{exitCode, commands: (.commands | del(.secrets)), runnerWarnings}' "$T/$1.json"); stdout: $(cat "$T/$1.out")"
}

# expect_masked LABEL VALUE...: each value was announced with ::add-mask:: and no other stdout line
# shows it (the runner would print such a line unmasked only if it came first).
expect_masked() {
  local label=$1; shift
  local v
  for v in "$@"; do
    jq -e --arg v "$v" '.commands.secrets | index($v) != null' "$T/$label.json" >/dev/null \
      || fail "$label: a secret was not masked (${#v} chars, starts ${v:0:7})"
    if grep -v '^::add-mask::' "$T/$label.raw" | grep -qF -- "$v"; then fail "$label: a secret was printed"; fi
  done
}

# expect_empty_dir DIR: nothing left behind.
expect_empty_dir() {
  [ -z "$(ls -A "$1")" ] || fail "$1 is not empty: $(ls -laR "$1")"
}
