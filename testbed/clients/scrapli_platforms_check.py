"""scrapli's core drivers for NX-OS, IOS-XR, EOS and Junos (NXOSDriver, IOSXRDriver, EOSDriver,
JunosDriver) against the matching personalities (a lab like labs/multivendor.yaml): open() (their
own on_open: privilege level, paging off, width), send_command, send_configs (the drivers commit
on IOS-XR and Junos), and a second connection reading the change back."""

import sys

from scrapli.driver.core import EOSDriver, IOSXRDriver, JunosDriver, NXOSDriver

from inventory import Results, expect, first, load

# device_type: driver, show command and a text its output holds, config lines, read-back.
PLANS = {
    "cisco_nxos": (NXOSDriver, "show version", "NX-OS", ["ntp server 10.7.7.1"], "show running-config", "ntp server 10.7.7.1"),
    "cisco_xr": (IOSXRDriver, "show version", "IOS XR", ["logging 10.7.7.2"], "show running-config", "logging 10.7.7.2"),
    "arista_eos": (EOSDriver, "show version", "Arista", ["ntp server 10.7.7.3"], "show running-config", "ntp server 10.7.7.3"),
    "juniper_junos": (JunosDriver, "show version", "Junos:", ["set system ntp server 10.7.7.4"], "show configuration | display set", "set system ntp server 10.7.7.4"),
}


def connect(driver, device):
    return driver(
        host=device["host"],
        port=device["port"],
        auth_username=device["username"],
        auth_password=device["password"],
        auth_secondary=device["secret"],
        auth_strict_key=False,
        transport="system",
        timeout_socket=20,
        timeout_transport=30,
        timeout_ops=30,
    )


def dialogue(device, plan):
    driver, show, needle, configs, readback, expected = plan

    def check():
        conn = connect(driver, device)
        conn.open()
        try:
            out = conn.send_command(show)
            expect(not out.failed and needle in out.result, f"{show}: {out.result[:300]!r}")
            shown = len(out.result)
            applied = conn.send_configs(configs)
            expect(not applied.failed, f"send_configs failed: {[r.result for r in applied]}")
            if driver is JunosDriver:
                committed = conn.send_config("commit")
                expect("commit complete" in committed.result, f"commit: {committed.result!r}")
            elif driver is IOSXRDriver:
                committed = conn.send_config("commit")
                expect(not committed.failed, f"commit: {committed.result!r}")
            prompt = conn.get_prompt()
        finally:
            conn.close()
        conn = connect(driver, device)
        conn.open()
        try:
            out = conn.send_command(readback)
            expect(expected in out.result, f"a new session does not see {expected!r}: {out.result[:500]!r}")
        finally:
            conn.close()
        return f"prompt {prompt!r}, {show} {shown} chars, configs applied and read back"

    return check


def main():
    devices = load(sys.argv[1:])
    results = Results("scrapli")
    for device_type, plan in PLANS.items():
        device = first(devices, device_type)
        expect(device is not None, f"no {device_type} device in the inventory")
        results.run(f"{plan[0].__name__} {device['name']}:{device['port']}", dialogue(device, plan))
    results.exit()


if __name__ == "__main__":
    main()
