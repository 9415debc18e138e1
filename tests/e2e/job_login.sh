#!/usr/bin/env bash
# `pinniped-ci login` (job level): one login serves the whole job without the password, through
# refreshes; concurrency on a cold cache; expiry, unwritable caches, static mode and logout.
. "$(dirname "$0")/lib.sh"

start_emulator short --cert-ttl 5 --token-ttl 2
export PINNIPED_USERNAME=ci-bot PINNIPED_PASSWORD="$BOT_PASSWORD"

# --- one login, then 30 s of kubectl without the password ---------------------------------------
run_capture login "$PCI_BIN" login --kubeconfig "$short_KUBECONFIG" --job-dir "$T/job" --credential-min-validity 2
expect_rc 0 "job login" login
jq -e '.kubeconfig and (.contexts | length == 1) and .username == "ci-bot" and .password_logins == 1' \
  "$T/login.out" >/dev/null || fail "bad summary: $(cat "$T/login.out")"
[ "$(stat -c %a "$T/job")" = 700 ] || fail "job dir not 0700"
for f in kubeconfig sessions.yaml credentials.yaml; do
  [ "$(stat -c %a "$T/job/$f")" = 600 ] || fail "$f not 0600"
done
if grep -qF "$BOT_PASSWORD" "$T/job/kubeconfig"; then fail "password in the job kubeconfig"; fi
pass "job login writes a private job directory"

unset PINNIPED_PASSWORD
# The job login stored each cluster's credential under the key the exec plugin computes (Pinniped's
# key: the plugin's argv after the program name), so the first kubectl call needs no request.
tcr_before=$(count_requests short tcr)
set_faults short '{"cert_ttl_seconds": 5}'
kube_whoami first "$T/job/kubeconfig"
expect_rc 0 "first kubectl call" first
[ "$(count_requests short tcr)" -eq "$tcr_before" ] || fail "the first kubectl call after the job login missed the credential cache"
pass "first kubectl call after the job login is served from the job's credential cache"
calls=0
end=$((SECONDS + ${PCI_E2E_LOOP_SECONDS:-30}))
while [ "$SECONDS" -lt "$end" ]; do
  kube_whoami loop "$T/job/kubeconfig"
  expect_rc 0 "kubectl whoami after $calls calls" loop
  expect_in ci-bot "$T/loop.out"
  calls=$((calls + 1))
  sleep 1 # pacing: certificates live 5 s, tokens 2 s
done
[ "$(count_requests short authorize_password)" -eq 1 ] || fail "password used again: $(count_requests short authorize_password) authorizations"
refreshes=$(count_requests short token_refresh)
[ "$refreshes" -ge $(( ${PCI_E2E_LOOP_SECONDS:-30} / 10 )) ] || fail "expected refreshes, saw $refreshes"
pass "$calls kubectl calls over ${PCI_E2E_LOOP_SECONDS:-30} s without the password: 1 password login, $refreshes refreshes"

# --- revoked refresh token, no password: session expired (7) ------------------------------------
set_faults short '{"cert_ttl_seconds": 300}'
curl -sS --fail --cacert "$T/short.ca.pem" -X POST --data "{}" "$short_ADMIN/revoke-refresh-tokens" >/dev/null
rm -f "$T/job/credentials.yaml"
kube_whoami expired "$T/job/kubeconfig"
[ "$RC" -ne 0 ] || fail "revoked session still worked"
expect_in "the job session expired" "$T/expired.err"
expect_in "failed with exit code 7" "$T/expired.err"
pass "revoked refresh token without password: exit 7 with a re-run hint"

# --- logout removes everything, twice is fine, foreign dirs are refused --------------------------
run_capture logout "$PCI_BIN" logout --job-dir "$T/job"
expect_rc 0 logout logout
[ ! -e "$T/job" ] || fail "job dir still exists: $(ls -la "$T/job")"
run_capture logout2 "$PCI_BIN" logout --job-dir "$T/job"
expect_rc 0 "second logout" logout2
mkdir "$T/not-a-job" && touch "$T/not-a-job/keep"
run_capture foreign "$PCI_BIN" logout --job-dir "$T/not-a-job"
expect_rc 2 "foreign dir" foreign
[ -e "$T/not-a-job/keep" ] || fail "foreign dir was touched"
pass "logout removes the job directory, is idempotent, refuses other directories"

