"""scrapli's cisco_iosxe definition (IOSXEDriver) against the testbed, over each transport that
speaks SSH here (system = OpenSSH, paramiko, ssh2 = ssh2-python) and over scrapli's telnet."""

import sys

from scrapli.driver.core import IOSXEDriver

from inventory import Results, expect, first, load


def dialogue(device, transport):
    def check():
        conn = IOSXEDriver(
            host=device["host"],
            port=device["port"],
            auth_username=device["username"],
            auth_password=device["password"],
            auth_secondary=device["secret"],
            auth_strict_key=False,
            transport=transport,
            timeout_socket=20,
            timeout_transport=30,
            timeout_ops=30,
        )
        conn.open()
        try:
            version = conn.send_command("show version")
            expect(not version.failed, f"show version failed: {version.result[:200]!r}")
            expect("Cisco IOS" in version.result, f"show version: {version.result[:200]!r}")
            configs = conn.send_configs(["logging 10.8.8.8", "interface GigabitEthernet0/2", "description scrapli"])
            expect(not configs.failed, f"send_configs failed: {[r.result for r in configs]}")
            running = conn.send_command("show running-config | include logging")
            expect("10.8.8.8" in running.result, f"running-config: {running.result!r}")
            prompt = conn.get_prompt()
        finally:
            conn.close()
        return f"prompt {prompt}, show version {len(version.result)} chars, configs applied"

    return check


def main():
    devices = load(sys.argv[1:])
    results = Results("scrapli")
    ssh = first(devices, "cisco_ios")
    for transport in ("system", "paramiko", "ssh2"):
        results.run(f"cisco_iosxe transport={transport} {ssh['name']}:{ssh['port']}", dialogue(ssh, transport))
    telnet = first(devices, "cisco_ios_telnet")
    if telnet is not None:
        results.run(f"cisco_iosxe transport=telnet {telnet['name']}:{telnet['port']}", dialogue(telnet, "telnet"))
    results.exit()


if __name__ == "__main__":
    main()
