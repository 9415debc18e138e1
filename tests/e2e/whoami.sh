#!/usr/bin/env bash
# `pinniped-ci whoami` logs in through the kubeconfig and asks the Concierge WhoAmI API.
. "$(dirname "$0")/lib.sh"

start_emulator sup
export PINNIPED_USERNAME=ci-bot PINNIPED_PASSWORD="$BOT_PASSWORD"
run_capture text "$PCI_BIN" whoami --kubeconfig "$sup_KUBECONFIG"
expect_rc 0 whoami text
expect_in "Current cluster info:" "$T/text.out"
expect_in "URL: $sup_API" "$T/text.out"
expect_in "Username: ci-bot" "$T/text.out"
expect_in "Groups: ci-robots, deployers" "$T/text.out"
pass "whoami text"

KUBECONFIG="$T/sup.kubeconfig" run_capture json "$PCI_BIN" whoami -o json
expect_rc 0 "whoami json" json
jq -e '.user.username == "ci-bot" and (.user.groups | index("deployers"))' "$T/json.out" >/dev/null || fail "bad json"
pass "whoami json (KUBECONFIG)"

run_capture badctx "$PCI_BIN" whoami --kubeconfig "$sup_KUBECONFIG" --context nope
expect_rc 2 "unknown context" badctx
expect_in 'context "nope": context not found' "$T/badctx.err"
pass "unknown context"
expect_no_secrets
