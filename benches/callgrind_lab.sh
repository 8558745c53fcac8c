#!/usr/bin/env bash
# What the testbed costs per served session, in instruction counts (callgrind) and system calls.
#
#   benches/callgrind_lab.sh [TESTBED]     # TESTBED: another netrun-testbed build to measure
#
# Builds the release binaries, then:
#   1. starts an instant lab of 20 devices under callgrind, learns its host keys with one netrun
#      run, zeroes the counters, serves `netrun -s sequential show clock` to all 20 and prints the
#      lab's instructions for them, per session, and the top inclusive functions;
#   2. with strace installed: an instant lab of 200 devices at 127.101.0.0/24, one netrun run to
#      learn the keys, and `strace -c -f` of the lab over the second run: system calls per session.
# The same netrun build drives both, so TESTBED alone changes between two measurements. Needs
# valgrind (callgrind_control). Every lab is stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=benches/lab_ready.sh
. "$root/benches/lab_ready.sh"

cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p netrun -p testbed --bins
netrun=$target/release/netrun
testbed=${1:-$target/release/netrun-testbed}

run_netrun() { # run_netrun STRATEGY: every device of $work/devices.yaml, show clock
    HOME=$work "$netrun" -s "$1" -i "$work/devices.yaml" --known-hosts "$work/known_hosts" \
        -o jsonl show clock >"$work/out.jsonl"
}

sessions=20
valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$testbed" --devices "$sessions" \
    --profile instant --inventory-out "$work/devices.yaml" >"$work/lab.log" 2>&1 &
lab=$!
pids+=("$lab")
wait_for_inventory "$work/devices.yaml" "$lab" "$work/lab.log"
run_netrun async
callgrind_control -z "$lab" >/dev/null
run_netrun sequential
callgrind_control -d "$lab" >/dev/null
dump=$(ls "$work"/cg.* | head -1)
total=$(sed -nE 's/^summary: ([0-9]+).*/\1/p; s/^totals: ([0-9]+).*/\1/p' "$dump" | head -1)
printf 'lab instructions serving %d sessions: %d, per session %d\n' "$sessions" "$total" \
    "$((total / sessions))"
echo "top inclusive functions:"
callgrind_annotate --auto=no --inclusive=yes "$dump" 2>/dev/null \
    | grep -E 'server_dh|x25519|sign_with_hash_alg|mul_base|compute_keys|compute_exchange_hash|seal|open|player|run_shell' \
    | sed -n 1,16p | cut -c1-160
kill "$lab"
wait "$lab" 2>/dev/null || true

command -v strace >/dev/null || { echo "strace not installed: no system call counts"; exit 0; }
sessions=200
rm -f "$work/devices.yaml" "$work/known_hosts"
"$testbed" --devices "$sessions" --profile instant --address 127.101.0.0/24 --ssh-port 22 \
    --inventory-out "$work/devices.yaml" >"$work/lab.log" 2>&1 &
lab=$!
pids+=("$lab")
wait_for_inventory "$work/devices.yaml" "$lab" "$work/lab.log"
run_netrun async
strace -c -f -o "$work/strace" -p "$lab" 2>/dev/null &
tracer=$!
pids+=("$tracer")
read -r -t 1 <> <(:) || true
run_netrun async
read -r -t 0.5 <> <(:) || true
kill -INT "$tracer"
wait "$tracer" 2>/dev/null || true
echo
echo "lab system calls per session ($sessions sessions, netrun -s async):"
awk -v n="$sessions" '$NF == "total" { printf "  %-14s %6.1f\n", "all", $4 / n; next }
    NR > 2 && $4 ~ /^[0-9]+$/ { printf "  %-14s %6.1f\n", $NF, $4 / n }' "$work/strace"
