#!/usr/bin/env bash
# Benchmark (not a test): prints a table of login timings against the emulator with injected
# per-request latency L. Usage: bench/run.sh [L ...]   (default: 0 20 50)
# Needs build-release/pinniped-ci (cmake --preset release && cmake --build --preset release) and
# build/pinniped-emulator (dev preset). Everything runs on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
PCI=${PCI_BIN:-build-release/pinniped-ci}
EMU=${PCI_EMULATOR:-build/pinniped-emulator}
[ -x "$PCI" ] || { echo "missing $PCI: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
[ -x "$EMU" ] || { echo "missing $EMU: cmake --preset dev && cmake --build --preset dev" >&2; exit 2; }
PCI=$(realpath "$PCI")
LATENCIES=("${@:-0 20 50}")
read -r -a LATENCIES <<<"${LATENCIES[*]}"
N_MAX=50
T=$(mktemp -d)
chmod 700 "$T"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
printf 'bench-password\n' >"$T/pw"
export PINNIPED_USERNAME=ci-bot PINNIPED_PASSWORD_FILE="$T/pw"

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# exec args of the kubeconfig's user (after `command:`), one per line
exec_args() { sed -n '/args:/,/command:/p' "$1" | sed -n 's/^ *- //p'; }

row() { printf '| %-4s | %-58s | %9s | %8s | %11s | %-26s |\n' "$@"; }
echo "pinniped-ci benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ); binary $PCI"
echo
row "L ms" "scenario" "wall ms" "requests" "connections" "target"
row "----" "----------------------------------------------------------" "---------" "--------" "-----------" "--------------------------"
for L in "${LATENCIES[@]}"; do
  mkfifo "$T/ready-$L"
  "$EMU" --clusters "$N_MAX" --worker-threads 64 --latency-ms "$L" --kubeconfig-dir "$T/kc-$L" --pinniped-cli-path "$PCI" \
    --password-file "$T/pw" --request-log "$T/req-$L.log" >"$T/ready-$L" 2>"$T/emu-$L.err" &
  pids+=("$!")
  read -r _ <"$T/ready-$L"

  # Cold login, one cluster.
  start=$(date +%s%N)
  out=$("$PCI" login --kubeconfig "$T/kc-$L/cluster-0.yaml" --job-dir "$T/job-$L-cold")
  wall=$(ms_since "$start")
  row "$L" "cold login, 1 cluster (pinniped-ci login)" "$wall" "$(jq .http_requests <<<"$out")" \
    "$(jq .new_connections <<<"$out") (2 hosts)" "<= $((6 * L + 50)) ms, <=1 conn/host"

  for N in 1 10 50; do
    files=()
    for i in $(seq 0 $((N - 1))); do files+=(--kubeconfig "$T/kc-$L/cluster-$i.yaml"); done
    start=$(date +%s%N)
    out=$("$PCI" login "${files[@]}" --job-dir "$T/job-$L-$N")
    wall=$(ms_since "$start")
    target=""
    [ "$N" -eq 50 ] && target="<= $((8 * L + 100)) ms"
    row "$L" "pinniped-ci login, $N clusters (one process)" "$wall" "$(jq .http_requests <<<"$out")" \
      "$(jq .new_connections <<<"$out")" "$target"

    # The Pinniped CLI way: one exec-plugin process per cluster, sharing the default caches.
    export XDG_CONFIG_HOME="$T/xdg-$L-$N"
    before=$(wc -l <"$T/req-$L.log")
    start=$(date +%s%N)
    for i in $(seq 0 $((N - 1))); do
      mapfile -t args < <(exec_args "$T/kc-$L/cluster-$i.yaml")
      "$PCI" "${args[@]}" >/dev/null
    done
    wall=$(ms_since "$start")
    unset XDG_CONFIG_HOME
    row "$L" "$N sequential exec-plugin logins (one process each)" "$wall" "$(( $(wc -l <"$T/req-$L.log") - before ))" "-" ""
  done

  # Warm exec-plugin call (credential-cache hit) versus spawning /bin/true; the emulator is stopped
  # first (a hit sends no request) so its idle threads do not disturb the measurement.
  kill "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
  mapfile -t args < <(sed -n '/args:/,/env:/p' "$T/job-$L-1/kubeconfig" | sed -n 's/^ *- //p' | sed 's/^"\(.*\)"$/\1/')
  runs=500
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 30 --runs "$runs" --export-json "$T/warm-$L.json" /bin/true "$PCI ${args[*]}" >"$T/hyperfine-$L.log" 2>&1 || { cat "$T/hyperfine-$L.log" >&2; exit 1; }
    t_true=$(jq '.results[0].mean * 1000000 | floor' "$T/warm-$L.json")
    t_warm=$(jq '.results[1].mean * 1000000 | floor' "$T/warm-$L.json")
    how="hyperfine, $runs runs"
  else
    start=$(date +%s%N); for _ in $(seq $runs); do /bin/true; done; t_true=$(( ($(date +%s%N) - start) / runs / 1000 ))
    start=$(date +%s%N); for _ in $(seq $runs); do "$PCI" "${args[@]}" >/dev/null; done
    t_warm=$(( ($(date +%s%N) - start) / runs / 1000 ))
    how="shell loop, $runs runs"
  fi
  row "$L" "warm exec-plugin call (cache hit; $how)" "$(awk "BEGIN{printf \"%.2f\", $t_warm/1000}")" "0" "0" \
    "<= 2 x /bin/true"
  row "$L" "/bin/true ($how)" "$(awk "BEGIN{printf \"%.2f\", $t_true/1000}")" "" "" \
    "ratio $(awk "BEGIN{printf \"%.2f\", $t_warm/$t_true}")"
done
echo
echo "wall ms: end-to-end process time; requests/connections: as counted by pinniped-ci (--format json)"
echo "or by the emulator's request log; connections include TLS handshakes (one per new connection)."
