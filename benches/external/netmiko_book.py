"""The book's three ways, for `netrun bench --external`: Netmiko's send_command on every device
of $NETRUN_BENCH_INVENTORY (the book's devices.yaml shape), one connection per device,

    python3 benches/external/netmiko_book.py sequential        # a for loop
    python3 benches/external/netmiko_book.py threads [N]       # ThreadPoolExecutor(max_workers=N)
    python3 benches/external/netmiko_book.py processes [N]     # ProcessPoolExecutor(max_workers=N)

N defaults to the number of devices. The command is the book's `sh ip int br`. Exits 1 if any
device fails. Needs `pip install netmiko pyyaml`. With the book lab up (testbed/docker/book.yml):

    netrun bench -i inventory/devices.yaml --runs 3 sh ip int br \
        --external 'book-sequential=python3 benches/external/netmiko_book.py sequential' \
        --external 'book-threads=python3 benches/external/netmiko_book.py threads' \
        --external 'book-processes=python3 benches/external/netmiko_book.py processes'
"""

import os
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import yaml
from netmiko import ConnectHandler

NETMIKO_KEYS = ("device_type", "host", "port", "username", "password", "secret")
COMMAND = "sh ip int br"


def send_show(device):
    params = {k: device[k] for k in NETMIKO_KEYS if k in device}
    try:
        with ConnectHandler(**params) as ssh:
            ssh.enable()
            return device["host"], ssh.send_command(COMMAND), None
    except Exception as err:  # one failing device must not hide the others
        return device["host"], "", str(err)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "sequential"
    with open(os.environ["NETRUN_BENCH_INVENTORY"]) as f:
        devices = yaml.safe_load(f)
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else len(devices)
    if mode == "sequential":
        results = [send_show(device) for device in devices]
    elif mode in ("threads", "processes"):
        pool = ThreadPoolExecutor if mode == "threads" else ProcessPoolExecutor
        with pool(max_workers=workers) as executor:
            results = list(executor.map(send_show, devices))
    else:
        sys.exit(f"unknown mode {mode!r}: sequential, threads or processes")
    failed = 0
    for host, output, error in results:
        if error or "Interface" not in output:
            print(f"{host}: {error or 'no interface table'}", file=sys.stderr)
            failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
