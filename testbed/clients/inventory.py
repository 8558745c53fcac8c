"""Read the inventory netrun-testbed wrote (--inventory-out) and report results uniformly."""

import sys
import traceback

import yaml


def load(paths):
    """All devices of every inventory file given."""
    devices = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for device in yaml.safe_load(f) or []:
                devices.extend(split_transports(device))
    return devices


def split_transports(device):
    """A device serving SSH and Telnet is one entry with `telnet_port`; clients see two."""
    telnet_port = device.pop("telnet_port", None)
    if telnet_port is None:
        return [device]
    return [device, dict(device, device_type=device["device_type"] + "_telnet", port=telnet_port)]


def first(devices, device_type, legacy=False):
    """The first device of a type (and legacy flag), or None."""
    for d in devices:
        if d["device_type"] == device_type and bool(d.get("ssh_legacy", False)) == legacy:
            return d
    return None


class Results:
    """Collects PASS/FAIL lines; exit status 1 when anything failed."""

    def __init__(self, client):
        self.client = client
        self.failed = 0
        self.passed = 0

    def run(self, name, check):
        try:
            detail = check()
        except Exception as exc:  # report every client error as a failed check, keep going
            self.failed += 1
            print(f"FAIL {self.client}: {name}: {type(exc).__name__}: {exc}", flush=True)
            traceback.print_exc(limit=3, file=sys.stderr)
            return
        self.passed += 1
        print(f"PASS {self.client}: {name}{': ' + detail if detail else ''}", flush=True)

    def exit(self):
        print(f"{self.client}: {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)
