"""Netmiko 4.x against every non-IOS personality (a lab like labs/multivendor.yaml):
cisco_nxos, cisco_xr, arista_eos, juniper_junos, cisco_asa, linux. Each: connect (Netmiko's own
session preparation: paging off, width), send_command, send_config_set (+ commit() on IOS-XR and
Junos), save_config() where the platform has one, then a new connection reads the change back.
Also a rejected line (the device's own error text), a failed commit (XR, Junos), and Netmiko's
Telnet drivers where it has them (cisco_xr_telnet, arista_eos_telnet, juniper_junos_telnet)."""

import sys

from netmiko import ConnectHandler

from inventory import Results, expect, first, load

NETMIKO_KEYS = ("device_type", "host", "port", "username", "password", "secret")


def params(device):
    p = {k: device[k] for k in NETMIKO_KEYS}
    p["fast_cli"] = False
    return p


# Per platform: a show command and what its output contains, config lines, how to read them
# back (command, expected text), and the platform's error text for a bad line.
PLANS = {
    "cisco_nxos": dict(
        show=("show version", "Cisco Nexus Operating System"),
        config=["ntp server 10.9.8.1", "interface Ethernet1/3", "description set by netmiko"],
        readback=("show running-config", "ntp server 10.9.8.1"),
        saved=("show startup-config", "description set by netmiko"),
        bad=("show ip interface bogus", "% Invalid command at '^' marker."),
    ),
    "cisco_xr": dict(
        show=("show version", "Cisco IOS XR Software"),
        config=["logging 10.9.8.2", "interface GigabitEthernet0/0/0/2", "description set by netmiko"],
        readback=("show running-config", "logging 10.9.8.2"),
        bad=("show ipv4 interface bogus", "% Invalid input detected at '^' marker."),
    ),
    "arista_eos": dict(
        show=("show version", "Arista vEOS"),
        config=["ntp server 10.9.8.3", "interface Ethernet3", "description set by netmiko"],
        readback=("show running-config", "ntp server 10.9.8.3"),
        saved=("show startup-config", "description set by netmiko"),
        bad=("show ip interface bogus", "% Invalid input"),
    ),
    "juniper_junos": dict(
        show=("show version", "Junos: "),
        config=["set system ntp server 10.9.8.4", "set interfaces ge-0/0/2 description netmiko"],
        readback=("show configuration | display set", "set system ntp server 10.9.8.4"),
        bad=("show bogus", "syntax error, expecting <command>."),
    ),
    "cisco_asa": dict(
        show=("show version", "Cisco Adaptive Security Appliance"),
        config=["logging host inside 10.9.8.5", "interface GigabitEthernet0/2", "description set by netmiko"],
        readback=("show running-config", "logging host inside 10.9.8.5"),
        saved=("show startup-config", "description set by netmiko"),
        bad=("show interface ip bogus", "ERROR: % Invalid input detected at '^' marker."),
    ),
    "linux": dict(
        show=("uname -a", "GNU/Linux"),
        config=["echo set by netmiko > /etc/motd"],
        readback=("cat /etc/motd", "set by netmiko"),
        bad=("bogus-command", "-bash: bogus-command: command not found"),
    ),
}


def full_dialogue(device, plan):
    device_type = device["device_type"]

    def check():
        with ConnectHandler(**params(device)) as conn:
            conn.enable()
            command, needle = plan["show"]
            out = conn.send_command(command)
            expect(needle in out, f"{command}: {out[:300]!r}")
            bad, error = plan["bad"]
            out = conn.send_command(bad)
            expect(error in out, f"{bad}: {out!r}")
            out = conn.send_config_set(plan["config"])
            expect(error not in out, f"config rejected: {out!r}")
            if device_type in ("cisco_xr", "juniper_junos"):
                out = conn.commit()
                expect("Failed" not in out and "error" not in out, f"commit: {out!r}")
                conn.exit_config_mode()
            if "saved" in plan:
                out = conn.save_config()
                expect(out, "save_config printed nothing")
            prompt = conn.find_prompt()
        with ConnectHandler(**params(device)) as conn:
            conn.enable()
            command, needle = plan["readback"]
            out = conn.send_command(command)
            expect(needle in out, f"a new session does not see {needle!r}: {out[:600]!r}")
            if "saved" in plan:
                command, needle = plan["saved"]
                out = conn.send_command(command)
                expect(needle in out, f"{command} lacks {needle!r}: {out[:600]!r}")
        return f"prompt {prompt!r}, config read back by a new session"

    return check


def failed_commit(device):
    """XR: an address used twice; Junos: a login user without a class. commit() raises with
    the device's message, and a fresh session finds nothing half-applied."""

    def check():
        with ConnectHandler(**params(device)) as conn:
            if device["device_type"] == "cisco_xr":
                brief = conn.send_command("show ipv4 interface brief")
                taken = brief.split("GigabitEthernet0/0/0/0", 1)[1].split()[0]
                lines = ["interface GigabitEthernet0/0/0/3", f"ipv4 address {taken} 255.255.255.0"]
                marker = "Failed to commit"
            else:
                lines = ["set system login user nobody authentication encrypted-password x"]
                marker = "Missing mandatory statement: 'class'"
            conn.send_config_set(lines, exit_config_mode=False)
            try:
                conn.commit()
            except ValueError as exc:
                expect(marker in str(exc), f"commit error: {exc}")
            else:
                raise AssertionError("commit succeeded")
            if device["device_type"] == "juniper_junos":
                conn.send_command("rollback 0", expect_string=r"#")
            else:
                conn.send_command("abort", expect_string=r"#")
        with ConnectHandler(**params(device)) as conn:
            junos = device["device_type"] == "juniper_junos"
            out = conn.send_command(
                "show configuration | display set" if junos else "show running-config"
            )
            expect("nobody" not in out, f"a failed commit left the user: {out[:400]!r}")
            expect(
                "GigabitEthernet0/0/0/3\n ipv4 address" not in out,
                f"a failed commit left the address: {out[:400]!r}",
            )
        return f"commit refused ({marker})"

    return check


def telnet_show(device, needle):
    """Netmiko's Telnet driver of the platform: log in, enable, one show command."""

    def check():
        with ConnectHandler(**params(device)) as conn:
            conn.enable()
            out = conn.send_command("show version")
            expect(needle in out, f"show version over Telnet: {out[:300]!r}")
            return f"prompt {conn.find_prompt()!r} over Telnet"

    return check


def main():
    devices = load(sys.argv[1:])
    results = Results("netmiko")
    for device_type, plan in PLANS.items():
        device = first(devices, device_type)
        if device is None:
            results.run(device_type, lambda: (_ for _ in ()).throw(AssertionError("no such device")))
            continue
        results.run(f"{device_type} ({device['name']})", full_dialogue(device, plan))
        if device_type in ("cisco_xr", "juniper_junos"):
            results.run(f"{device_type} failed commit", failed_commit(device))
        telnet = first(devices, f"{device_type}_telnet")
        if telnet is not None and device_type in ("cisco_xr", "arista_eos", "juniper_junos"):
            results.run(f"{device_type}_telnet ({telnet['name']})", telnet_show(telnet, plan["show"][1]))
    results.exit()


if __name__ == "__main__":
    main()
