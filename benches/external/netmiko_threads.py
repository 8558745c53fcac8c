"""The book's way, for `netrun bench --external`: Netmiko's send_command under a
ThreadPoolExecutor, one connection per device, on the lab netrun bench started.

    netrun bench --lab 20 --lab-profile iosv \
        --external 'netmiko-threads=python3 benches/external/netmiko_threads.py 20'

Reads the inventory named by $NETRUN_BENCH_INVENTORY (the book's devices.yaml shape) and runs
`show ip interface brief` on every device with MAX_WORKERS threads (the first argument, default 20).
Exits 1 if any device fails. Needs `pip install netmiko pyyaml`.
"""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import yaml
from netmiko import ConnectHandler

NETMIKO_KEYS = ("device_type", "host", "port", "username", "password", "secret")


def send_show(device, command):
    params = {k: device[k] for k in NETMIKO_KEYS if k in device}
    with ConnectHandler(**params) as ssh:
        ssh.enable()
        return ssh.send_command(command)


def main():
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with open(os.environ["NETRUN_BENCH_INVENTORY"]) as f:
        devices = yaml.safe_load(f)
    with ThreadPoolExecutor(max_workers=workers) as executor:
        futures = [executor.submit(send_show, d, "show ip interface brief") for d in devices]
        failed = 0
        for device, future in zip(devices, futures):
            try:
                output = future.result()
                if "Interface" not in output:
                    failed += 1
            except Exception as err:  # one failing device must not hide the others
                print(f"{device.get('name', device['host'])}: {err}", file=sys.stderr)
                failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
