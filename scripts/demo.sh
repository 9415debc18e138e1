#!/usr/bin/env bash
# README command 1: build pinniped-ci, start the bundled Pinniped emulator (Supervisor with an LDAP
# IDP, Concierge, Kubernetes API stub), log in as the non-human account with no browser and no
# prompt, and run real kubectl through the exported credentials.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target pinniped-ci pinniped-emulator >/dev/null

work=$(mktemp -d)
chmod 700 "$work"
cleanup() { [ -n "${emulator_pid:-}" ] && kill "$emulator_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The bot's password lives in a 0600 file; it is never put on a command line.
umask 077
head -c 18 /dev/urandom | base64 >"$work/bot-password"

mkfifo "$work/ready"
./build/pinniped-emulator --kubeconfig-out "$work/kubeconfig" --pinniped-cli-path "$PWD/build/pinniped-ci" \
  --password-file "$work/bot-password" >"$work/ready" 2>"$work/emulator.log" &
emulator_pid=$!
read -r ready <"$work/ready"
echo "Pinniped emulator is up: issuer $(jq -r .issuer <<<"$ready"), API server $(jq -r .api <<<"$ready")"
echo "Kubeconfig (Pinniped style, command: build/pinniped-ci):"
sed -n '/exec:/,/provideClusterInfo/p' "$work/kubeconfig" | grep -v 'ca-bundle-data' | sed 's/^/    /'

export PINNIPED_USERNAME=ci-bot PINNIPED_PASSWORD_FILE="$work/bot-password"
echo
echo "\$ set -a; eval \"\$(pinniped-ci login --kubeconfig kubeconfig --job-dir JOB --format env)\"; set +a"
set -a
eval "$(./build/pinniped-ci login --kubeconfig "$work/kubeconfig" --job-dir "$work/job" --format env)"
set +a
echo "KUBECONFIG=$KUBECONFIG"
unset PINNIPED_PASSWORD_FILE # the rest of the job needs no password: the job kubeconfig refreshes itself

echo
echo "\$ kubectl auth whoami      # through the exported job kubeconfig, no password in the environment"
if kubectl auth whoami --help >/dev/null 2>&1; then
  kubectl auth whoami
else
  echo '{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1"}' >"$work/ssr.json"
  kubectl create --raw /apis/authentication.k8s.io/v1/selfsubjectreviews -f "$work/ssr.json"
fi
echo
echo "\$ kubectl get --raw /version"
kubectl get --raw /version
echo
echo
echo "\$ pinniped-ci whoami        # Pinniped's WhoAmI API, logging in again through the exec plugin"
PINNIPED_PASSWORD_FILE="$work/bot-password" ./build/pinniped-ci whoami --kubeconfig "$work/kubeconfig"
echo
./build/pinniped-ci logout --job-dir "$PINNIPED_CI_JOB_DIR"
echo "Logged in as the non-human account through the Supervisor and Concierge (no browser, no prompt),"
echo "ran kubectl through the exported credentials, and removed the job directory."
