#!/usr/bin/env bash
# Every login mode through real kubectl: webhook static token, no Concierge, exec API v1,
# API-group suffix, Active Directory, OIDC with the password grant.
. "$(dirname "$0")/lib.sh"

export PINNIPED_USERNAME=ci-bot PINNIPED_PASSWORD="$BOT_PASSWORD"

check() { # check NAME: kubectl whoami through emulator NAME prints the bot
  local kc_var="${1}_KUBECONFIG"
  kube_whoami "$1" "${!kc_var}"
  expect_rc 0 "$1" "$1"
  expect_in "ci-bot" "$T/$1.out"
  pass "$1"
}

start_emulator webhook --mode concierge-webhook --static-token-env E2E_STATIC_TOKEN
E2E_STATIC_TOKEN=emulator-static-token check webhook

start_emulator direct --mode no-concierge
check direct
[ "$(count_requests direct tcr)" -eq 0 ] || fail "no-concierge mode called the Concierge"

start_emulator v1 --exec-api-version v1
check v1

start_emulator tuna --api-group-suffix tuna.io
check tuna
jq -s -e 'map(select(.kind == "tcr")) | length > 0 and
  all(.path == "/apis/login.concierge.tuna.io/v1alpha1/tokencredentialrequests")' \
  "$T/tuna.requests" >/dev/null || fail "suffix not applied: $(cat "$T/tuna.requests")"

start_emulator ad --idp-type activedirectory
check ad

start_emulator oidc --idp-type oidc --oidc-password-grant allow
check oidc

expect_no_secrets
pass "no secret in any captured output"
