#!/usr/bin/env bash
# actions/login without binary_path and without pinniped-ci on PATH: the launcher downloads the
# release asset from a loopback HTTP server (PINNIPED_CI_RELEASE_BASE_URL) and runs it only if its
# SHA-256 matches the one pinned in the action and the release's SHA256SUMS.
. "$(dirname "$0")/lib.sh"

case "$(uname -m)" in
  x86_64) asset=pinniped-ci-linux-amd64 ;;
  aarch64) asset=pinniped-ci-linux-arm64 ;;
  *) echo "SKIP: no release asset name for $(uname -m)"; exit 77 ;;
esac

start_emulator gh
cp "$gh_KUBECONFIG" "$T/workspace/cluster.yaml"
login_inputs=$(jq -n --arg pw "$BOT_PASSWORD" '{kubeconfig: "cluster.yaml", username: "ci-bot", password: $pw}')

# A copy of the action whose release.json pins the binary built here (the release process writes
# the real one); everything else is the committed action.
mkdir -p "$T/action" "$T/release"
cp "$REPO_ROOT/actions/login/"{action.yml,main.js,post.js,launcher.js} "$T/action/"
cp "$PCI_BIN" "$T/release/$asset"
sum=$(sha256sum "$PCI_BIN" | cut -d' ' -f1)
jq --arg a "$asset" --arg s "$sum" '.sha256 = {($a): $s}' "$REPO_ROOT/actions/login/release.json" >"$T/action/release.json"
(cd "$T/release" && sha256sum "$asset" >SHA256SUMS)

mkfifo "$T/serve.fifo"
node "$GH_DIR/serve.js" "$T/release" >"$T/serve.fifo" 2>"$T/serve.err" &
EMULATOR_PIDS+=("$!") # stopped by lib.sh's cleanup
IFS= read -r ready <"$T/serve.fifo" || fail "release server did not start: $(cat "$T/serve.err")"
url=$(jq -r .url <<<"$ready")
download_env=$(jq -n --arg u "$url" '{PINNIPED_CI_RELEASE_BASE_URL: $u}')

# --- verified download: runs, the job kubeconfig uses the downloaded binary, post removes both ----
# (through redirects, as GitHub serves release assets)
run_action dl main "$(options "$login_inputs" '' "$SYSTEM_PATH" "$(jq -n --arg u "$url/redirect" '{PINNIPED_CI_RELEASE_BASE_URL: $u}')")" "$T/action/action.yml"
expect_rc 0 "download" dl
expect_in "downloaded $asset 0.1.0 (SHA-256 $sum verified)" "$T/dl.out"
binary=$(jq -r .commands.savedState.binary "$T/dl.json")
case "$binary" in "$T/runner_temp/pinniped-ci-bin-"*/pinniped-ci) ;; *) fail "downloaded binary at $binary" ;; esac
cmp -s "$binary" "$PCI_BIN" || fail "downloaded binary differs"
kc=$(jq -r .commands.exportedVars.KUBECONFIG "$T/dl.json")
{ grep -qF "command: \"$binary\"" "$kc" || grep -qF "command: $binary" "$kc"; } || fail "job kubeconfig does not run the downloaded binary"
(unset PINNIPED_PASSWORD; HOME="$T/kubectl-home" KUBECONFIG="$kc" "$KUBECTL" auth whoami >"$T/dl_whoami.out" 2>"$T/dl_whoami.err") \
  || fail "kubectl with the downloaded binary failed: $(cat "$T/dl_whoami.err")"
expect_in ci-bot "$T/dl_whoami.out"
grep -qx "GET /redirect/SHA256SUMS" "$T/requests.log" || fail "SHA256SUMS not fetched: $(cat "$T/requests.log")"
grep -qx "GET /redirect/$asset" "$T/requests.log" && grep -qx "GET /$asset" "$T/requests.log" \
  || fail "asset not fetched through the redirect: $(cat "$T/requests.log")"
run_action dl_post post "$(options '{}' "$(jq -c .commands.savedState "$T/dl.json")" "$SYSTEM_PATH")" "$T/action/action.yml"
expect_rc 0 "post after download" dl_post
expect_empty_dir "$T/runner_temp"
pass "release download (via a redirect): SHA-256 verified, binary runs login and kubectl, post removes it and the job dir"

# --- tampered binary: checksum mismatch, refused, nothing run or left -------------------------------
printf 'tampered' >>"$T/release/$asset"
: >"$T/requests.log"
run_action tampered main "$(options "$login_inputs" '' "$SYSTEM_PATH" "$download_env")" "$T/action/action.yml"
expect_rc 6 "tampered binary" tampered
jq_expect tampered '.commands.errors | length == 1 and (.[0] | test("checksum mismatch for the downloaded"))' "no checksum ::error"
jq_expect tampered '.commands.savedState == {} and .commands.outputs == {}' "a refused binary ran"
expect_empty_dir "$T/runner_temp"
[ "$(count_requests gh authorize_password)" -eq 1 ] || fail "the tampered binary logged in"
pass "tampered binary: ::error checksum mismatch, exit 6, never executed, nothing written"

# --- release SHA256SUMS disagreeing with the pinned checksum: refused before the download ----------
cp "$PCI_BIN" "$T/release/$asset"
printf '%064d  %s\n' 0 "$asset" >"$T/release/SHA256SUMS"
: >"$T/requests.log"
run_action badsums main "$(options "$login_inputs" '' "$SYSTEM_PATH" "$download_env")" "$T/action/action.yml"
expect_rc 6 "SHA256SUMS mismatch" badsums
jq_expect badsums '.commands.errors[0] | test("SHA256SUMS lists a different SHA-256")' "no SHA256SUMS ::error"
if grep -qx "GET /$asset" "$T/requests.log"; then fail "asset downloaded despite the SHA256SUMS mismatch"; fi
expect_empty_dir "$T/runner_temp"
pass "SHA256SUMS disagreeing with the pinned checksum: refused (exit 6) before downloading"

# --- download failure and an action without a pinned checksum --------------------------------------
run_action dl404 main "$(options "$login_inputs" '' "$SYSTEM_PATH" '{"PINNIPED_CI_RELEASE_BASE_URL": "'"$url"'/missing"}')" "$T/action/action.yml"
expect_rc 4 "missing release" dl404
expect_in "HTTP 404" "$T/dl404.out"
run_action unpinned main "$(options "$login_inputs" '' "$SYSTEM_PATH" "$download_env")"
expect_rc 2 "no pinned checksum" unpinned
expect_in "pins no SHA-256 for $asset; set the input binary_path or put pinniped-ci on PATH" "$T/unpinned.out"
run_action unpinned_post post "$(options '{}' '' "$SYSTEM_PATH")"
expect_rc 0 "post without a binary" unpinned_post
expect_in "binary not found; nothing to clean up" "$T/unpinned_post.out"
expect_empty_dir "$T/runner_temp"
pass "HTTP 404 exits 4; an action without a pinned checksum refuses to download (exit 2); post never fails"

expect_no_secrets
pass "no secret in any captured output"
