#!/usr/bin/env bash
# Each failure class maps to its documented exit code and a one-line message.
. "$(dirname "$0")/lib.sh"

start_emulator sup --mode no-concierge
export PINNIPED_USERNAME=ci-bot PINNIPED_PASSWORD="$BOT_PASSWORD"
base=(login oidc "--issuer=$sup_ISSUER" "--ca-bundle-data=$sup_CA" --upstream-identity-provider-name=my-ldap
      --upstream-identity-provider-type=ldap --upstream-identity-provider-flow=cli_password)

code() { # code LABEL EXPECTED MESSAGE cmd...
  local label=$1 expected=$2 message=$3; shift 3
  fresh_cache "$label"
  run_capture "$label" "$@"
  expect_rc "$expected" "$label" "$label"
  expect_in "$message" "$T/$label.err"
  # One error line (Pinniped's "Log in to <idp>" notice may precede it), and it is the last line.
  [ "$(grep -c 'pinniped-ci: error:' "$T/$label.err")" -eq 1 ] || fail "$label: not exactly one error line"
  tail -n1 "$T/$label.err" | grep -q '^pinniped-ci: error: ' || fail "$label: the error is not the last line"
  [ ! -s "$T/$label.out" ] || fail "$label: stdout is not empty"
  pass "$label -> $expected"
}

run_capture ok.plugin "$PCI_BIN" "${base[@]}"
expect_rc 0 ok ok.plugin
code usage 2 'unknown flag: --bogus' "$PCI_BIN" "${base[@]}" --bogus
code http-issuer 2 'issuer must be an https URL' "$PCI_BIN" login oidc --issuer=http://127.0.0.1:1/x
PINNIPED_PASSWORD=wrong code auth 3 'Username/password not accepted by LDAP provider.' "$PCI_BIN" "${base[@]}"
code network 4 'could not perform OIDC discovery' "$PCI_BIN" login oidc --issuer=https://127.0.0.1:1/issuer
code untrusted 4 'not trusted' "$PCI_BIN" login oidc "--issuer=$sup_ISSUER" --upstream-identity-provider-name=my-ldap --upstream-identity-provider-type=ldap
set_faults sup '{"authorize_status": 503}'
code server 5 'expected to be redirected, but response status was 503 Service Unavailable' "$PCI_BIN" "${base[@]}"
set_faults sup '{"authorize_status": 0, "bad_signature": true}'
code verification 6 'received invalid ID token: failed to verify signature' "$PCI_BIN" "${base[@]}"
set_faults sup '{"bad_signature": false, "wrong_state": true}'
code state 6 'missing or invalid state parameter' "$PCI_BIN" "${base[@]}"
set_faults sup '{"wrong_state": false}'
PINNIPED_UPSTREAM_IDENTITY_PROVIDER_FLOW=bogus code flow 2 "loginFlow 'bogus' from 'PINNIPED_UPSTREAM_IDENTITY_PROVIDER_FLOW'" "$PCI_BIN" "${base[@]}"

expect_no_secrets
pass "no secret in any captured output"
