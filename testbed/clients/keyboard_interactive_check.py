"""A device that does not offer the SSH `password` method (`--no-password-auth`), proved with
clients we did not write. OpenSSH: told to use only the password method it is refused, and the
list the refusal names is keyboard-interactive alone; told to use keyboard-interactive it logs in
and runs a command. Netmiko: Paramiko sends the password method, is refused, and falls back to
keyboard-interactive with the same password, asking for the ssh-userauth service a second time
on the way (vendor/russh/PATCHES.md)."""

import os
import subprocess
import sys
import tempfile

from netmiko import ConnectHandler

from inventory import Results, expect, first, load
from openssh_check import COMMON, askpass_env

def without_preferred(options):
    """`options` (pairs of `-o`, `Key=value`) without PreferredAuthentications."""
    pairs = zip(options[::2], options[1::2])
    return [x for flag, value in pairs if not value.startswith("PreferredAuthentications") for x in (flag, value)]


OPTIONS = without_preferred(COMMON)


def ssh(device, options, env):
    cmd = ["ssh", "-p", str(device["port"]), *options, f"{device['username']}@{device['host']}", "show version"]
    done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=60, check=False)
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")


def password_method_refused(device, env):
    def check():
        options = [*OPTIONS, "-o", "PreferredAuthentications=password"]
        code, out, err = ssh(device, options, env)
        expect(code != 0, f"logged in with the password method: {out[:200]!r}")
        expect("(keyboard-interactive)" in err, f"stderr {err.strip()!r}")
        return f"refused, the device offers {err.strip().split('(')[-1].rstrip(').')}"

    return check


def keyboard_interactive_logs_in(device, env):
    def check():
        options = [*OPTIONS, "-o", "PreferredAuthentications=keyboard-interactive"]
        code, out, err = ssh(device, options, env)
        expect(code == 0, f"exit {code}, stderr {err.strip()!r}")
        expect("Cisco IOS" in out, f"stdout {out[:200]!r}")
        return f"exit 0, {len(out)} chars"

    return check


def netmiko_falls_back(device):
    def check():
        params = {k: device[k] for k in ("device_type", "host", "port", "username", "password", "secret")}
        with ConnectHandler(**params, fast_cli=False) as conn:
            conn.enable()
            version = conn.send_command("show version")
        expect("Cisco IOS" in version, f"show version output: {version[:200]!r}")
        return f"enable, show version {len(version)} chars"

    return check


def main():
    device = first(load(sys.argv[1:]), "cisco_ios")
    results = Results("keyboard-interactive only")
    with tempfile.TemporaryDirectory() as folder:
        env = askpass_env(device["password"], folder)
        where = f"{device['name']}:{device['port']}"
        results.run(f"OpenSSH password method {where}", password_method_refused(device, env))
        results.run(f"OpenSSH keyboard-interactive {where}", keyboard_interactive_logs_in(device, env))
    results.run(f"Netmiko password, then keyboard-interactive {where}", netmiko_falls_back(device))
    results.exit()


if __name__ == "__main__":
    main()
