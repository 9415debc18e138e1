#!/usr/bin/env bash
# Real kubectl runs pinniped-ci as its exec plugin against the emulator (Concierge + JWT
# authenticator + LDAP cli_password), exactly as with a kubeconfig from `pinniped get kubeconfig`.
. "$(dirname "$0")/lib.sh"

start_emulator sup
export PINNIPED_USERNAME=ci-bot PINNIPED_PASSWORD="$BOT_PASSWORD"

kube_whoami whoami "$sup_KUBECONFIG"
expect_rc 0 "kubectl whoami" whoami
expect_in "ci-bot" "$T/whoami.out"
expect_in "ci-robots" "$T/whoami.out"
expect_in "deployers" "$T/whoami.out"
pass "kubectl whoami prints the LDAP user and groups"

run_capture version "$KUBECTL" --kubeconfig "$sup_KUBECONFIG" get --raw /version
expect_rc 0 "kubectl get --raw /version" version
expect_in "pinniped-emulator" "$T/version.out"
pass "kubectl get --raw /version"

[ "$(count_requests sup authorize_password)" -eq 1 ] || fail "expected exactly one password authorize"
[ "$(count_requests sup tcr)" -eq 1 ] || fail "expected exactly one TokenCredentialRequest"
pass "second kubectl call served from the credential cache (one login in the emulator log)"
for f in "$XDG_CONFIG_HOME/pinniped/credentials.yaml" "$XDG_CONFIG_HOME/pinniped/sessions.yaml"; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"
done
[ "$(stat -c %a "$XDG_CONFIG_HOME/pinniped")" = 700 ] || fail "cache directory is not 0700"
pass "cache files 0600 in a 0700 directory"

# The same kubeconfig with the password in a file instead of the environment.
unset PINNIPED_PASSWORD
fresh_cache file
PINNIPED_PASSWORD_FILE="$T/bot-password" kube_whoami file "$sup_KUBECONFIG"
expect_rc 0 "password file" file
expect_in "ci-bot" "$T/file.out"
pass "PINNIPED_PASSWORD_FILE"

# Wrong password: the Supervisor's description reaches the user through kubectl.
fresh_cache wrong
printf 'wrong-%s\n' "$RANDOM" >"$T/wrong-password"
PINNIPED_PASSWORD_FILE="$T/wrong-password" kube_whoami wrong "$sup_KUBECONFIG"
[ "$RC" -ne 0 ] || fail "wrong password succeeded"
expect_in 'login failed with code "access_denied": The resource owner or authorization server denied the request. Username/password not accepted by LDAP provider.' "$T/wrong.err"
expect_in "failed with exit code 3" "$T/wrong.err"
pass "wrong password fails with the Supervisor's description and exit code 3"

# No credentials and no terminal: a clear error naming the variables, not a hang.
unset PINNIPED_USERNAME
fresh_cache nocreds
kube_whoami nocreds "$sup_KUBECONFIG" </dev/null
[ "$RC" -ne 0 ] || fail "login without credentials succeeded"
expect_in "PINNIPED_USERNAME" "$T/nocreds.err"
pass "missing credentials are reported, not prompted for"

# The plugin itself (no caches): stdout carries only the ExecCredential, stderr nothing secret.
args=$(grep -A40 '      args:' "$sup_KUBECONFIG" | sed -n 's/^      - //p')
mapfile -t plugin_args <<<"$args"
plugin_args+=(--credential-cache= --session-cache=)
PINNIPED_USERNAME=ci-bot PINNIPED_PASSWORD="$BOT_PASSWORD" run_capture direct.plugin "$PCI_BIN" "${plugin_args[@]}"
expect_rc 0 "plugin" direct.plugin
jq -e '.kind == "ExecCredential" and .apiVersion == "client.authentication.k8s.io/v1beta1" and
       (.status.clientCertificateData | startswith("-----BEGIN CERTIFICATE-----")) and
       (.status.clientKeyData | startswith("-----BEGIN PRIVATE KEY-----")) and
       (.status.expirationTimestamp | test("Z$"))' "$T/direct.plugin.out" >/dev/null || fail "bad ExecCredential"
[ "$(wc -l <"$T/direct.plugin.out")" -eq 1 ] || fail "ExecCredential is not one line"
pass "plugin prints one ExecCredential line"

# --debug logs requests but never secrets.
PINNIPED_USERNAME=ci-bot PINNIPED_PASSWORD="$BOT_PASSWORD" PINNIPED_DEBUG=true run_capture debug.plugin "$PCI_BIN" "${plugin_args[@]}"
expect_rc 0 "plugin --debug" debug.plugin
expect_in "pinniped-ci: debug: HTTP GET" "$T/debug.plugin.err"
cp "$T/debug.plugin.err" "$T/debug-stderr.err"

expect_no_secrets
pass "no secret in any captured output"
