#!/usr/bin/env bash
# Three clusters behind one Supervisor plus one behind another: `pinniped-ci login` performs two
# password logins in total and writes four working contexts.
. "$(dirname "$0")/lib.sh"

start_emulator supa --clusters 3 --name sup-a --kubeconfig-dir "$T/supa-kc"
start_emulator supb --name sup-b
export PINNIPED_USERNAME=ci-bot PINNIPED_PASSWORD="$BOT_PASSWORD"

run_capture login "$PCI_BIN" login --kubeconfig "$T/supa-kc/cluster-0.yaml" --kubeconfig "$T/supa-kc/cluster-1.yaml" \
  --kubeconfig "$T/supa-kc/cluster-2.yaml" --kubeconfig-data "$(base64 -w0 "$supb_KUBECONFIG")" --job-dir "$T/job"
expect_rc 0 "multi-cluster login" login
jq -e '.password_logins == 2 and (.contexts | length == 4)' "$T/login.out" >/dev/null ||
  fail "unexpected summary: $(cat "$T/login.out")"
[ "$(count_requests supa authorize_password)" -eq 1 ] || fail "Supervisor A saw $(count_requests supa authorize_password) password logins"
[ "$(count_requests supb authorize_password)" -eq 1 ] || fail "Supervisor B saw $(count_requests supb authorize_password) password logins"
[ "$(count_requests supa tcr)" -eq 3 ] || fail "Supervisor A's clusters saw $(count_requests supa tcr) TokenCredentialRequests"
pass "4 clusters behind 2 Supervisors: 2 password logins, 4 TokenCredentialRequests"

unset PINNIPED_PASSWORD
mapfile -t contexts < <(jq -r '.contexts[].name' "$T/login.out")
for ctx in "${contexts[@]}"; do
  run_capture "ctx-$ctx" "$KUBECTL" --kubeconfig "$T/job/kubeconfig" --context "$ctx" auth whoami
  expect_rc 0 "kubectl whoami in $ctx" "ctx-$ctx"
  expect_in ci-bot "$T/ctx-$ctx.out"
done
# Each context reached its own cluster (the SelfSubjectReview of cluster i is logged as cluster i).
for i in 0 1 2; do
  jq -s -e "map(select(.kind == \"selfsubjectreview\" and .cluster == $i)) | length >= 1" "$T/supa.requests" >/dev/null ||
    fail "no whoami reached cluster $i"
done
pass "all 4 contexts work without the password, each against its own cluster"
expect_no_secrets
