#!/usr/bin/env bash
# Where netrun's CPU goes per session, in instruction counts (callgrind) and in rusage.
#
#   benches/callgrind_session.sh [SESSIONS]      # SESSIONS for the rusage runs, default 2000
#
# Builds the release binaries (debug line tables on), starts an instant lab of 20 devices (then
# one of SESSIONS) as its own process, learns its host keys once (the measured runs check them),
# then:
#   1. callgrind over `netrun -s sequential show clock` for 1 host (`-l` its name) and for 20:
#      per-session = (I20 - I1) / 19, start-up = I1 - per-session;
#   2. the 20-session run's instructions by group (own cost per function, summed), the same
#      per session ((I20 - I1) / 19 group by group), and its top
#      inclusive functions;
#   3. `/usr/bin/time` of netrun alone over SESSIONS sessions, sequential and async:
#      (user + sys) / SESSIONS = CPU per session.
# Needs valgrind and GNU time. The lab is stopped on exit.
set -euo pipefail

sessions=${1:-2000}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
lab_pid=
cleanup() {
    if [[ -n $lab_pid ]]; then kill "$lab_pid" 2>/dev/null || true; wait "$lab_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=benches/lab_ready.sh
. "$root/benches/lab_ready.sh"

cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p netrun -p testbed --bins
netrun=${NETRUN:-$target/release/netrun}   # NETRUN=another build compares
start_lab() { # start_lab N: an instant lab of N devices, its inventory in $work/devices.yaml
    rm -f "$work/devices.yaml" "$work/known_hosts"
    "$target/release/netrun-testbed" --devices "$1" --profile instant \
        --inventory-out "$work/devices.yaml" >"$work/lab.log" 2>&1 &
    lab_pid=$!
    wait_for_inventory "$work/devices.yaml" "$lab_pid" "$work/lab.log"
    # Learn the host keys (accept-new) outside the measurement: the measured runs check them.
    "$netrun" -s async -i "$work/devices.yaml" --known-hosts "$work/known_hosts" -o jsonl \
        show clock >/dev/null
}
stop_lab() { kill "$lab_pid"; wait "$lab_pid" 2>/dev/null || true; lab_pid=; }

start_lab 20
first=$(grep -m1 -E '^\s*-?\s*name:' "$work/devices.yaml" | sed -E 's/.*name:\s*//; s/["'\'']//g')

instructions() { # callgrind total for the run given as arguments; the profile kept in $work
    local out=$work/cg.$1; shift
    valgrind --tool=callgrind --trace-children=no --callgrind-out-file="$out" \
        "$netrun" "$@" -i "$work/devices.yaml" --known-hosts "$work/known_hosts" -o jsonl \
        -s sequential show clock >/dev/null 2>"$out.log"
    sed -nE 's/^summary: ([0-9]+).*/\1/p; s/^totals: ([0-9]+).*/\1/p' "$out" | head -1
}
i1=$(instructions one -l "$first")
# Twenty hosts: the first twenty names.
limits=()
while read -r name; do limits+=(-l "$name"); done < <(grep -E '^\s*-?\s*name:' "$work/devices.yaml" \
    | sed -E 's/.*name:\s*//; s/["'\'']//g' | head -20)
i20=$(instructions twenty "${limits[@]}")
per=$(( (i20 - i1) / 19 ))
printf 'instructions: 1 session %d, 20 sessions %d\n' "$i1" "$i20"
printf 'start-up %d, per session %d\n' "$(( i1 - per ))" "$per"

by_group() { # by_group PROFILE: "group instructions" lines, each function's own cost summed
    callgrind_annotate --auto=no --threshold=100 "$1" 2>/dev/null | awk '
        /^ *[0-9,]+ +\([ 0-9.]+%\) +/ {
            n = $1; gsub(",", "", n); fn = $0; sub(/^ *[0-9,]+ +\([ 0-9.]+%\) +/, "", fn)
            if (fn ~ /PROGRAM TOTALS/) next
            if (fn ~ /curve25519_dalek|ed25519|subtle|netrun_crypto/) g = "X25519+Ed25519"
            else if (fn ~ /chacha|netrun_random|ppv_lite|cipher::stream/) g = "ChaCha20+RNG"
            else if (fn ~ /libssh2|libcrypto|libssl/) g = "libssh2+OpenSSL"
            else if (fn ~ /regex|aho.corasick|memchr/) g = "regex"
            else if (fn ~ /malloc|free|realloc|calloc|memset|memcpy|memmove|alloc::|_int_|tcache/) g = "alloc/memset"
            else if (fn ~ /netrun::dialogue/) g = "netrun-dialogue"
            else if (fn ~ /yaml|inventory|serde/) g = "inventory"
            else if (fn ~ /ld-linux|dl-/) g = "dynamic-loader"
            else if (fn ~ /poll|recv|send|read|write|socket|connect|epoll|syscall/) g = "kernel-facing"
            else g = "other"
            sum[g] += n
        }
        END { for (g in sum) printf "%s %.0f\n", g, sum[g] }'
}
echo
echo "the 20-session run's instructions by group (each function's own cost, summed):"
by_group "$work/cg.one" >"$work/groups.one"
by_group "$work/cg.twenty" >"$work/groups.twenty"
awk -v total="$i20" '{ printf "  %-16s %12.0f  %5.1f%%\n", $1, $2, 100 * $2 / total }' \
    "$work/groups.twenty" | sort -k2 -n -r
echo
echo "per session by group ((20-session - 1-session) / 19):"
awk 'NR == FNR { one[$1] = $2; next } { printf "  %-16s %10.0f\n", $1, ($2 - one[$1]) / 19 }' \
    "$work/groups.one" "$work/groups.twenty" | sort -k2 -n -r
echo
echo "top inclusive functions of the 20-session run:"
callgrind_annotate --auto=no --inclusive=yes "$work/cg.twenty" 2>/dev/null \
    | grep -E 'kex_method|sig_verify|gen_k|netrun_x25519|netrun_ed25519|EVP_|dialogue::|session_log|events|poll|memset|malloc' \
    | sed -n 1,20p | cut -c1-160

echo
stop_lab
start_lab "$sessions"
echo "rusage of netrun alone over $sessions sessions (lab in its own process):"
for strategy in sequential async; do
    /usr/bin/time -f '%U %S %M' -o "$work/time.$strategy" \
        "$netrun" -s "$strategy" -i "$work/devices.yaml" --known-hosts "$work/known_hosts" \
        -o jsonl show clock >/dev/null
    read -r user sys rss <"$work/time.$strategy"
    awk -v u="$user" -v s="$sys" -v n="$sessions" -v r="$rss" -v st="$strategy" 'BEGIN {
        printf "  %-10s user %.2f s  sys %.2f s  CPU per session %.3f ms  peak RSS %d KB\n",
            st, u, s, 1000 * (u + s) / n, r }'
done
