#!/usr/bin/env bash
# actions/login under the real github-action-ts-run-api against the bundled emulator: main, then a
# following kubectl step with the exported KUBECONFIG, then post. Outputs, masking, cleanup, errors.
. "$(dirname "$0")/lib.sh"

start_emulator gh
start_emulator gh2
cp "$gh_KUBECONFIG" "$T/workspace/cluster-a.yaml"

# --- main: one cluster, binary found on PATH, password from the `password` input -----------------
run_action main main "$(options "$(jq -n --arg pw "$BOT_PASSWORD" \
  '{kubeconfig: " cluster-a.yaml\n", username: "ci-bot", password: $pw}')")"
expect_rc 0 "main step" main
kc=$(jq -r '.commands.outputs.kubeconfig_path' "$T/main.json")
job_dir=$(dirname "$kc")
case "$job_dir" in "$T/runner_temp/pinniped-ci-"*) ;; *) fail "job dir $job_dir is not a private dir under RUNNER_TEMP" ;; esac
[ "$(stat -c %a "$job_dir")" = 700 ] || fail "job dir not 0700"
[ "$(stat -c %a "$kc")" = 600 ] || fail "kubeconfig not 0600"
jq_expect main '.commands.exportedVars.KUBECONFIG == .commands.outputs.kubeconfig_path' "KUBECONFIG not exported"
jq_expect main '.commands.outputs.username == "ci-bot" and .commands.outputs.groups == "ci-robots\ndeployers"' "identity outputs"
jq_expect main '.commands.outputs.contexts == "emulator-context-pinniped"' "contexts output"
jq_expect main '.commands.outputs.expiration | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")' "expiration output"
jq_expect main ".commands.savedState == {binary: \"$PCI_BIN\", job_dir: \"$job_dir\"}" "saved state"
jq_expect main '.commands.errors == [] and .commands.warnings == []' "no annotations"
jq_expect main '.commands.outputs | keys == ["contexts","expiration","groups","kubeconfig_path","username"]' "output names"
expect_in "::group::Pinniped login (1 kubeconfig)" "$T/main.raw"
expect_in "::endgroup::" "$T/main.raw"
# Every secret: the password first of all, then every token and key line core derived.
head -n1 "$T/main.raw" | grep -qxF "::add-mask::$BOT_PASSWORD" || fail "the password is not masked first: $(head -n1 "$T/main.raw")"
mapfile -t derived < <(node "$GH_DIR/secrets_in.js" "$job_dir")
[ "${#derived[@]}" -ge 5 ] || fail "expected tokens and key lines in the job caches, found ${#derived[@]}"
expect_masked main "$BOT_PASSWORD" "${derived[@]}"
pass "main: outputs, exported KUBECONFIG, state, private job dir; password and ${#derived[@]} derived secrets masked"

# --- a following step: kubectl with the exported KUBECONFIG and no password ------------------------
# (kubectl gets a HOME of its own: it keeps an HTTP cache under ~/.kube; the action step must write nothing there)
kubeconfig=$(jq -r '.commands.exportedVars.KUBECONFIG' "$T/main.json")
(unset PINNIPED_PASSWORD PINNIPED_PASSWORD_FILE; cd "$T/workspace" &&
  HOME="$T/kubectl-home" KUBECONFIG="$kubeconfig" "$KUBECTL" auth whoami >"$T/step2.out" 2>"$T/step2.err") \
  || fail "kubectl auth whoami in the next step failed: $(cat "$T/step2.err")"
expect_in "ci-bot" "$T/step2.out"
expect_in "ci-robots" "$T/step2.out"
pass "next step: kubectl auth whoami with the exported KUBECONFIG prints the bot identity"

# --- post: everything removed; twice is fine -----------------------------------------------------
run_action post post "$(options '{}' "$(jq -c '.commands.savedState' "$T/main.json")")"
expect_rc 0 "post step" post
expect_in "removed the job directory" "$T/post.out"
[ ! -e "$job_dir" ] || fail "post left $job_dir"
expect_empty_dir "$T/runner_temp"
expect_empty_dir "$T/home"
run_action post_again post "$(options '{}' "$(jq -c '.commands.savedState' "$T/main.json")")"
expect_rc 0 "second post" post_again
run_action post_nostate post "$(options '{}')"
expect_rc 0 "post without state" post_nostate
pass "post removes every file (RUNNER_TEMP and HOME empty) and never fails when already clean"

# --- wrong password: ::error and exit code 3; post still cleans ---------------------------------
run_action wrong main "$(options '{"kubeconfig": "cluster-a.yaml", "username": "ci-bot", "password": "not-the-password-93"}')"
expect_rc 3 "wrong password" wrong
jq_expect wrong '.commands.errors | length == 1 and (.[0] | test("access_denied"))' "no ::error annotation"
expect_in "::error title=Pinniped login failed::could not complete Pinniped login" "$T/wrong.raw"
jq_expect wrong '.commands.outputs == {} and .commands.exportedVars == {}' "outputs after a failed login"
expect_masked wrong "not-the-password-93"
run_action wrong_post post "$(options '{}' "$(jq -c '.commands.savedState' "$T/wrong.json")")"
expect_rc 0 "post after a failed login" wrong_post
expect_empty_dir "$T/runner_temp"
pass "wrong password: ::error title=Pinniped login failed, exit code 3, nothing left behind"

