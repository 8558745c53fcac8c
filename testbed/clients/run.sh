#!/usr/bin/env bash
# Drive netrun-testbed with real, unmodified clients: Netmiko 4.x (cisco_ios, cisco_ios_telnet,
# and cisco_nxos, cisco_xr, arista_eos, juniper_junos, cisco_asa, linux against the multivendor
# lab), scrapli cisco_iosxe (classic IOSXEDriver over system/paramiko/ssh2/telnet, and scrapli 2's
# definition), scrapli's NX-OS, IOS-XR, EOS and Junos core drivers, parallel-ssh exec requests,
# and OpenSSH `ssh` (also against a device without the password method). Creates venvs under /tmp, starts the labs (IOS, a legacy-algorithm lab,
# labs/multivendor.yaml), runs every check, stops the labs. Exit 0 only if all passed.
#
# Usage: testbed/clients/run.sh        (from anywhere; needs cargo, python3, ssh)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${NETRUN_CLIENTS_VENV:-/tmp/netrun-clients-venv}
venv2=${venv}-scrapli2
legacy_flag=${TESTBED_LEGACY_FLAG:---ssh-legacy}
work=$(mktemp -d /tmp/netrun-clients.XXXXXX)
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

echo "== python environments"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q 'netmiko>=4,<5' 'scrapli[paramiko,ssh2]==2025.1.30' parallel-ssh pyyaml
[ -x "$venv2/bin/python" ] || python3 -m venv "$venv2"
"$venv2/bin/pip" install -q 'scrapli>=2026' pyyaml

echo "== building netrun-testbed"
(cd "$root" && cargo build -q -p testbed --bin netrun-testbed)
bin=${CARGO_TARGET_DIR:-$root/target}/debug/netrun-testbed

# start_lab NAME ARGS...: start a testbed writing $work/NAME.yaml; wait (bounded) for `ready`.
start_lab() {
    local name=$1
    shift
    : >"$work/$name.out"
    "$bin" --address 127.0.0.1 --ssh-port 0 --inventory-out "$work/$name.yaml" "$@" \
        >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    for _ in $(seq 300); do
        if grep -q '^ready ' "$work/$name.out"; then
            echo "lab $name: $(head -n1 "$work/$name.out") (pid ${pids[-1]})"
            return 0
        fi
        if ! kill -0 "${pids[-1]}" 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "lab $name did not become ready; stderr:" >&2
    cat "$work/$name.err" >&2
    return 1
}

echo "== starting labs"
start_lab main --devices 4 --telnet-port auto --profile instant
inventories=("$work/main.yaml")
if start_lab legacy --devices 1 --profile instant "$legacy_flag"; then
    inventories+=("$work/legacy.yaml")
else
    echo "legacy lab not started (flag $legacy_flag); legacy checks skipped"
fi
start_lab multivendor --lab "$root/testbed/labs/multivendor.yaml" --telnet-port auto --profile instant
start_lab keyboard --devices 1 --profile instant --no-password-auth

failed=0
run_check() {
    local python=$1 script=$2
    echo "== $script"
    if ! (cd "$here" && timeout 600 "$python" "$script" "${inventories[@]}"); then
        failed=$((failed + 1))
    fi
}
run_check "$venv/bin/python" netmiko_check.py
run_check "$venv/bin/python" scrapli_check.py
run_check "$venv2/bin/python" scrapli2_check.py
run_check "$venv/bin/python" pssh_check.py
run_check "$venv/bin/python" openssh_check.py
inventories=("$work/multivendor.yaml")
run_check "$venv/bin/python" netmiko_platforms_check.py
run_check "$venv/bin/python" scrapli_platforms_check.py
inventories=("$work/keyboard.yaml")
run_check "$venv/bin/python" keyboard_interactive_check.py

for name in main legacy multivendor keyboard; do
    if [ -s "$work/$name.err" ]; then
        echo "== testbed $name stderr (last 20 lines)"
        tail -n 20 "$work/$name.err"
    fi
done
echo "== client scripts failed: $failed"
[ "$failed" -eq 0 ]
