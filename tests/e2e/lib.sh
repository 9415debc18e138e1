#!/usr/bin/env bash
# Shared helpers for e2e scenarios: run the real binaries the way kubectl and CI systems do.
# Environment: PCI_BIN (pinniped-ci), PCI_EMULATOR (pinniped-emulator), KUBECTL (optional).
set -euo pipefail

: "${PCI_BIN:?PCI_BIN must point at the pinniped-ci binary}"
: "${PCI_EMULATOR:?PCI_EMULATOR must point at the pinniped-emulator binary}"
KUBECTL=${KUBECTL:-$(command -v kubectl || true)}
[ -n "$KUBECTL" ] || { echo "kubectl not found (install kubectl or kubernetes-client)" >&2; exit 1; }

T=$(mktemp -d)
export XDG_CONFIG_HOME="$T/config" # caches of this scenario only
chmod 700 "$T"
EMULATOR_PIDS=()
BOT_PASSWORD="e2e-bot-pw-$RANDOM$RANDOM"
printf '%s\n' "$BOT_PASSWORD" > "$T/bot-password"
chmod 600 "$T/bot-password"

cleanup() {
  local pid
  for pid in "${EMULATOR_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${EMULATOR_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT

# fresh_cache LABEL: the following logins start from empty caches.
fresh_cache() { export XDG_CONFIG_HOME="$T/config-$1"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# start_emulator NAME [emulator flags...]: starts an emulator whose kubeconfig runs pinniped-ci.
# Blocks until the emulator prints its ready line (no sleeping), then sets
# <NAME>_ISSUER, <NAME>_API, <NAME>_CA (base64), <NAME>_ADMIN and <NAME>_KUBECONFIG.
start_emulator() {
  local name=$1; shift
  mkfifo "$T/$name.fifo"
  "$PCI_EMULATOR" --kubeconfig-out "$T/$name.kubeconfig" --pinniped-cli-path "$PCI_BIN" \
    --password-file "$T/bot-password" --request-log "$T/$name.requests" "$@" \
    >"$T/$name.fifo" 2>"$T/$name.emulator.err" &
  EMULATOR_PIDS+=("$!")
  local ready
  IFS= read -r ready <"$T/$name.fifo" || fail "emulator $name did not start: $(cat "$T/$name.emulator.err")"
  printf -v "${name}_ISSUER" '%s' "$(jq -r .issuer <<<"$ready")"
  printf -v "${name}_API" '%s' "$(jq -r .api <<<"$ready")"
  printf -v "${name}_CA" '%s' "$(jq -r .ca_bundle_data <<<"$ready")"
  printf -v "${name}_ADMIN" '%s' "$(jq -r .admin <<<"$ready")"
  printf -v "${name}_KUBECONFIG" '%s' "$T/$name.kubeconfig"
}

# set_faults NAME JSON: changes the faults of a running emulator.
set_faults() {
  local admin_var="${1}_ADMIN" ca_var="${1}_CA"
  base64 -d <<<"${!ca_var}" >"$T/$1.ca.pem"
  curl -sS --fail --cacert "$T/$1.ca.pem" -X POST -H 'Content-Type: application/json' \
    --data "$2" "${!admin_var}/faults" >/dev/null
}

# count_requests NAME KIND: how many requests of KIND the emulator logged.
count_requests() { jq -c "select(.kind == \"$2\")" "$T/$1.requests" | wc -l; }

# run_capture LABEL cmd...: runs cmd with stdout/stderr captured in $T/LABEL.{out,err}; sets RC.
run_capture() {
  local label=$1; shift
  set +e
  "$@" >"$T/$label.out" 2>"$T/$label.err"
  RC=$?
  set -e
}

expect_rc() { [ "$RC" -eq "$1" ] || fail "$2: exit code $RC, expected $1; stderr: $(cat "$T/$3.err")"; }
expect_in() { grep -qF -- "$1" "$2" || fail "expected '$1' in $2: $(cat "$2")"; }

# kube_whoami LABEL KUBECONFIG: `kubectl auth whoami`, or a SelfSubjectReview POST for old kubectl.
kube_whoami() {
  if "$KUBECTL" auth whoami --help >/dev/null 2>&1; then
    run_capture "$1" "$KUBECTL" --kubeconfig "$2" auth whoami
  else
    printf '%s' '{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1"}' >"$T/ssr.json"
    run_capture "$1" "$KUBECTL" --kubeconfig "$2" create --raw /apis/authentication.k8s.io/v1/selfsubjectreviews -f "$T/ssr.json"
  fi
}

# expect_no_secrets: no captured output file contains the password or any token/key material.
expect_no_secrets() {
  local f
  for f in "$T"/*.out "$T"/*.err "$T"/*.requests; do
    [ -e "$f" ] || continue
    case "$f" in *.plugin.out) continue ;; esac # the plugin's stdout IS the credential, for kubectl only
    if grep -qF -- "$BOT_PASSWORD" "$f"; then fail "password leaked into $f"; fi
    if grep -qE -- 'pin_(at|rt|ac)_|eyJ[A-Za-z0-9_-]{10,}|PRIVATE KEY' "$f"; then fail "token or key leaked into $f"; fi
  done
}