# --- 32 kubectl processes on a cold cache: one password login, one TCR ----------------------------
start_emulator cold
export PINNIPED_PASSWORD="$BOT_PASSWORD"
fresh_cache parallel
pids=()
for i in $(seq 32); do
  "$KUBECTL" --kubeconfig "$cold_KUBECONFIG" get --raw /version >"$T/par$i.out" 2>"$T/par$i.err" &
  pids+=("$!")
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || fail "parallel kubectl $((i + 1)) failed: $(cat "$T/par$((i + 1)).err")"
done
[ "$(count_requests cold authorize_password)" -eq 1 ] || fail "$(count_requests cold authorize_password) password logins for 32 cold kubectl calls"
[ "$(count_requests cold tcr)" -eq 1 ] || fail "$(count_requests cold tcr) TokenCredentialRequests for 32 cold kubectl calls"
jq -e '.kind == "CredentialCache" and (.credentials | length == 1)' "$XDG_CONFIG_HOME/pinniped/credentials.yaml" \
  >/dev/null || fail "credential cache unreadable or duplicated"
grep -q '^kind: SessionCache' "$XDG_CONFIG_HOME/pinniped/sessions.yaml" || fail "session cache unreadable"
pass "32 parallel kubectl calls on a cold cache: 1 password login, 1 TokenCredentialRequest"

# --- caches that cannot be written: works without them, says so under --debug --------------------
args=$(grep -A40 '      args:' "$cold_KUBECONFIG" | sed -n 's/^      - //p')
mapfile -t plugin_args <<<"$args"
XDG_CONFIG_HOME=/proc/pinniped-ci-not-writable PINNIPED_DEBUG=true run_capture nocache.plugin "$PCI_BIN" "${plugin_args[@]}"
expect_rc 0 "unwritable cache" nocache.plugin
expect_in "not using the cache /proc/pinniped-ci-not-writable/pinniped/credentials.yaml" "$T/nocache.plugin.err"
pass "unwritable cache directory: login works, --debug says why the cache is skipped"

# --- password on stdin, --format kubeconfig -------------------------------------------------------
unset PINNIPED_PASSWORD
printf '%s\n' "$BOT_PASSWORD" | run_capture stdin "$PCI_BIN" login --kubeconfig "$cold_KUBECONFIG" \
  --job-dir "$T/stdin-job" --password-stdin --format kubeconfig
expect_rc 0 "--password-stdin" stdin
grep -q '^current-context: ' "$T/stdin.out" || fail "--format kubeconfig did not print the kubeconfig"
cmp -s "$T/stdin.out" "$T/stdin-job/kubeconfig" || fail "--format kubeconfig differs from the written file"
pass "--password-stdin and --format kubeconfig"
export PINNIPED_PASSWORD="$BOT_PASSWORD"

# --- --static and --format env ------------------------------------------------------------------
run_capture static "$PCI_BIN" login --kubeconfig "$cold_KUBECONFIG" --job-dir "$T/static-job" --static --format env
expect_rc 0 "static login" static
expect_in "KUBECONFIG=$T/static-job/kubeconfig" "$T/static.out"
expect_in "expire" "$T/static.err"
grep -q 'client-certificate-data:' "$T/static-job/kubeconfig" || fail "no embedded certificate"
unset PINNIPED_PASSWORD
kube_whoami staticwho "$T/static-job/kubeconfig"
expect_rc 0 "kubectl with the static kubeconfig" staticwho
pass "--static embeds a working certificate and warns that it expires"

rm -rf "$T/static-job"
expect_no_secrets
pass "no secret in any captured output"
