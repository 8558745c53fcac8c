"""Netmiko 4.x against the testbed: cisco_ios (SSH) and cisco_ios_telnet doing enable(),
send_command("show version"), send_config_set([...]) and save_config(), then a new connection
checks the running-config."""

import sys

from netmiko import ConnectHandler

from inventory import Results, expect, first, load

NETMIKO_KEYS = ("device_type", "host", "port", "username", "password", "secret")


def params(device):
    p = {k: device[k] for k in NETMIKO_KEYS}
    p["fast_cli"] = False
    if device.get("ssh_legacy"):
        # paramiko still speaks group14-sha1/ssh-rsa; nothing to switch on, nothing to disable.
        p["disabled_algorithms"] = {}
    return p


def full_dialogue(device, marker):
    def check():
        with ConnectHandler(**params(device)) as conn:
            conn.enable()
            expect(conn.check_enable_mode(), "not in enable mode after enable()")
            version = conn.send_command("show version")
            expect("Cisco IOS" in version, f"show version output: {version[:200]!r}")
            brief = conn.send_command("sh ip int br")
            expect("Interface" in brief, f"sh ip int br output: {brief[:200]!r}")
            out = conn.send_config_set(
                [f"logging {marker}", "interface GigabitEthernet0/1", "description set by netmiko"]
            )
            expect("%" not in out, f"config rejected: {out!r}")
            saved = conn.save_config()
            expect("[OK]" in saved, f"save_config output: {saved!r}")
            prompt = conn.find_prompt()
        with ConnectHandler(**params(device)) as conn:
            conn.enable()
            running = conn.send_command("show running-config | include logging")
            expect(marker in running, f"new session does not see logging {marker}: {running!r}")
            startup = conn.send_command("show startup-config | include logging")
            expect(marker in startup, f"startup-config lacks logging {marker}: {startup!r}")
        return f"prompt {prompt}, show version {len(version)} chars, config saved and seen by a new session"

    return check


def main():
    devices = load(sys.argv[1:])
    results = Results("netmiko")
    for device_type, legacy, marker in (
        ("cisco_ios", False, "10.9.9.1"),
        ("cisco_ios_telnet", False, "10.9.9.2"),
        ("cisco_ios", True, "10.9.9.3"),
    ):
        device = first(devices, device_type, legacy)
        label = f"{device_type}{' legacy' if legacy else ''}"
        if device is None:
            print(f"SKIP netmiko: {label}: no such device in the inventory")
            continue
        results.run(f"{label} {device['name']}:{device['port']}", full_dialogue(device, marker))
    results.exit()


if __name__ == "__main__":
    main()