# --- missing inputs are usage errors (the runner does not enforce required:) ----------------------
run_action noinput main "$(options '{"username": "ci-bot"}')"
expect_rc 2 "no kubeconfig input" noinput
expect_in "::error title=Pinniped login failed::set the input" "$T/noinput.raw"
run_action nopw main "$(options '{"kubeconfig": "cluster-a.yaml", "username": "ci-bot"}')"
expect_rc 2 "no password" nopw
expect_in "no password: set the input" "$T/nopw.raw"
run_action badbool main "$(options '{"kubeconfig": "cluster-a.yaml", "static": "yes"}')"
expect_rc 2 "invalid boolean" badbool
expect_in 'input "static" must be true or false' "$T/badbool.raw"
expect_empty_dir "$T/runner_temp"
pass "missing or invalid inputs: exit code 2 with a message naming the input"

# --- two clusters from paths + kubeconfig_data (base64), password_file, debug, no export ------------
printf '%s\n' "$BOT_PASSWORD" >"$T/workspace/pw"
data=$(base64 -w0 "$gh2_KUBECONFIG")
run_action multi main "$(options "$(jq -n --arg a "$gh_KUBECONFIG" --arg b "$gh2_KUBECONFIG" --arg d "$data" \
  '{kubeconfig: ($a + "\n" + $b + "\n"), kubeconfig_data: $d, username: "ci-bot", password_file: "pw",
    debug: "true", export_kubeconfig: "false"}')")"
expect_rc 0 "multi-cluster login" multi
jq_expect multi '.commands.exportedVars == {}' "export_kubeconfig: false still exported"
jq_expect multi '.commands.outputs.contexts | split("\n") | length == 3' "three contexts"
expect_in "pinniped-ci: debug:" "$T/multi.out"
expect_in "::group::Pinniped login (3 kubeconfigs)" "$T/multi.raw"
multi_kc=$(jq -r '.commands.outputs.kubeconfig_path' "$T/multi.json")
mapfile -t derived < <(node "$GH_DIR/secrets_in.js" "$(dirname "$multi_kc")")
expect_masked multi "$BOT_PASSWORD" "${derived[@]}"
[ "$(count_requests gh2 authorize_password)" -eq 1 ] || fail "gh2: $(count_requests gh2 authorize_password) password logins for two kubeconfigs of one Supervisor"
while IFS= read -r ctx; do
  (unset PINNIPED_PASSWORD; HOME="$T/kubectl-home" "$KUBECTL" --kubeconfig "$multi_kc" --context "$ctx" auth whoami \
    >"$T/ctx.out" 2>"$T/ctx.err") || fail "kubectl --context $ctx failed: $(cat "$T/ctx.err")"
  expect_in ci-bot "$T/ctx.out"
done < <(jq -r '.commands.outputs.contexts' "$T/multi.json")
run_action multi_post post "$(options '{}' "$(jq -c '.commands.savedState' "$T/multi.json")")"
expect_rc 0 "multi post" multi_post
rm -f "$T/workspace/pw"
expect_empty_dir "$T/runner_temp"
expect_empty_dir "$T/home"
pass "three clusters (paths + base64 data), password_file, debug: every context works, post cleans up"

# --- binary_path input ----------------------------------------------------------------------------
run_action bp main "$(options "$(jq -n --arg b "$PCI_BIN" --arg pw "$BOT_PASSWORD" \
  '{kubeconfig: "cluster-a.yaml", username: "ci-bot", password: $pw, binary_path: $b}')" '' "$SYSTEM_PATH")"
expect_rc 0 "binary_path" bp
run_action bp_post post "$(options "$(jq -n --arg b "$PCI_BIN" '{binary_path: $b}')" \
  "$(jq -c '.commands.savedState' "$T/bp.json")" "$SYSTEM_PATH")"
expect_rc 0 "binary_path post" bp_post
expect_empty_dir "$T/runner_temp"
run_action bp_bad main "$(options '{"kubeconfig": "cluster-a.yaml", "binary_path": "/nonexistent/pinniped-ci"}' '' "$SYSTEM_PATH")"
expect_rc 2 "bad binary_path" bp_bad
expect_in "input binary_path: /nonexistent/pinniped-ci is not an executable file" "$T/bp_bad.raw"
pass "binary_path input: used when given, refused when not executable"

expect_no_secrets
for f in "$T"/*.raw; do
  if grep -v '^::add-mask::' "$f" | grep -qF -- "$BOT_PASSWORD"; then fail "password in $f"; fi
done
pass "no secret in any captured stdout, stderr, output, env or state value"
